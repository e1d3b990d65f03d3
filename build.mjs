// Bundles the CLI into dist/ with esbuild. Startup time is part of the product: one bundled
// module graph loads several times faster than hundreds of small files (see bench/). Cloud SDKs
// and the Kubernetes client stay external and are imported only by the commands that use them.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

const external = [
  '@aws-sdk/*',
  '@smithy/*',
  '@azure/*',
  '@google-cloud/*',
  '@kubernetes/client-node',
  '@inquirer/*',
  'ora',
  'execa',
  'undici',
];

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: ['src/cli/main.ts'],
  outdir: 'dist/cli',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  sourcemap: 'linked',
  minify: true,
  external,
  logLevel: 'warning',
  // commander is CommonJS; give the ESM bundle a require() for its node: imports.
  banner: { js: "import { createRequire as __winK8sRequire } from 'node:module'; const require = __winK8sRequire(import.meta.url);" },
});
