import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLockRegistry, type LockRegistry } from '../helpers/npm-registry.js';
import { startReadmeEnv, type ReadmeEnv } from '../helpers/readme-env.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const readme = readFileSync(join(repo, 'README.md'), 'utf8');
const version = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }).version;

/** The line before a fenced `sh` block that this test runs (an HTML comment: GitHub shows nothing). */
const MARKER = '<!-- test: runs -->';
/** Quick start: install, plan, join, undo; the plan section's examples (the jq one). Update when a block is marked or unmarked. */
const EXPECTED_RUNNABLE = 5;

interface Block {
  /** 1-based line of the opening fence. */
  line: number;
  body: string;
  runs: boolean;
}

/** Every fenced `sh` block, and whether the marker stands on the line before it. */
function shBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === MARKER) assert.match(lines[i + 1] ?? '', /^```sh\s*$/, `README line ${i + 1}: "${MARKER}" must stand right before a \`\`\`sh fence`);
    if (!/^```/.test(line)) continue;
    const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    assert.ok(end > i, `README line ${i + 1}: the fence is never closed`);
    if (/^```sh\s*$/.test(line)) blocks.push({ line: i + 1, body: lines.slice(i + 1, end).join('\n'), runs: lines[i - 1]?.trim() === MARKER });
    i = end;
  }
  return blocks;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a README block as a reader pastes it into bash, stopping at the first failing command
 * (pipelines included). Asynchronous on purpose: the fakes answer from this process.
 */
function bash(script: string, o: { env: Record<string, string>; cwd: string; timeoutMs?: number }): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-e', '-u', '-o', 'pipefail', '-c', script], { cwd: o.cwd, env: o.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 90_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const describeRun = (r: Run) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
const firstCommand = (b: Block) => b.body.split('\n').find((l) => l.trim() && !l.trim().startsWith('#'))!.trim();

describe('the README commands, run as printed', function () {
  this.timeout(240_000);
  const blocks = shBlocks(readme);
  const runnable = blocks.filter((b) => b.runs);
  const isInstall = (b: Block) => /npm install -g/.test(b.body);
  let env: ReadmeEnv;
  let registry: LockRegistry;
  let scratch: string;
  let installed: Promise<Run> | undefined;
  let prefix: string;
  const tarball = join(repo, `win-k8s-${version}.tgz`);
  const tarballWasThere = existsSync(tarball);
  /** The cluster-wide objects labelled as win-k8s's own, as kind/name. */
  const managedClusterObjects = () =>
    (['runtimeclasses', 'clusterrolebindings'] as const).flatMap((kind) =>
      env.fake.store
        .list(kind)
        .filter((o) => (o.metadata as { labels?: Record<string, string> }).labels?.['app.kubernetes.io/managed-by'] === 'win-k8s')
        .map((o) => `${kind}/${o.metadata?.name}`),
    );

  before(async () => {
    assert.ok(existsSync(join(repo, 'dist', 'cli', 'main.js')), 'dist/ is missing: run `npm run build` first');
    scratch = mkdtempSync(join(tmpdir(), 'win-k8s-readme-npm-'));
    const npmCache = spawnSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8' }).stdout.trim();
    registry = await startLockRegistry({ lockfile: join(repo, 'package-lock.json'), npmCache });
    env = await startReadmeEnv({ repo });
    // The install unpacks a few hundred packages: it runs while the other blocks run.
    const install = runnable.find(isInstall);
    if (install) {
      prefix = join(scratch, 'prefix');
      writeFileSync(join(scratch, 'npmrc'), '');
      writeFileSync(join(scratch, 'global-npmrc'), '');
      const npmEnv = {
        PATH: `${join(prefix, 'bin')}:${process.env.PATH ?? ''}`,
        HOME: join(scratch, 'home'),
        // The reader's own npm set-up, here pointed at the loopback registry and temp folders.
        npm_config_registry: `${registry.url}/`,
        npm_config_cache: join(scratch, 'npm-cache'),
        npm_config_prefix: prefix,
        npm_config_userconfig: join(scratch, 'npmrc'),
        npm_config_globalconfig: join(scratch, 'global-npmrc'),
        npm_config_audit: 'false',
        npm_config_fund: 'false',
        npm_config_update_notifier: 'false',
      };
      installed = bash(install.body, { env: npmEnv, cwd: repo, timeoutMs: 200_000 });
    }
  });

  after(async () => {
    await installed?.catch(() => undefined);
    if (!tarballWasThere) rmSync(tarball, { force: true });
    await env?.stop();
    await registry?.stop();
    // The installed tree is some 30,000 files; removed before the file ends, so nothing this test
    // started outlives it.
    if (scratch) await rm(scratch, { recursive: true, force: true, maxRetries: 3 });
  });

  it(`marks ${EXPECTED_RUNNABLE} blocks as runnable, one of them the install`, () => {
    assert.deepEqual(
      runnable.map((b) => `line ${b.line}: ${firstCommand(b)}`).length,
      EXPECTED_RUNNABLE,
      `runnable blocks now: ${runnable.map((b) => `line ${b.line}: ${firstCommand(b)}`).join('; ')}`,
    );
    assert.equal(runnable.filter(isInstall).length, 1);
    assert.ok(
      runnable.some((b) => /^win-k8s plan -o json \| jq '[^']*'$/m.test(b.body)),
      'the `win-k8s plan -o json | jq` example is among the runnable blocks',
    );
  });

  for (const block of runnable.filter((b) => !isInstall(b))) {
    it(`README line ${block.line}: ${firstCommand(block)}`, async () => {
      if (/\|\s*jq\b/.test(block.body)) {
        const jq = spawnSync('sh', ['-c', 'command -v jq'], { encoding: 'utf8', env: env.env });
        assert.equal(jq.status, 0, 'jq is not installed: the README pipes `win-k8s plan -o json` into jq, so this test needs it (apt-get install jq, brew install jq)');
      }
      const r = await bash(block.body, { env: env.env, cwd: env.home });
      assert.equal(r.code, 0, describeRun(r));
      if (/plan -o json \| jq/.test(block.body)) {
        assert.ok(r.stdout.split('\n').includes('true'), `jq printed .joinable = true\n${describeRun(r)}`);
      }
      if (/win-k8s join /.test(block.body)) {
        const count = Number(/--count (\d+)/.exec(block.body)?.[1] ?? 1);
        assert.equal((await env.instances()).length, count, 'the VMs exist after the join');
        const windows = env.fake.store.list('nodes').filter((n) => (n.metadata as { labels?: Record<string, string> }).labels?.['kubernetes.io/os'] === 'windows');
        assert.equal(windows.length, count, 'the Windows Nodes registered');
        assert.match(r.stdout, new RegExp(`(${windows.map((n) => n.metadata?.name).join('|')})`), 'list shows them');
        assert.ok(managedClusterObjects().includes('runtimeclasses/windows-2022'), `join made its RuntimeClass: ${managedClusterObjects().join(', ')}`);
      }
      if (/win-k8s remove .*--yes/.test(block.body)) {
        assert.deepEqual(await env.instances(), [], 'no VM is left');
        assert.equal(env.fake.store.list('nodes').filter((n) => (n.metadata as { labels?: Record<string, string> }).labels?.['kubernetes.io/os'] === 'windows').length, 0, 'no Windows Node is left');
        // What the README's undo section says goes with the last pool.
        assert.deepEqual(managedClusterObjects(), [], 'the RuntimeClasses and ClusterRoleBindings join made went with the last pool');
      }
    });
  }

  it('installs from the packed tarball with npm install -g, and the installed win-k8s runs plan', async () => {
    assert.ok(installed, 'the install block ran');
    const r = await installed;
    assert.equal(r.code, 0, `${describeRun(r)}\nregistry misses: ${registry.misses.join(', ')}`);
    assert.equal(r.stdout.trim().split('\n').pop(), version, 'win-k8s --version printed the packed version');
    const bin = join(prefix, 'bin', 'win-k8s');
    assert.ok(realpathSync(bin).startsWith(realpathSync(join(prefix, 'lib', 'node_modules', 'win-k8s'))), `${bin} is the installed copy`);
    // The bundle leaves the cloud SDKs and the Kubernetes client to node_modules: a plan (the
    // cluster, then AWS) only works if the install brought them. No shim, no NODE_PATH.
    const plan = await bash('win-k8s plan -o json', { env: { ...env.env, PATH: `${join(prefix, 'bin')}:${process.env.PATH ?? ''}` }, cwd: env.home });
    assert.equal(plan.code, 0, describeRun(plan));
    const doc = JSON.parse(plan.stdout) as { joinable: boolean; checks: { id: string; status: string }[] };
    assert.equal(doc.joinable, true);
    // AWS answered with the profile's credentials: the SDK came with the install.
    assert.equal(doc.checks.find((c) => c.id === 'cloud.placement')?.status, 'pass', plan.stdout);
  });

  it('every win-k8s command and flag the README shows exists in that command\'s --help', () => {
    const help = (args: string[]) => {
      const r = spawnSync(process.execPath, [join(repo, 'bin', 'win-k8s.js'), ...args, '--help'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', NO_COLOR: '1' } });
      assert.equal(r.status, 0, `win-k8s ${args.join(' ')} --help: ${r.stderr}`);
      return r.stdout;
    };
    const global = help([]);
    const commands = new Set([...global.matchAll(/^ {2}([a-z]+)\b/gm)].map((m) => m[1]!));
    const helps = new Map<string, string>();
    const problems: string[] = [];
    for (const block of blocks) {
      // Continuation lines joined, comments dropped, each command of a pipeline or list on its own.
      const text = block.body.replace(/\\\n/g, ' ');
      for (const line of text.split('\n')) {
        const code = line.replace(/(^|\s)#.*$/, '');
        for (const m of code.matchAll(/(?:^|[|;&(]\s*|\$\()\s*win-k8s((?:\s+[^|;&)]+)?)/g)) {
          const words = (m[1] ?? '').trim().split(/\s+/).filter(Boolean);
          const sub = words[0] && !words[0].startsWith('-') ? words[0] : undefined;
          if (sub && !commands.has(sub)) {
            problems.push(`line ${block.line}: no command "${sub}"`);
            continue;
          }
          const own = sub ? (helps.get(sub) ?? helps.set(sub, help([sub])).get(sub)!) : '';
          for (const w of words) {
            const flag = /^(--[a-z0-9-]+)/.exec(w)?.[1];
            if (!flag) continue;
            const re = new RegExp(`(^|[\\s,])${flag}(?![a-z0-9-])`, 'm');
            if (!re.test(own) && !re.test(global)) problems.push(`line ${block.line}: win-k8s ${sub ?? ''} has no ${flag}`);
          }
        }
      }
    }
    assert.deepEqual(problems, []);
    assert.ok(helps.size >= 5, `the check saw the README's commands (${[...helps.keys()].join(', ')})`);
  });
});
