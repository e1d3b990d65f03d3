import assert from 'node:assert/strict';
import { ConfigFile } from '../../src/config/schema.js';
import type { ClusterFacts } from '../../src/cluster/discovery.js';
import { buildPlan, matrixTarget, planTarget } from '../../src/plan/plan.js';
import { describeSteps, type PlanStep } from '../../src/plan/steps.js';
import { kubeadmFlannelFacts } from '../helpers/cluster-facts.js';

/** No network is involved anywhere here. */
const facts = kubeadmFlannelFacts;

const config = (pool: Record<string, unknown> = {}, rest: Record<string, unknown> = {}) => ConfigFile.parse({ pool: { name: 'win', count: 2, ...pool }, ...rest });
const ids = (steps: PlanStep[]) => steps.map((s) => s.id);

describe('buildPlan (pure: config + facts -> plan)', () => {
  it('a join: target from the config and the cluster, nodes as named, and the steps in order', () => {
    const plan = buildPlan(config({}, { cloud: 'aws' }), { cluster: facts(), checks: [{ id: 'cni', status: 'pass', message: 'flannel' }], nodeNames: ['win-aaaaa', 'win-bbbbb'] });
    assert.equal(plan.target.kubernetesVersion, '1.33.2', 'the cluster version when none is asked for');
    assert.equal(plan.target.windowsVersion, '2022');
    assert.equal(plan.target.runtime, 'containerd');
    assert.match(plan.target.containerdVersion ?? '', /^\d+\.\d+\.\d+$/, 'the containerd version is decided in the plan');
    assert.equal(plan.target.hypervIsolation, false);
    assert.deepEqual(plan.nodes, [{ name: 'win-aaaaa' }, { name: 'win-bbbbb' }]);
    assert.equal(plan.joinable, true);
    assert.deepEqual(ids(plan.steps), ['firewall', 'token', 'vms', 'ready', 'label', 'runtimeclasses', 'rbac', 'delete-token']);
    assert.deepEqual(ids(plan.steps[2]!.children!), ['vms/win-aaaaa', 'vms/win-bbbbb']);
    assert.match(plan.steps[1]!.describe, /expires after 30m/);
  });

  it('provision has no token and no cluster steps; calico and Hyper-V change what is applied', () => {
    const provision = buildPlan(config(), { cluster: facts(), checks: [], nodeNames: ['win-aaaaa'] }, 'provision');
    assert.deepEqual(ids(provision.steps), ['firewall', 'vms', 'provisioned']);
    const calico = buildPlan(config({ cni: 'calico', hypervIsolation: true, windowsVersion: '2025', taintWindows: true }), { cluster: facts({ cni: { type: 'calico' } } as Partial<ClusterFacts>), checks: [], nodeNames: ['win-aaaaa'] });
    assert.deepEqual(ids(calico.steps), ['firewall', 'token', 'vms', 'ready', 'label', 'runtimeclasses', 'calico', 'delete-token']);
    assert.match(calico.steps.find((s) => s.id === 'runtimeclasses')!.describe, /windows-2025 and windows-hyperv/);
    assert.match(calico.steps.find((s) => s.id === 'label')!.describe, /taint them os=windows:NoSchedule/);
  });

  it('a failed check makes the plan not joinable; Docker has no containerd version', () => {
    const plan = buildPlan(config({ runtime: 'docker', windowsVersion: '2019', kubernetesVersion: '1.33.0' }), { cluster: facts(), checks: [{ id: 'cluster.flavor', status: 'fail', message: 'managed', hint: 'use provision' }], nodeNames: [] });
    assert.equal(plan.joinable, false);
    assert.deepEqual(plan.checks, [{ id: 'cluster.flavor', status: 'fail', message: 'managed', hint: 'use provision' }]);
    assert.equal(plan.target.containerdVersion, null);
    assert.equal(plan.target.kubernetesVersion, '1.33.0');
  });

  it('the same input gives the same plan, and its steps describe themselves', () => {
    const input = { cluster: facts(), checks: [], nodeNames: ['win-aaaaa'] };
    assert.deepEqual(buildPlan(config(), input), buildPlan(config(), input));
    const lines = describeSteps(buildPlan(config(), input).steps);
    assert.equal(lines[0], "1. ensure the pool's firewall on the cloud (node ports from the network only)");
    assert.ok(lines.includes('   - create win-aaaaa'));
  });

  it('the matrix and preflight judge the target the plan prints (one derivation)', () => {
    const input = { cluster: facts({ placement: { cloud: 'aws', region: 'eu-west-1' } } as Partial<ClusterFacts>), checks: [], nodeNames: [] };
    for (const c of [config(), config({ containerdVersion: '2.2.5', kubernetesVersion: '1.35.1' }), config({ runtime: 'docker', windowsVersion: '2019', hypervIsolation: true })]) {
      const plan = buildPlan(c, input);
      assert.deepEqual(planTarget(c, input.cluster), plan.target);
      const t = plan.target;
      assert.deepEqual(matrixTarget(t), {
        windowsVersion: t.windowsVersion,
        kubernetesVersion: t.kubernetesVersion,
        runtime: t.runtime,
        cni: t.cni,
        hypervIsolation: t.hypervIsolation,
        containerdVersion: t.containerdVersion ?? undefined,
      });
    }
    const pinned = buildPlan(config({ containerdVersion: '2.2.5', kubernetesVersion: '1.35.1' }), input).target;
    assert.equal(pinned.containerdVersion, '2.2.5');
    assert.equal(pinned.cloud, 'aws');
    assert.equal(pinned.region, 'eu-west-1', 'the control plane\'s region when the VMs go to its cloud');
    assert.equal(matrixTarget(buildPlan(config({ runtime: 'docker' }), input).target).containerdVersion, undefined);
  });
});
