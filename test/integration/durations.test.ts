import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DURATION_EXPECTED, durationProblem, formatDuration, parseDuration } from '../../src/config/duration.js';

const bin = fileURLToPath(new URL('../../bin/win-k8s.js', import.meta.url));
const cwd = mkdtempSync(join(tmpdir(), 'win-k8s-durations-'));
// No cluster is reachable: a value the parser accepts goes on and fails later, on the kubeconfig.
const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', KUBECONFIG: join(cwd, 'missing'), ...env }, timeout: 30_000 });

describe('durations as Kubernetes users write them', () => {
  const accepted: [string, number][] = [
    ['0', 0],
    ['90s', 90_000],
    ['2m30s', 150_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['1h0m0s', 3_600_000],
    ['1.5h', 5_400_000],
    ['1m500ms', 60_500],
    [' 20m ', 1_200_000],
  ];
  const refused = ['', '5', '1d', '1h30', 'h', '-1s', '1H', '3min', '1 h', '1h-30m', '.s', 'soon', '1e3s'];

  it('one parser: the accepted table', () => {
    for (const [text, ms] of accepted) assert.equal(parseDuration(text), ms, text);
  });

  it('one parser: the refused table, each with the same wording', () => {
    for (const text of refused) {
      assert.equal(parseDuration(text), undefined, text);
      assert.equal(durationProblem(text), `${DURATION_EXPECTED}, got "${text}"`);
    }
  });

  it('a bare number is seconds only where kubectl says so (--request-timeout)', () => {
    assert.equal(parseDuration('30', { bareSeconds: true }), 30_000);
    assert.equal(parseDuration('30'), undefined);
  });

  it('ranges are named in the duration users write', () => {
    assert.equal(durationProblem('30s', { min: 60_000 }), 'expected a duration of at least 1m, got "30s"');
    assert.equal(durationProblem('169h', { max: 168 * 3_600_000 }), 'expected a duration of at most 168h, got "169h"');
    assert.equal(formatDuration(5_400_500), '1h30m500ms');
  });

  // Every duration flag of the CLI, with a command that takes it and a value it accepts.
  const flags: { args: string[]; flag: string; ok: string; env: string }[] = [
    { args: ['join'], flag: '--timeout', ok: '1h30m', env: 'WIN_K8S_TIMEOUT' },
    { args: ['provision'], flag: '--timeout', ok: '2m30s', env: 'WIN_K8S_TIMEOUT' },
    { args: ['join'], flag: '--token-ttl', ok: '1h30m', env: 'WIN_K8S_TOKEN_TTL' },
    { args: ['plan'], flag: '--request-timeout', ok: '1m30s', env: 'WIN_K8S_REQUEST_TIMEOUT' },
    { args: ['remove', '--pool', 'win'], flag: '--drain-timeout', ok: '2m30s', env: 'WIN_K8S_DRAIN_TIMEOUT' },
    { args: ['diagnose'], flag: '--wait', ok: '1m30s', env: 'WIN_K8S_WAIT' },
    { args: ['diagnose'], flag: '--probe-timeout', ok: '1m500ms', env: 'WIN_K8S_PROBE_TIMEOUT' },
  ];

  for (const { args, flag, ok, env } of flags) {
    it(`${args[0]} ${flag}: refused values exit 2 naming the flag (or variable) with the one wording; ${ok} is accepted`, () => {
      for (const bad of ['1h30', '3min']) {
        const r = run([...args, flag, bad]);
        assert.equal(r.status, 2, r.stderr);
        assert.ok(r.stderr.includes(`${flag}: ${DURATION_EXPECTED}, got "${bad}"`), r.stderr);
      }
      const fromEnv = run(args, { [env]: 'soon' });
      assert.equal(fromEnv.status, 2, fromEnv.stderr);
      assert.ok(fromEnv.stderr.includes(`${env}: ${DURATION_EXPECTED}, got "soon"`), fromEnv.stderr);
      const good = run([...args, flag, ok]);
      assert.ok(!good.stderr.includes(`${flag}:`), good.stderr);
      assert.match(good.stderr, /KUBECONFIG|kubeconfig/, 'got past the flag to reading the cluster');
    });
  }

  it('ranges refuse with the flag named: --token-ttl under 1m, --probe-timeout under 1s', () => {
    const ttl = run(['join', '--token-ttl', '30s']);
    assert.equal(ttl.status, 2);
    assert.match(ttl.stderr, /--token-ttl: expected a duration of at least 1m, got "30s"/);
    const probe = run(['diagnose', '--probe-timeout', '500ms']);
    assert.equal(probe.status, 2);
    assert.match(probe.stderr, /--probe-timeout: expected a duration of at least 1s, got "500ms"/);
  });
});
