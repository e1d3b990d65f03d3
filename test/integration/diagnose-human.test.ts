import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { SimulatedKubeletOptions } from '../fakes/kube-apiserver/index.js';
import { healthy, putHealthyWindowsNode, withFake } from '../helpers/diagnose.js';
import { watchOnTerminal } from '../helpers/pty.js';

/**
 * diagnose for people, through bin/win-k8s.js: -o short, and progress while the node script's
 * pods run — a spinner on a terminal (a pseudo-terminal from `script`), plain lines off one.
 */
const bin = fileURLToPath(new URL('../../bin/win-k8s.js', import.meta.url));
const report = readFileSync(new URL('../fixtures/node-checks/healthy-containerd-flannel.json', import.meta.url), 'utf8');
const ESC = '\u001b';

/** The node script answers after `delayMs`, with a healthy report. */
const slowScript = (delayMs: number): SimulatedKubeletOptions => ({
  run: (pod) =>
    pod.metadata?.labels?.['win-k8s.io/node-checks'] === 'true'
      ? { delayMs, containers: { 'node-checks': { exitCode: 0, log: `WIN-K8S-NODE-REPORT-BEGIN\n${report}\nWIN-K8S-NODE-REPORT-END\n` } } }
      : undefined,
});

const baseEnv = () => ({ PATH: process.env.PATH ?? '', HOME: tmpdir(), WIN_K8S_POLL_INTERVAL: '100' });

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...baseEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('diagnose for people (bin/win-k8s.js)', function () {
  this.timeout(120_000);

  it('-o short: one line per category, only the failures spelled out with hint and docs', async () => {
    await withFake(healthy(), async (fake, kc) => {
      putHealthyWindowsNode(fake, 'win-1', { octet: 21, build: '10.0.14393' });
      const r = await cli(['diagnose', '--kubeconfig', kc, '--skip-probes', '--skip-node-checks', '-o', 'short']);
      assert.equal(r.code, 1, r.stderr);
      const lines = r.stdout.trimEnd().split('\n');
      const categories = lines.filter((l) => /^[✔!✖-] \S+: /.test(l));
      assert.ok(categories.length >= 2, r.stdout);
      assert.match(r.stdout, /^✖ node: 1 failed, .*\d+ passed/m);
      assert.match(r.stdout, /^ {2}✖ .* \[win-1\]: Windows Server 2016.*\(node\.windows-build\)\n {4}hint: reinstall with.*\n {4}docs: https:\/\/\S+$/m);
      // Passing checks are counted, not listed.
      assert.doesNotMatch(r.stdout, /^ {2}✔/m);
      assert.match(lines.at(-1)!, /\d+ passed, \d+ warnings?, 1 failed, \d+ skipped/);
      // The environment variable says the same; other commands refuse it, naming the flag.
      const fromEnv = await cli(['diagnose', '--kubeconfig', kc, '--skip-probes', '--skip-node-checks'], { WIN_K8S_OUTPUT: 'short' });
      assert.equal(fromEnv.stdout, r.stdout);
      const list = await cli(['list', '--kubeconfig', kc, '-o', 'short']);
      assert.equal(list.code, 2);
      assert.match(list.stderr, /--output: expected human or json \(short is for diagnose\), got "short"/);
    });
  });

  it('off a terminal: plain progress lines, one every few seconds while the node script runs, no control characters', async () => {
    await withFake(
      healthy(),
      async (fake, kc) => {
        putHealthyWindowsNode(fake, 'win-1', { octet: 21 });
        const r = await cli(['diagnose', '--kubeconfig', kc, '--skip-probes', '--checks', 'node.host.*']);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.match(r.stderr, /running the node script on 1 Windows node/);
        assert.match(r.stderr, /still running the node script on 1 Windows node .*\(\d+s\)/);
        for (const out of [r.stdout, r.stderr]) {
          assert.ok(!out.includes(ESC) && !out.includes('\r'), JSON.stringify(out));
        }
        // -o json stays one document on stdout.
        const json = await cli(['diagnose', '--kubeconfig', kc, '--skip-probes', '--skip-node-checks', '-o', 'json']);
        assert.ok(Array.isArray((JSON.parse(json.stdout) as { checks: unknown[] }).checks));
      },
      slowScript(6000),
    );
  });

  it('on a terminal: a spinner redrawn in place while the node script runs, erased before the result', async () => {
    await withFake(
      healthy(),
      async (fake, kc) => {
        putHealthyWindowsNode(fake, 'win-1', { octet: 21 });
        const r = await watchOnTerminal(['diagnose', '--kubeconfig', kc, '--skip-probes', '--checks', 'node.host.*'], baseEnv());
        assert.equal(r.code, 0, r.screen);
        const frames = [...r.screen.matchAll(/\r\u001b\[2K\S*[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]\S* running the node script on 1 Windows node/g)];
        assert.ok(frames.length >= 3, `spinner frames: ${frames.length}\n${JSON.stringify(r.screen)}`);
        // No "still ..." lines on a terminal, and the result comes after the spinner is erased.
        assert.doesNotMatch(r.screen, /still running/);
        const lastErase = r.screen.lastIndexOf('\r\u001b[2K');
        assert.ok(lastErase >= 0 && lastErase < r.screen.search(/\d+ passed, \d+ warnings?, 0 failed/));
      },
      slowScript(1500),
    );
  });

  it('CI on a terminal: no spinner', async () => {
    await withFake(
      healthy(),
      async (fake, kc) => {
        putHealthyWindowsNode(fake, 'win-1', { octet: 21 });
        const r = await watchOnTerminal(['diagnose', '--kubeconfig', kc, '--skip-probes', '--checks', 'node.host.*', '--no-color'], { ...baseEnv(), CI: 'true' });
        assert.equal(r.code, 0, r.screen);
        assert.doesNotMatch(r.screen, /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/);
        assert.ok(!r.screen.includes(ESC), JSON.stringify(r.screen));
      },
      slowScript(500),
    );
  });
});
