import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type * as k8s from '@kubernetes/client-node';
import { CHECKS } from '../../src/diagnose/checks.js';
import { extractNodeReport, NODE_REPORT_BEGIN, NODE_REPORT_END, type NodeReport } from '../../src/diagnose/node-report.js';
import { runChecks } from '../../src/diagnose/runner.js';
import type { CheckResult, NodeReportEntry, Snapshot } from '../../src/diagnose/types.js';

/**
 * kube-proxy and the CNI agent outside pods: a node win-k8s joined with flannel runs kube-proxy
 * as a Windows service and flanneld as a supervised process, so "no pod" is its healthy state.
 */

function report(edit?: (doc: Record<string, any>) => void): NodeReport {
  const doc = JSON.parse(readFileSync(new URL('../fixtures/node-checks/healthy-containerd-flannel.json', import.meta.url), 'utf8')) as Record<string, any>;
  edit?.(doc);
  const r = extractNodeReport(`${NODE_REPORT_BEGIN}\n${JSON.stringify(doc)}\n${NODE_REPORT_END}\n`);
  if ('error' in r) throw new Error(r.error);
  return r.report;
}

function winNode(pool?: string, allocatable?: Record<string, string>): k8s.V1Node {
  return {
    metadata: { name: 'win-1', labels: { 'kubernetes.io/os': 'windows', 'node.kubernetes.io/windows-build': '10.0.20348', ...(pool ? { 'win-k8s.io/pool': pool } : {}) } },
    spec: { podCIDR: '10.244.21.0/24' },
    status: { conditions: [{ type: 'Ready', status: 'True' }], ...(allocatable ? { allocatable } : {}), nodeInfo: { containerRuntimeVersion: 'containerd://2.0.0', kubeletVersion: 'v1.33.2' } as k8s.V1NodeSystemInfo },
  };
}

const FLANNEL: Snapshot['facts']['cni'] = { type: 'flannel', flannel: { namespace: 'kube-flannel', backendType: 'vxlan', vni: 4096, port: 4789, network: '10.244.0.0/16' } };

function run(opts: { pool?: string; entry?: NodeReportEntry; cni?: Snapshot['facts']['cni']; pods?: k8s.V1Pod[]; allocatable?: Record<string, string> }): (id: string) => CheckResult {
  const n = winNode(opts.pool, opts.allocatable);
  const snap: Snapshot = {
    serverVersion: 'v1.33.2',
    facts: { cni: opts.cni ?? FLANNEL },
    windowsNodes: [n],
    pods: opts.pods ?? [],
    events: [],
    dnsSlices: [],
    ...(opts.entry ? { nodeReports: new Map([['win-1', opts.entry]]) } : {}),
  };
  const results = runChecks(CHECKS.filter((c) => ['cluster.windows-nodes', 'net.kube-proxy', 'net.cni'].includes(c.id)), snap);
  return (id) => results.find((r) => r.id === id && r.node === 'win-1')!;
}

const stopped = (doc: Record<string, any>) => {
  doc['services'].items = doc['services'].items.map((s: { name: string }) => (s.name === 'kube-proxy' ? { ...s, status: 'Stopped' } : s));
  doc['services'].processes = doc['services'].processes.map((p: { name: string }) => (p.name === 'kube-proxy' || p.name === 'flanneld' ? { ...p, running: 0 } : p));
};

describe('net.kube-proxy and net.cni on nodes that run them outside pods', () => {
  it('a win-k8s flannel node without the node checks: skipped as not visible from the API, never failed', () => {
    const check = run({ pool: 'win' });
    for (const id of ['net.kube-proxy', 'net.cni']) {
      const r = check(id);
      assert.equal(r.status, 'skip', `${id}: ${r.message}`);
      assert.match(r.message, /win-k8s pool win with flannel runs .* on the host .*not visible from the API; run with the node checks/);
    }
    assert.match(check('net.kube-proxy').message, /Windows service kube-proxy/);
    assert.match(check('net.cni').message, /startup task win-k8s-flanneld/);
  });

  it('with the on-node report: passes from the kube-proxy service and the flanneld process', () => {
    const check = run({ pool: 'win', entry: { report: report() } });
    const proxy = check('net.kube-proxy');
    assert.equal(proxy.status, 'pass', proxy.message);
    assert.match(proxy.message, /Windows service kube-proxy Running \(on-node report\); win-k8s pool win runs it this way/);
    const cni = check('net.cni');
    assert.equal(cni.status, 'pass', cni.message);
    assert.match(cni.message, /flanneld\.exe running \(1 process, no pod\)/);
  });

  it('the on-node report showing them down fails, naming what it saw and how to start them', () => {
    const check = run({ pool: 'win', entry: { report: report(stopped) } });
    const proxy = check('net.kube-proxy');
    assert.equal(proxy.status, 'fail');
    assert.match(proxy.message, /no kube-proxy pod on the node, and the on-node report shows Windows service kube-proxy Stopped and no kube-proxy\.exe process/);
    assert.match(proxy.hint ?? '', /Start-Service kube-proxy/);
    const cni = check('net.cni');
    assert.equal(cni.status, 'fail');
    assert.match(cni.message, /no flanneld service and no flanneld\.exe process/);
    assert.match(cni.hint ?? '', /Start-ScheduledTask win-k8s-flanneld/);
  });

  it('a node win-k8s did not make, with no pod and no report, still fails as before', () => {
    const check = run({});
    assert.equal(check('net.kube-proxy').status, 'fail');
    assert.equal(check('net.kube-proxy').message, 'no kube-proxy pod on the node');
    assert.equal(check('net.cni').message, 'no flannel pod on the node');
  });

  it('a node win-k8s did not make whose report shows kube-proxy as a service (a hand-built node) passes', () => {
    const check = run({ entry: { report: report() } });
    assert.equal(check('net.kube-proxy').status, 'pass');
    assert.doesNotMatch(check('net.kube-proxy').message, /win-k8s pool/);
  });

  it('a win-k8s node on Calico expects the operator\'s pods: no pod is still a failure', () => {
    const check = run({ pool: 'win', cni: { type: 'calico' } });
    assert.equal(check('net.kube-proxy').status, 'fail');
    assert.equal(check('net.cni').status, 'fail');
  });

  it('a failed report on a win-k8s node is skipped with the reason, not failed', () => {
    const check = run({ pool: 'win', entry: { error: 'pod never started' } });
    assert.equal(check('net.kube-proxy').status, 'skip');
    assert.match(check('net.kube-proxy').message, /the on-node report failed: pod never started/);
  });
});

describe('net.cni on EKS: the VPC resource controller, not a node pod', () => {
  it('passes with the pod IPs the controller advertises on the node', () => {
    const r = run({ cni: { type: 'aws-vpc-cni' }, allocatable: { cpu: '2', memory: '7934456Ki', 'vpc.amazonaws.com/PrivateIPv4Address': '9' } })('net.cni');
    assert.equal(r.status, 'pass', r.message);
    assert.match(r.message, /gives this node 9 pod IPs \(vpc\.amazonaws\.com\/PrivateIPv4Address\)/);
  });

  it('fails without the resource (Windows IPAM off), naming enable-windows-ipam', () => {
    const r = run({ cni: { type: 'aws-vpc-cni' }, allocatable: { cpu: '2', memory: '7934456Ki' } })('net.cni');
    assert.equal(r.status, 'fail');
    assert.match(r.message, /advertises no vpc\.amazonaws\.com\/PrivateIPv4Address/);
    assert.match(r.hint ?? '', /enable-windows-ipam: "true" in the kube-system\/amazon-vpc-cni ConfigMap/);
  });

  it('kube-proxy on an EKS node runs as a Windows service: judged from the on-node report', () => {
    const check = run({ cni: { type: 'aws-vpc-cni' }, entry: { report: report() } });
    assert.equal(check('net.kube-proxy').status, 'pass');
    assert.match(check('net.kube-proxy').message, /Windows service kube-proxy Running/);
  });
});
