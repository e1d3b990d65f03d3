import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SRC = join(ROOT, 'src');

export function sourceFiles(dir: string = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** A path relative to the project, with forward slashes, for messages and prefix checks. */
export const projectPath = (file: string) => relative(ROOT, file).split('\\').join('/');

/**
 * Relative imports of every kind count: a type-only import or an `import('./x.js').T` type
 * expression still ties the two modules together (one cannot be read, moved or tested alone).
 */
export const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"](\.\.?\/[^'"]+)['"]/g;

export function importGraph(files: string[]): Map<string, string[]> {
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const edges = new Set<string>();
    for (const m of text.matchAll(IMPORT)) {
      const target = resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts'));
      if (known.has(target)) edges.add(target);
    }
    graph.set(file, [...edges]);
  }
  return graph;
}
