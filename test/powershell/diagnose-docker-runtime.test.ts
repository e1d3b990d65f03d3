import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as k8s from '@kubernetes/client-node';
import { NODE_RUNTIME_CHECKS } from '../../src/diagnose/node-runtime-checks.js';
import { extractNodeReport, type NodeReport } from '../../src/diagnose/node-report.js';
import type { CheckOutcome, Snapshot } from '../../src/diagnose/types.js';
import { assertPesterPassed, PROJECT_ROOT, runPester } from '../helpers/pwsh.js';

/*
 * Docker nodes through CRI: node-checks.ps1's runtime section runs under pwsh against the
 * recording crictl for cri-dockerd (1.24+) and the kubelet's dockershim (before 1.24), and the
 * CLI's runtime checks judge what it printed. Docker's shim reports less than containerd (no CNI
 * load status, no image OS build, Docker's API version instead of a CRI version from dockershim):
 * what it does not report must not fail a healthy node.
 */
const HERE = join(PROJECT_ROOT, 'test', 'powershell', 'diagnose');

function dockerNode(runtime: string, kubelet: string): k8s.V1Node {
  return {
    metadata: { name: 'win-1', labels: { 'kubernetes.io/os': 'windows', 'node.kubernetes.io/windows-build': '10.0.17763' } },
    status: { conditions: [{ type: 'Ready', status: 'True' }], nodeInfo: { containerRuntimeVersion: runtime, kubeletVersion: kubelet } as k8s.V1NodeSystemInfo },
  };
}

function snapshot(report: NodeReport, node: k8s.V1Node, pods: k8s.V1Pod[]): Snapshot {
  return {
    serverVersion: node.status!.nodeInfo!.kubeletVersion,
    facts: { cni: { type: 'flannel', flannel: { namespace: 'kube-flannel', backendType: 'vxlan', vni: 4096, port: 4789 } } },
    windowsNodes: [node],
    pods,
    events: [],
    dnsSlices: [],
    services: [],
    nodeReports: new Map([['win-1', { report }]]),
  } as unknown as Snapshot;
}

function judge(id: string, snap: Snapshot): CheckOutcome {
  const check = NODE_RUNTIME_CHECKS.find((c) => c.id === id);
  if (!check) throw new Error(`no check ${id}`);
  return check.run(snap, snap.windowsNodes[0]);
}

const pod = (namespace: string, name: string): k8s.V1Pod => ({ metadata: { namespace, name }, spec: { nodeName: 'win-1', containers: [{ name: 'c' }] }, status: { phase: 'Running' } });

describe('diagnose on Docker nodes: the runtime section under pwsh, judged by the runtime checks', function () {
  this.timeout(300_000);
  const runs = new Map<string, NodeReport>();

  before(async () => {
    const out = mkdtempSync(join(tmpdir(), 'win-k8s-docker-runs-'));
    try {
      const run = await runPester([join(HERE, 'RuntimeDocker.Tests.ps1')], { WIN_K8S_NODE_REPORTS_OUT: out });
      assertPesterPassed(run, 6);
      for (const name of ['runtime-cri-dockerd', 'runtime-dockershim']) {
        const parsed = extractNodeReport(readFileSync(join(out, `${name}.txt`), 'utf8'));
        if ('error' in parsed) throw new Error(parsed.error);
        runs.set(name, parsed.report);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('passes a healthy cri-dockerd node: no containerd-only field is asked for, the sandbox image is the one cri-dockerd names', () => {
    const snap = snapshot(runs.get('runtime-cri-dockerd')!, dockerNode('docker://24.0.7', 'v1.29.10'), [pod('kube-flannel', 'kube-flannel-ds-windows-win-1'), pod('default', 'web-win-1')]);
    const seen: Record<string, string> = {};
    for (const c of NODE_RUNTIME_CHECKS) {
      const o = judge(c.id, snap);
      seen[c.id] = `${o.status}: ${o.message}`;
      assert.ok(o.status === 'pass' || o.status === 'skip', `${c.id}: ${o.status} ${o.message}`);
    }
    assert.match(seen['node.runtime.endpoint']!, /^pass: docker 24\.0\.7 answers on npipe:\/\/\/\/\.\/pipe\/cri-dockerd \(CRI v1; endpoint: the kubelet's --container-runtime-endpoint\)$/);
    assert.match(seen['node.runtime.conditions']!, /^pass: RuntimeReady, NetworkReady$/);
    assert.match(seen['node.runtime.pause-image']!, /^pass: sandbox image mcr\.microsoft\.com\/oss\/kubernetes\/pause:3\.9 \(cri-dockerd's --pod-infra-container-image\) is present/);
    // Docker's image OS build is not in what cri-dockerd returns: a skip saying where to look, not a failure.
    assert.match(seen['node.runtime.image-os']!, /^skip: .*docker image inspect/);
    assert.match(seen['node.runtime.version']!, /^pass: docker 24\.0\.7 \(CRI v1\) for the kubelet v1\.29\.10/);
  });

  it("fails a broken dockershim node for its reasons, and reads Docker's API version as no CRI version", () => {
    const snap = snapshot(runs.get('runtime-dockershim')!, dockerNode('docker://20.10.9', 'v1.23.17'), [pod('kube-flannel', 'kube-flannel-ds-windows-win-1'), pod('default', 'app-2022-6c9d')]);
    const conditions = judge('node.runtime.conditions', snap);
    assert.equal(conditions.status, 'fail');
    assert.equal(conditions.message, 'NetworkReady=false reason:NetworkPluginNotReady message:docker: network plugin is not ready: cni config uninitialized');
    assert.match(conditions.hint ?? '', /--cni-conf-dir/);
    assert.doesNotMatch(conditions.hint ?? '', /containerd/);
    const containers = judge('node.runtime.containers', snap);
    assert.equal(containers.status, 'fail');
    assert.match(containers.message, /pod default\/app-2022-6c9d container app: exited, 4 restart\(s\), last exit code 128 \(ContainerCannotRun\).*does not match the host operating system/);
    assert.match(containers.message, /pod kube-flannel\/kube-flannel-ds-windows-win-1 container kube-flannel: exited, 6 restart\(s\), last exit code 1 \(Error\)/);
    assert.match(containers.hint ?? '', /another Windows build/);
    const pause = judge('node.runtime.pause-image', snap);
    assert.equal(pause.status, 'skip');
    assert.match(pause.message, /dockershim.*--pod-infra-container-image/);
    const version = judge('node.runtime.version', snap);
    assert.equal(version.status, 'pass', version.message);
    assert.match(version.message, /Docker Engine API 1\.41/);
    assert.equal(judge('node.runtime.endpoint', snap).status, 'pass');
    assert.equal(judge('node.runtime.image-fs', snap).status, 'pass');
  });
});
