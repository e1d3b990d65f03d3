import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/win-k8s.js', import.meta.url));

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/**
 * Runs the built CLI with stdout on a pipe that the reader closes: at once (before the CLI
 * writes anything) or, as `head -1` does, after the first line.
 */
function readAndClose(args: string[], when: 'at-once' | 'after-first-line'): Promise<Ended> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '' } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    if (when === 'at-once') child.stdout.destroy();
    else {
      let seen = '';
      child.stdout.on('data', (chunk: Buffer) => {
        seen += chunk.toString('utf8');
        if (seen.includes('\n')) child.stdout.destroy();
      });
    }
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`win-k8s ${args.join(' ')} did not end`));
    }, 20_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr });
    });
  });
}

describe('output to a closed pipe ends quietly (win-k8s --help | head -1)', () => {
  // The write and the reader's close race: many runs, so a run that loses the race shows up.
  for (const args of [['--help'], ['join', '--help'], ['render', '--help']]) {
    for (const when of ['at-once', 'after-first-line'] as const) {
      it(`win-k8s ${args.join(' ')}, reader closing ${when.replace(/-/g, ' ')}: exit 0 or 141, nothing on stderr (12 runs)`, async () => {
        const runs = await Promise.all(Array.from({ length: 12 }, () => readAndClose(args, when)));
        for (const r of runs) {
          assert.equal(r.signal, null);
          assert.ok(r.code === 0 || r.code === 141, `exit ${r.code}, stderr: ${r.stderr}`);
          assert.equal(r.stderr, '', 'no stack trace, no message');
        }
        // Closed before anything was written, every run must have seen the broken pipe.
        if (when === 'at-once') assert.ok(runs.every((r) => r.code === 141), `exits: ${runs.map((r) => r.code).join(',')}`);
      });
    }
  }

  it('a closed stderr loses only the logs: the command still ends with its own exit code', async () => {
    const runs = await Promise.all(
      Array.from(
        { length: 8 },
        () =>
          new Promise<number | null>((resolve, reject) => {
            // render without its required flags: a usage error, reported on stderr only.
            const child = spawn(process.execPath, [bin, 'render'], { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env.PATH ?? '' } });
            child.stderr.destroy();
            child.on('error', reject);
            child.on('close', (code) => resolve(code));
          }),
      ),
    );
    assert.deepEqual(runs, Array(8).fill(2));
  });
});
