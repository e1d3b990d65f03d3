import assert from 'node:assert/strict';
import { PREFLIGHT_CHECKS, runPreflightChecks, type PreflightFacts } from '../../src/cluster/preflight.js';
import type { ClusterFacts } from '../../src/cluster/discovery.js';
import { runChecks } from '../../src/diagnose/runner.js';

function facts(cni: ClusterFacts['cni'], targetCni: PreflightFacts['target']['cni'], over: Partial<PreflightFacts> = {}): PreflightFacts {
  return {
    windowsNodes: [],
    cluster: {
      name: 'k',
      version: '1.33.2',
      gitVersion: 'v1.33.2',
      endpoint: '10.0.0.1:6443',
      endpointSource: 'cluster-info',
      caCertHash: `sha256:${'ab'.repeat(32)}`,
      serviceCidr: '10.96.0.0/12',
      podCidr: '10.244.0.0/16',
      cidrSource: 'kubeadm-config',
      dnsIp: '10.96.0.10',
      cni,
      flavor: 'kubeadm',
      nodes: [],
      notes: [],
    },
    target: { windowsVersion: '2022', kubernetesVersion: '1.33.2', runtime: 'containerd', cni: targetCni, hypervIsolation: false },
    taintWindows: false,
    allowUnsupported: false,
    contextName: 'admin',
    denied: [],
    bindings: { items: [] },
    daemonSets: { items: [] },
    ...over,
  };
}

const FLANNEL: ClusterFacts['cni'] = { type: 'flannel', flannel: { namespace: 'kube-flannel', backendType: 'vxlan', vni: 4096, port: 4789 } };
const CALICO: ClusterFacts['cni'] = { type: 'calico', calico: { installation: true, windowsDataplane: 'HNS', serviceCIDRs: ['10.96.0.0/12'], encapsulations: ['VXLAN'] } };

describe('preflight checks (registry definitions over facts, no cluster)', () => {
  it('are cluster-scoped, independent definitions with unique ids', () => {
    const ids = PREFLIGHT_CHECKS.map((c) => c.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const c of PREFLIGHT_CHECKS) {
      assert.equal(c.scope, 'cluster', c.id);
      assert.deepEqual(c.dependsOn, [], c.id);
      assert.ok(c.title && c.category, c.id);
    }
  });

  it('exactly one CNI check answers for each cluster CNI and --cni', async () => {
    const cnis: ClusterFacts['cni'][] = [FLANNEL, CALICO, { type: 'aws-vpc-cni' }, { type: 'unknown' }];
    const expected: Record<string, Record<string, string>> = {
      flannel: { flannel: 'cni.flannel', calico: 'cni.windows', none: 'cni.windows' },
      calico: { flannel: 'cni.windows', calico: 'cni.calico', none: 'cni.windows' },
      'aws-vpc-cni': { flannel: 'cni.windows', calico: 'cni.windows', none: 'cni.windows' },
      unknown: { flannel: 'cni.windows', calico: 'cni.windows', none: 'cni.windows' },
    };
    for (const cni of cnis) {
      for (const target of ['flannel', 'calico', 'none'] as const) {
        const results = await runChecks(PREFLIGHT_CHECKS, facts(cni, target));
        const cniIds = results.map((r) => r.id).filter((id) => id.startsWith('cni.'));
        assert.deepEqual(cniIds, [expected[cni.type]![target]], `${cni.type} with --cni ${target}`);
      }
    }
  });

  it('a list the user may not read makes its check warn, and results keep registry order', async () => {
    const results = await runChecks(PREFLIGHT_CHECKS, facts(FLANNEL, 'flannel', { bindings: { forbidden: 'clusterrolebindings is forbidden' }, daemonSets: { forbidden: 'daemonsets is forbidden' } }));
    assert.deepEqual(
      results.map((r) => r.id),
      ['cluster.flavor', 'cluster.endpoint', 'cluster.network', 'rbac.permissions', 'compat.matrix', 'version.skew', 'cni.flannel', 'rbac.bootstrap', 'daemonsets.linux-only'],
    );
    for (const id of ['rbac.bootstrap', 'daemonsets.linux-only']) {
      const r = results.find((x) => x.id === id)!;
      assert.equal(r.status, 'warn', id);
      assert.match(r.message, /^could not check: .* is forbidden$/);
    }
    assert.equal(results.find((x) => x.id === 'rbac.bootstrap')!.hint, 'run with a cluster-admin kubeconfig to check this');
  });

  it('denied verbs fail rbac.permissions, naming the context', async () => {
    const [r] = await runChecks(PREFLIGHT_CHECKS.filter((c) => c.id === 'rbac.permissions'), facts(FLANNEL, 'flannel', { denied: ['patch nodes', 'create secrets in kube-system'], contextName: 'limited' }));
    assert.equal(r!.status, 'fail');
    assert.equal(r!.message, 'the current user (context limited) may not: create secrets in kube-system; patch nodes');
  });

  it('runPreflightChecks gives the plan its checks in their own shape (id, status, message, hint), synchronously', () => {
    const checks = runPreflightChecks(facts(FLANNEL, 'calico', { denied: ['patch nodes'] }));
    for (const c of checks) assert.deepEqual(Object.keys(c).sort(), c.hint === undefined ? ['id', 'message', 'status'] : ['hint', 'id', 'message', 'status'], c.id);
    assert.deepEqual(
      checks.filter((c) => c.status === 'fail').map((c) => c.id),
      ['rbac.permissions', 'cni.windows', 'rbac.bootstrap'],
    );
    assert.equal(checks.find((c) => c.id === 'cni.windows')!.hint, 'use --cni flannel');
  });
});
