import assert from 'node:assert/strict';
import { COUNT_EVERY_MS, startActivity } from '../../src/output/activity.js';
import type { Output } from '../../src/output/output.js';

/**
 * The progress line's counts: a step followed by " — " and a count stays one step. The output is
 * a recorder with the members startActivity uses; the clock is a variable the test moves.
 */
function recorder(live: boolean) {
  const lines: string[] = [];
  let overlay: { draw(): string } | undefined;
  const output = {
    live,
    style: { cyan: (s: string) => s, dim: (s: string) => s },
    info: (s: string) => lines.push(s),
    setOverlay: (o: { draw(): string } | undefined) => (overlay = o),
    redraw: () => undefined,
  } as unknown as Output;
  return { output, lines, drawn: () => overlay?.draw() };
}

describe('progress line counts (src/output/activity.ts)', () => {
  it('off a terminal: the same step with a new count prints at most once a second, and its last count before the next step', () => {
    let t = 0;
    const { output, lines } = recorder(false);
    const a = startActivity(output, 'starting the network probe pods on 2 Windows nodes', () => t);
    t += 100;
    a.update('starting the network probe pods on 2 Windows nodes — probe pods: 0/3 running');
    t += 200;
    a.update('starting the network probe pods on 2 Windows nodes — probe pods: 1/3 running');
    assert.deepEqual(lines, ['starting the network probe pods on 2 Windows nodes']);
    t += COUNT_EVERY_MS;
    a.update('starting the network probe pods on 2 Windows nodes — probe pods: 3/8 running');
    assert.equal(lines.at(-1), 'starting the network probe pods on 2 Windows nodes — probe pods: 3/8 running');
    t += 10;
    a.update('starting the network probe pods on 2 Windows nodes — probe pods: 8/8 running');
    a.update('reading the results');
    assert.deepEqual(lines, [
      'starting the network probe pods on 2 Windows nodes',
      'starting the network probe pods on 2 Windows nodes — probe pods: 3/8 running',
      'starting the network probe pods on 2 Windows nodes — probe pods: 8/8 running',
      'reading the results',
    ]);
    a.stop();
  });

  it('on a terminal: a new count redraws the spinner, nothing is logged until the step ends, with its last count', () => {
    let t = 0;
    const { output, lines, drawn } = recorder(true);
    const a = startActivity(output, 'running the node script on 1 Windows node', () => t);
    a.update('running the node script on 1 Windows node — node script pods: 0/1 running');
    assert.match(drawn() ?? '', /running the node script on 1 Windows node — node script pods: 0\/1 running \(0s\)$/);
    t += 3000;
    a.update('running the node script on 1 Windows node — node script pods: 1/1 running');
    assert.match(drawn() ?? '', /node script pods: 1\/1 running \(3s\)$/);
    assert.deepEqual(lines, []);
    a.update('starting the network probe pods on 1 Windows node');
    assert.deepEqual(lines, ['running the node script on 1 Windows node — node script pods: 1/1 running (3s)']);
    a.stop();
  });
});
