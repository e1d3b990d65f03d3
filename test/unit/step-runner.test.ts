import assert from 'node:assert/strict';
import type { OutputEvent } from '../../src/output/output.js';
import { StepRunner } from '../../src/pool/step-runner.js';
import { joinSteps } from '../../src/plan/steps.js';

describe('StepRunner: join runs the plan by its step ids', () => {
  const plan = joinSteps({ mode: 'join', cloud: 'aws', cluster: 'demo', pool: 'win', nodes: ['win-aaaaa'], windowsVersion: '2022', cni: 'flannel', hypervIsolation: false, tokenTtlSeconds: 1800 });

  it('reports each step as it starts, records done, failed and skipped with times, and refuses a step the plan lacks', async () => {
    const events: OutputEvent[] = [];
    let t = 0;
    const runner = new StepRunner(plan, (e) => events.push(e), () => (t += 1500));
    assert.equal(await runner.run('firewall', async () => 'sg-1'), 'sg-1');
    await assert.rejects(runner.run('token', async () => Promise.reject(new Error('forbidden'))), /forbidden/);
    runner.skip('vms', 'no token');
    await assert.rejects(runner.run('upgrade', async () => 1), /step upgrade is not in the plan/);
    assert.deepEqual(runner.outcomes, [
      { id: 'firewall', status: 'done', seconds: 1.5 },
      { id: 'token', status: 'failed', seconds: 1.5, reason: 'forbidden' },
      { id: 'vms', status: 'skipped', seconds: 0, reason: 'no token' },
    ]);
    assert.deepEqual(events.map((e) => e.message), [`step 1/8: ${plan[0]!.describe}`, `step 2/8: ${plan[1]!.describe}`]);
  });
});
