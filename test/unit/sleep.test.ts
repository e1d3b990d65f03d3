import assert from 'node:assert/strict';
import { sleep } from '../../src/util/sleep.js';
import { watchConsoles } from '../../src/pool/console.js';
import type { NodeOutcome } from '../../src/pool/result.js';

// The console's pace after boot by default: what a join waited for nothing. Long beside one turn
// of the event loop, short enough that a broken sleep only delays the end of a failing run.
const POLL = 60_000;

/**
 * Which settles first: the promise, or the event loop's next turn. A promise that is already
 * settled (or settles through microtasks alone) wins; one that waits for a timer loses. No
 * wall-clock bound is involved.
 */
function beforeNextTurn(p: Promise<unknown>): Promise<'settled' | 'pending'> {
  return Promise.race([p.then(() => 'settled' as const), new Promise<'pending'>((r) => setImmediate(() => r('pending')))]);
}

describe('sleep (src/util/sleep.ts)', () => {
  it('returns at once on a signal aborted before the call (its abort event will not fire again)', async () => {
    const stop = new AbortController();
    stop.abort();
    assert.equal(await beforeNextTurn(sleep(POLL, stop.signal)), 'settled');
  });

  it('returns as soon as the signal aborts while it sleeps', async () => {
    const stop = new AbortController();
    const pending = sleep(POLL, stop.signal);
    assert.equal(await beforeNextTurn(pending), 'pending');
    stop.abort();
    assert.equal(await beforeNextTurn(pending), 'settled');
  });

  it('sleeps its time while the signal stays live; no time is no sleep', async () => {
    const stop = new AbortController();
    assert.equal(await beforeNextTurn(sleep(POLL, stop.signal)), 'pending');
    stop.abort();
    assert.equal(await beforeNextTurn(sleep(0)), 'settled');
  });
});

describe('the console watcher of join', () => {
  const outcome = (name: string): NodeOutcome => ({ name, instanceId: name, privateIp: null, status: 'TimedOut', phases: {} });
  const quiet = { info: () => undefined, error: () => undefined };

  it('ends at once when the stop comes during a console read (the last Node turned Ready), not a poll interval later', async () => {
    const stop = new AbortController();
    let reads = 0;
    const done = watchConsoles({
      provider: {
        consoleOutput: async () => {
          reads++;
          // The wait for the Nodes ends while this read is out.
          stop.abort();
          return 'win-k8s: preflight started\n';
        },
      },
      output: quiet,
      mode: 'join',
      consolePollMs: POLL,
      timeoutMs: 10 * POLL,
      signal: stop.signal,
      vms: [{ nodeName: 'win-a', instanceId: 'win-a' }],
      createStarted: Date.now(),
      outcomes: new Map([['win-a', outcome('win-a')]]),
      failed: () => undefined,
    });
    assert.equal(await beforeNextTurn(done), 'settled', 'the watcher did not sleep its hour');
    assert.equal(reads, 1);
  });

  it('ends at once when the stop comes while it waits between reads', async () => {
    const stop = new AbortController();
    const outcomes = new Map([['win-a', outcome('win-a')]]);
    const done = watchConsoles({
      provider: { consoleOutput: async () => 'win-k8s: preflight started\n' },
      output: quiet,
      mode: 'join',
      consolePollMs: POLL,
      timeoutMs: 10 * POLL,
      signal: stop.signal,
      vms: [{ nodeName: 'win-a', instanceId: 'win-a' }],
      createStarted: Date.now(),
      outcomes,
      failed: () => undefined,
    });
    assert.equal(await beforeNextTurn(done), 'pending');
    assert.notEqual(outcomes.get('win-a')!.phases.boot, undefined, 'the first read happened');
    stop.abort();
    assert.equal(await beforeNextTurn(done), 'settled');
  });
});
