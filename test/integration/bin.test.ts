import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CA_HASH, TOKEN, renderArgs, runCli } from '../helpers/cli.js';

const bin = fileURLToPath(new URL('../../bin/win-k8s.js', import.meta.url));
const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20_000 });

describe('the built CLI (bin/win-k8s.js over dist/)', () => {
  it('--help and --version exit 0 on stdout', () => {
    const help = run(['--help']);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /Usage: win-k8s/);
    assert.match(help.stdout, /render/);
    const version = run(['--version']);
    assert.equal(version.status, 0);
    assert.match(version.stdout.trim(), /^\d+\.\d+\.\d+/);
  });

  it('version prints what a bug report needs; -o json is {version, node, platform, arch}', () => {
    const human = run(['version']);
    assert.equal(human.status, 0, human.stderr);
    assert.equal(human.stdout, `win-k8s ${run(['--version']).stdout.trim()} (node ${process.versions.node}, ${process.platform}/${process.arch})\n`);
    const json = run(['version', '-o', 'json']);
    assert.equal(json.status, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), { version: run(['--version']).stdout.trim(), node: process.versions.node, platform: process.platform, arch: process.arch });
  });

  it('registers only commands that work', () => {
    const help = run(['--help']).stdout;
    const commands = [...help.split('Commands:')[1]!.matchAll(/^ {2}([a-z]+)/gm)].map((m) => m[1]);
    assert.deepEqual(commands.filter((c) => c !== 'help').sort(), ['completion', 'diagnose', 'init', 'join', 'list', 'plan', 'provision', 'remove', 'render', 'schema', 'version']);
  });

  it('an unknown command or flag is exit 2', () => {
    assert.equal(run(['frobnicate']).status, 2);
    const r = run(['render', '--bogus']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown option '--bogus'/);
  });

  it('renders the same script as the in-process CLI, without leaking the token to stderr', async () => {
    const spawned = run(renderArgs(), { WIN_K8S_TOKEN: TOKEN });
    assert.equal(spawned.status, 0, spawned.stderr);
    const inProcess = await runCli(renderArgs(), { env: { WIN_K8S_TOKEN: TOKEN } });
    assert.equal(spawned.stdout, inProcess.stdout);
    assert.ok(!spawned.stderr.includes(TOKEN));
    assert.ok(spawned.stdout.includes(CA_HASH));
  });

  it('NO_COLOR and a non-TTY give plain, timestamped lines', () => {
    const r = run(['render'], { NO_COLOR: '1' });
    assert.equal(r.status, 2);
    assert.ok(!r.stderr.includes('\u001b['), 'no ANSI escapes');
    assert.match(r.stderr, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \[✖\]/m);
  });
});
