import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { healthy, putHealthyWindowsNode, runDiagnose, withFake } from '../helpers/diagnose.js';
import { probeNetwork } from '../helpers/probe-network.js';
import { watchOnTerminal } from '../helpers/pty.js';

/**
 * While probe pods start, the progress line counts them ("probe pods: 3/8 running"): redrawn in
 * place on a terminal, as plain lines (at most one a second, and the last) off one.
 */
const PROBES_ONLY = ['--skip-node-checks', '--checks', 'probe.*,net.dns.cluster,cluster.windows-nodes', '--probe-timeout', '30s'];

async function twoNodes(fn: (kc: string) => Promise<void>): Promise<void> {
  await withFake(
    healthy(),
    async (fake, kc) => {
      putHealthyWindowsNode(fake, 'win-1', { octet: 21 });
      putHealthyWindowsNode(fake, 'win-2', { octet: 22 });
      await fn(kc);
    },
    // Slow starts, so several polls see the pods on their way up.
    { run: probeNetwork({}), startDelayMs: 1200 },
  );
}

describe('diagnose progress: per-pod counts while probe pods start', function () {
  this.timeout(120_000);

  it('off a terminal: plain count lines for the probe step, ending with every probe pod counted', async () => {
    await twoNodes(async (kc) => {
      const r = await runDiagnose(['--kubeconfig', kc, ...PROBES_ONLY], { env: { WIN_K8S_POLL_INTERVAL: '100' } });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const counts = [...r.stderr.matchAll(/starting the network probe pods on [^\n]*? — probe pods: (\d+)\/(\d+) running/g)].map((m) => [Number(m[1]), Number(m[2])] as const);
      assert.ok(counts.length >= 2, r.stderr);
      // Each a count of pods created so far; the last has every probe pod started.
      for (const [started, total] of counts) assert.ok(started <= total, r.stderr);
      const [lastStarted, lastTotal] = counts.at(-1)!;
      assert.equal(lastStarted, lastTotal, r.stderr);
      assert.ok(lastTotal >= 5, `server pods and client pods are counted: ${r.stderr}`);
      assert.ok(!r.stderr.includes('\u001b') && !r.stderr.includes('\r'), JSON.stringify(r.stderr));
    });
  });

  it('on a terminal: the spinner line carries the count, redrawn in place, and the step ends logged with every pod counted', async () => {
    await twoNodes(async (kc) => {
      const r = await watchOnTerminal(['diagnose', '--kubeconfig', kc, ...PROBES_ONLY], { PATH: process.env.PATH ?? '', HOME: tmpdir(), WIN_K8S_POLL_INTERVAL: '100' });
      assert.equal(r.code, 0, r.screen);
      const frames = [...r.screen.matchAll(/\r\u001b\[2K\S*[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]\S* starting the network probe pods on [^\r\n]*? — probe pods: (\d+)\/(\d+) running/g)];
      assert.ok(frames.length >= 3, `spinner frames with a count: ${frames.length}\n${JSON.stringify(r.screen)}`);
      // More than one count was drawn, all within the one step: no log line per count.
      assert.ok(new Set(frames.map((m) => `${m[1]}/${m[2]}`)).size >= 2, JSON.stringify(r.screen));
      const logged = [...r.screen.matchAll(/\n[^\n]*starting the network probe pods on [^\r\n]*?(?: — probe pods: (\d+)\/(\d+) running)? \S*\(\d+s\)/g)];
      assert.equal(logged.length, 1, JSON.stringify(r.screen));
      assert.ok(logged[0]![1] !== undefined && logged[0]![1] === logged[0]![2], JSON.stringify(logged[0]![0]));
      assert.doesNotMatch(r.screen, /still starting/);
    });
  });
});
