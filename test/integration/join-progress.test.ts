import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { motoCliEnv, type AwsProxy } from '../fakes/moto/index.js';
import { startAwsJoinEnv, type AwsJoinEnv } from '../helpers/aws-join-env.js';
import { watchOnTerminal } from '../helpers/pty.js';

/**
 * join's progress on a terminal (a pseudo-terminal from `script`): a line per node redrawn in
 * place; off a terminal the timestamped lines as before, without a control character.
 */
const bin = fileURLToPath(new URL('../../bin/win-k8s.js', import.meta.url));
const ESC = '\u001b';

describe('join progress, on a terminal and off one (moto + fake kube-apiserver)', function () {
  this.timeout(180_000);
  let aws: AwsJoinEnv;
  let proxy: AwsProxy;
  let kubeconfig: string;

  before(async () => {
    aws = await startAwsJoinEnv();
    ({ proxy, kubeconfig } = aws);
  });

  after(async () => {
    await aws?.stop();
  });

  const args = (pool: string) => ['join', '--cloud', 'aws', '--api-server', 'cp.example.internal:6443', '--yes', '--pool', pool, '--count', '1', '--kubeconfig', kubeconfig];

  it('off a terminal: timestamped lines, no control characters, no redrawn lines', async () => {
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [bin, ...args('offtty')], { env: motoCliEnv(proxy.url), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    assert.equal(r.code, 0, r.stderr);
    for (const out of [r.stdout, r.stderr]) assert.ok(!out.includes(ESC) && !out.includes('\r'), JSON.stringify(out));
    assert.match(r.stderr, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[ℹ\]  offtty-[a-z0-9]{5}: Node is Ready$/m);
    assert.doesNotMatch(r.stderr, /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/);
  });

  it('on a terminal: a line per node with its phase and elapsed time, redrawn in place, erased before the summary', async () => {
    const r = await watchOnTerminal(args('ontty'), { ...motoCliEnv(proxy.url), TERM: 'xterm', COLUMNS: '120' });
    assert.equal(r.code, 0, r.screen);
    const node = /ontty-[a-z0-9]{5}/.exec(r.screen)?.[0];
    assert.ok(node, r.screen);
    // Redrawn while the VM boots and registers: spinner, node, elapsed, what it is doing.
    const live = [...r.screen.matchAll(new RegExp(`[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏](?:\\u001b\\[\\d+m)?  ${node} +\\d+s  (.+?)(?:\\r|\\n|\\u001b|$)`, 'g'))];
    assert.ok(live.length >= 2, `per-node lines: ${live.length}\n${JSON.stringify(r.screen.slice(-3000))}`);
    // The line is erased in place (carriage return, clear line), not appended.
    assert.ok(r.screen.includes('\r\u001b[2K'));
    // Ready ends it with a mark and a stopped clock, and the summary follows it.
    assert.match(r.screen, new RegExp(`✔(?:\\u001b\\[\\d+m)?  ${node} +\\d+s  Node is Ready`));
    assert.ok(r.screen.lastIndexOf('\r\u001b[2K') < r.screen.search(/1\/1 nodes ready in pool ontty/));
    // No timestamps on a terminal, as before.
    assert.doesNotMatch(r.screen, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[/m);
  });
});
