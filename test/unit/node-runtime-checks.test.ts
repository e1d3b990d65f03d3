import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type * as k8s from '@kubernetes/client-node';
import { NODE_HOST_CHECKS } from '../../src/diagnose/node-host-checks.js';
import { extractNodeReport, NODE_REPORT_BEGIN, NODE_REPORT_END, type NodeReport } from '../../src/diagnose/node-report.js';
import { NODE_RUNTIME_CHECKS, windowsBuildRuns } from '../../src/diagnose/node-runtime-checks.js';
import { allChecks } from '../../src/diagnose/registry.js';
import { runChecks } from '../../src/diagnose/runner.js';
import type { KubeletConfig } from '../../src/diagnose/kubelet-proxy.js';
import type { CheckOutcome, Snapshot } from '../../src/diagnose/types.js';

/*
 * The runtime checks on the reports node-checks.ps1 printed against the recording crictl
 * (test/powershell/diagnose-scripts.test.ts keeps the fixtures equal to what the script prints):
 * healthy-containerd-flannel (containerd 2.0.10, crictl 1.33) and broken-runtime-containerd17
 * (containerd 1.7.27, crictl 1.28), edited here for the cases between.
 */
type Doc = Record<string, any>;

function load(name: string, edit?: (doc: Doc) => void): NodeReport {
  const doc = JSON.parse(readFileSync(new URL(`../fixtures/node-checks/${name}.json`, import.meta.url), 'utf8')) as Doc;
  edit?.(doc);
  const r = extractNodeReport(`${NODE_REPORT_BEGIN}\n${JSON.stringify(doc)}\n${NODE_REPORT_END}\n`);
  if ('error' in r) throw new Error(`fixture ${name}: ${r.error}`);
  return r.report;
}
const healthy = (edit?: (rt: Doc, doc: Doc) => void) => load('healthy-containerd-flannel', edit && ((d) => edit(d['runtime'] as Doc, d)));
const broken = (edit?: (rt: Doc, doc: Doc) => void) => load('broken-runtime-containerd17', edit && ((d) => edit(d['runtime'] as Doc, d)));

function node(kubelet = 'v1.33.2', runtime = 'containerd://2.0.10', build = '10.0.20348'): k8s.V1Node {
  return {
    metadata: { name: 'win-1', labels: { 'kubernetes.io/os': 'windows', 'node.kubernetes.io/windows-build': build } },
    spec: { podCIDR: '10.244.21.0/24' },
    status: { conditions: [{ type: 'Ready', status: 'True' }], nodeInfo: { containerRuntimeVersion: runtime, kubeletVersion: kubelet } as k8s.V1NodeSystemInfo },
  };
}

const pod = (ns: string, name: string, phase = 'Running'): k8s.V1Pod => ({ metadata: { namespace: ns, name }, spec: { nodeName: 'win-1', containers: [{ name: 'c' }] }, status: { phase } });
const PODS = [pod('default', 'web-win-1', 'Pending'), pod('default', 'legacy-app-5d9f7'), pod('kube-flannel', 'kube-flannel-ds-windows-win-1'), pod('kube-system', 'kube-proxy-windows-win-1')];

function snapshot(report: NodeReport, opts: { node?: k8s.V1Node; pods?: k8s.V1Pod[]; kubeletConfig?: KubeletConfig } = {}): Snapshot {
  return {
    serverVersion: 'v1.33.2',
    facts: { cni: { type: 'flannel', flannel: { namespace: 'kube-flannel', backendType: 'vxlan', vni: 4096 } } },
    windowsNodes: [opts.node ?? node()],
    pods: opts.pods ?? PODS,
    events: [],
    dnsSlices: [],
    nodeReports: new Map([['win-1', { report }]]),
    ...(opts.kubeletConfig ? { kubeletConfig: new Map([['win-1', { doc: opts.kubeletConfig }]]) } : {}),
  };
}

function run(id: string, report: NodeReport, opts: Parameters<typeof snapshot>[1] = {}): CheckOutcome {
  const c = NODE_RUNTIME_CHECKS.find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id}`);
  const snap = snapshot(report, opts);
  return c.run(snap, snap.windowsNodes[0]);
}

function expectStatus(o: CheckOutcome, status: CheckOutcome['status'], message?: RegExp, hint?: RegExp) {
  assert.equal(o.status, status, `${o.status}: ${o.message}`);
  if (message) assert.match(o.message, message);
  if (hint) assert.match(o.hint ?? '', hint);
}

describe('node runtime checks (CRI through crictl)', () => {
  it('are node checks of category runtime, each after the on-node report and asking for the reports', () => {
    assert.deepEqual(
      NODE_RUNTIME_CHECKS.map((c) => c.id),
      ['node.runtime.endpoint', 'node.runtime.conditions', 'node.runtime.sandboxes', 'node.runtime.containers', 'node.runtime.pause-image', 'node.runtime.image-os', 'node.runtime.image-fs', 'node.runtime.version'],
    );
    for (const c of NODE_RUNTIME_CHECKS) {
      assert.equal(c.category, 'runtime');
      assert.equal(c.scope, 'node');
      assert.deepEqual(c.dependsOn, ['node.host.report']);
      // image-fs reads the kubelet's own thresholds from /configz when it can.
      assert.deepEqual(c.needs, c.id === 'node.runtime.image-fs' ? ['nodeReports', 'kubeletConfig'] : ['nodeReports']);
    }
  });

  it('are registered after the on-node report', () => {
    const ids = allChecks().map((c) => c.id);
    for (const c of NODE_RUNTIME_CHECKS) {
      assert.ok(ids.includes(c.id), `${c.id} not registered`);
      assert.ok(ids.indexOf('node.host.report') < ids.indexOf(c.id), `${c.id} before node.host.report`);
    }
  });

  it('all pass on the healthy containerd 2.0 report; all but the endpoint fail on the broken containerd 1.7 one', async () => {
    const good = await runChecks([...NODE_HOST_CHECKS.slice(0, 1), ...NODE_RUNTIME_CHECKS], snapshot(healthy()));
    assert.deepEqual(good.filter((r) => r.status !== 'pass').map((r) => `${r.id}: ${r.status} ${r.message}`), []);
    const bad = await runChecks([...NODE_HOST_CHECKS.slice(0, 1), ...NODE_RUNTIME_CHECKS], snapshot(broken(), { node: node('v1.36.1', 'containerd://1.7.27') }));
    assert.deepEqual(
      bad.map((r) => `${r.id}=${r.status}`),
      ['node.host.report=pass', 'node.runtime.endpoint=pass', ...NODE_RUNTIME_CHECKS.slice(1).map((c) => `${c.id}=fail`)],
    );
    for (const r of bad.filter((x) => x.status === 'fail')) assert.ok(r.hint, `${r.id} names no fix`);
  });

  describe('node.runtime.endpoint', () => {
    it('names the runtime, the endpoint and where the endpoint came from', () => {
      expectStatus(run('node.runtime.endpoint', healthy()), 'pass', /^containerd v2\.0\.10 answers on npipe:\/\/\/\/\.\/pipe\/containerd-containerd \(CRI v1; endpoint: the kubelet's --container-runtime-endpoint\)$/);
    });

    it('skips without crictl, with where the script looked; the other checks skip with it', () => {
      const report = healthy((rt) => {
        for (const k of Object.keys(rt)) if (!['endpoint', 'endpointSource'].includes(k)) delete rt[k];
        rt['skipped'] = 'crictl not found in C:\\k, in C:\\Program Files\\containerd or on PATH';
        rt['endpointSource'] = 'inferred';
      });
      expectStatus(run('node.runtime.endpoint', report), 'skip', /^crictl not found in C:\\k/, /crictl/);
      for (const c of NODE_RUNTIME_CHECKS) expectStatus(run(c.id, report), 'skip', /crictl not found/);
    });

    it("fails when the endpoint does not answer, with crictl's error; the others skip pointing to it", () => {
      const report = healthy((rt) => {
        for (const k of Object.keys(rt)) if (!['crictlPath', 'endpoint', 'endpointSource'].includes(k)) delete rt[k];
        rt['endpoint'] = 'npipe:////./pipe/cri-dockerd';
        rt['unreachable'] = 'crictl version: validate service connection: validate CRI v1 runtime API for endpoint "npipe:////./pipe/cri-dockerd": rpc error: code = Unavailable desc = connection error';
      });
      expectStatus(run('node.runtime.endpoint', report), 'fail', /^npipe:\/\/\/\/\.\/pipe\/cri-dockerd \(the kubelet's --container-runtime-endpoint\) did not answer: crictl version: validate service connection/, /Get-Service containerd/);
      expectStatus(run('node.runtime.conditions', report), 'skip', /did not answer \(see node\.runtime\.endpoint\)/);
    });

    it('names CRI v1 when the runtime serves only v1alpha2', () => {
      const report = healthy((rt) => {
        delete rt['version'];
        rt['unreachable'] = 'crictl version: validate service connection: validate CRI v1 runtime API for endpoint "npipe:////./pipe/containerd-containerd": rpc error: code = Unimplemented desc = unknown service runtime.v1.RuntimeService';
      });
      expectStatus(run('node.runtime.endpoint', report), 'fail', /Unimplemented/, /CRI v1.*containerd to 1\.7/);
    });

    it('warns when the runtime asked is not the one the kubelet reports', () => {
      expectStatus(run('node.runtime.endpoint', healthy(), { node: node('v1.33.2', 'docker://20.10.24') }), 'warn', /but the node reports runtime docker/);
    });

    it('warns when the section itself failed, and skips for an older script without it', () => {
      expectStatus(run('node.runtime.endpoint', healthy((rt) => (rt['error'] = 'boom (line 9)'))), 'warn', /could not read runtime: boom/);
      expectStatus(run('node.runtime.version', load('healthy-containerd-flannel', (d) => delete d['runtime'])), 'skip', /no runtime section/);
    });
  });

  describe('node.runtime.conditions', () => {
    it('fails NetworkReady=false with its reason and message, the CNI load status and the conf dir in the fix', () => {
      const o = run('node.runtime.conditions', broken());
      expectStatus(o, 'fail', /^NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized; last CNI config load: cni config load failed/, /C:\\etc\\cni\\net\.d: flanneld writes it/);
      assert.ok(o.evidence?.includes('RuntimeReady=true'));
    });

    it('warns on a failed CNI reload while the network is still ready, and on deprecation warnings', () => {
      expectStatus(run('node.runtime.conditions', healthy((rt) => (rt['lastCniLoadStatus'] = 'cni config load failed: failed to load CNI config list file C:\\etc\\cni\\net.d\\10-flannel.conflist: error parsing configuration list'))), 'warn', /last CNI config load failed/, /kept the previous network config/);
      const deprecated = healthy((rt) => {
        const c = (rt['conditions'] as Doc[])[2]!;
        Object.assign(c, { status: false, reason: 'ContainerdHasDeprecationWarnings', message: '{"io.containerd.deprecation/cri-registry-mirrors":"The `mirrors` property of `[plugins.\\"io.containerd.grpc.v1.cri\\".registry]` is deprecated"}' });
      });
      expectStatus(run('node.runtime.conditions', deprecated), 'warn', /^ContainerdHasNoDeprecationWarnings=false reason:ContainerdHasDeprecationWarnings/, /ctr deprecations list/);
    });

    it('fails RuntimeReady=false', () => {
      expectStatus(run('node.runtime.conditions', healthy((rt) => Object.assign((rt['conditions'] as Doc[])[0]!, { status: false, reason: 'RuntimeNotReady' }))), 'fail', /^RuntimeReady=false reason:RuntimeNotReady/);
    });
  });

  describe('node.runtime.sandboxes', () => {
    it("passes a finished pod's leftover sandbox, and fails a live pod without a ready one", () => {
      expectStatus(run('node.runtime.sandboxes', healthy()), 'pass', /^3 of 4 sandbox\(es\) ready; 1 not-ready sandbox\(es\) of finished or deleted pods/);
      expectStatus(run('node.runtime.sandboxes', broken()), 'fail', /^1 pod\(s\) without a ready sandbox: default\/web-win-1 \(attempt 4\)$/, /FailedCreatePodSandBox/);
      // The same pod, once deleted from the API, is only waiting for the kubelet's cleanup.
      expectStatus(run('node.runtime.sandboxes', broken(), { pods: [] }), 'pass', /2 not-ready sandbox/);
    });
  });

  describe('node.runtime.containers', () => {
    it('names a crash loop with its pod, restarts, exit code and time; StartError with its message', () => {
      const o = run('node.runtime.containers', broken());
      expectStatus(o, 'fail', /crash loop: pod kube-flannel\/kube-flannel-ds-windows-win-1 container kube-flannel: exited, 7 restart\(s\), last exit code 1 \(Error\) at 2026-11-28T19:38:04/, /kubectl logs --previous/);
      assert.match(o.message, /pod default\/legacy-app-5d9f7 container app: exited, 5 restart\(s\), last exit code 128 \(StartError\) at .*: failed to create containerd task: .*does not match the host operating system/);
      assert.match(o.hint ?? '', /node\.runtime\.image-os/);
    });

    it('warns on a container that restarts but runs now, and ignores completed ones and deleted pods', () => {
      expectStatus(run('node.runtime.containers', healthy()), 'pass', /^3 of 4 container\(s\) running, none restarting$/);
      const flapping = healthy((rt) => ((rt['containers'] as Doc)['notable'] as Doc[])[1]!['restartCount'] = 4);
      expectStatus(run('node.runtime.containers', flapping), 'warn', /container kube-flannel: running, 4 restart\(s\)$/);
      expectStatus(run('node.runtime.containers', broken(), { pods: [] }), 'warn', /7 restart/);
    });
  });

  describe('node.runtime.pause-image', () => {
    it("finds containerd 2.x's sandbox image from its config file, present and built for the node", () => {
      expectStatus(run('node.runtime.pause-image', healthy()), 'pass', /^sandbox image registry\.k8s\.io\/pause:3\.10\.1 \(.*config\.toml\) is present, built for 10\.0\.20348\.2849$/);
    });

    it('fails an ltsc2019 pause image on a Windows Server 2022 node, naming the image to use', () => {
      expectStatus(run('node.runtime.pause-image', broken()), 'fail', /is built for 10\.0\.17763\.6659, the node runs 10\.0\.20348/, /registry\.k8s\.io\/pause:3\.10\.1.*crictl rmi mirror\.example\.com\/pause:3\.9-ltsc2019/);
    });

    it("warns when it is not pulled, and falls back to containerd's built-in default", () => {
      const report = healthy((rt, d) => {
        rt['images'] = (rt['images'] as Doc[]).filter((i) => !(i['tags'] as string[]).includes('registry.k8s.io/pause:3.10.1'));
        delete d['containerd'];
      });
      expectStatus(run('node.runtime.pause-image', report), 'warn', /^sandbox image registry\.k8s\.io\/pause:3\.10 \(containerd's built-in default\) is not on the node$/, /crictl pull/);
    });

    it('passes a Windows Server 2022 pause image on a 2025 node, as containerd allows', () => {
      expectStatus(run('node.runtime.pause-image', healthy((_rt, d) => (d['os'].build = 26100)), { node: node('v1.35.0', 'containerd://2.0.10', '10.0.26100') }), 'pass');
    });
  });

  describe('node.runtime.image-os', () => {
    it('fails an image whose containers cannot start on this build; HostProcess images that run are fine', () => {
      expectStatus(run('node.runtime.image-os', healthy()), 'pass', /all runnable on 10\.0\.20348 \(or run as HostProcess\)/);
      const o = run('node.runtime.image-os', broken());
      expectStatus(o, 'fail', /1 image\(s\) built for another Windows build.*: mcr\.microsoft\.com\/windows\/servercore\/iis:windowsservercore-ltsc2019$/, /ltsc2022/);
      assert.ok(o.evidence?.some((e) => /nanoserver:1809: 10\.0\.17763\.6659 \(unused\)/.test(e)));
    });

    it('warns about unused images of another build', () => {
      const report = broken((rt) => {
        rt['containers']['notable'] = (rt['containers']['notable'] as Doc[]).filter((x) => x['podName'] !== 'legacy-app-5d9f7');
        for (const i of rt['images'] as Doc[]) if ((i['tags'] as string[])[0]?.includes('ltsc2019')) i['usedBy'] = null;
      });
      expectStatus(run('node.runtime.image-os', report), 'warn', /unused image\(s\) built for another Windows build/);
    });
  });

  describe('node.runtime.image-fs', () => {
    it("judges the image volume against the kubelet's default thresholds", () => {
      expectStatus(run('node.runtime.image-fs', healthy()), 'pass', /^C:\\ProgramData\\containerd\\root\\io\.containerd\.snapshotter\.v1\.windows \(on C:\): 50\.0 GiB free of 127\.0 GiB \(61% used\)$/);
      expectStatus(run('node.runtime.image-fs', broken()), 'fail', /96% used\): below the kubelet's eviction threshold imagefs\.available<15%/, /crictl rmi --prune/);
      const near = healthy((rt) => (rt['imageFs']['freeBytes'] = 0.18 * 136365211648));
      expectStatus(run('node.runtime.image-fs', near), 'warn', /82% used\): near the kubelet's image garbage collection threshold \(imageGCHighThresholdPercent 85%, its default\)/);
    });

    it("uses the kubelet's own thresholds when its /configz was read", () => {
      const strict = { evictionHard: { 'imagefs.available': '40%', 'memory.available': '100Mi' }, imageGCHighThresholdPercent: 90, imageGCLowThresholdPercent: 85 };
      expectStatus(run('node.runtime.image-fs', healthy(), { kubeletConfig: strict }), 'fail', /61% used\): below the kubelet's eviction threshold imagefs\.available<40% \(its \/configz\)/);
      // No imagefs.available in the effective evictionHard: no eviction, only image GC.
      expectStatus(run('node.runtime.image-fs', broken(), { kubeletConfig: { evictionHard: { 'memory.available': '100Mi' }, imageGCHighThresholdPercent: 85, imageGCLowThresholdPercent: 80 } }), 'warn', /96% used\): past the kubelet's image garbage collection threshold \(imageGCHighThresholdPercent 85%, its \/configz\)/);
      expectStatus(run('node.runtime.image-fs', broken(), { kubeletConfig: { evictionHard: { 'imagefs.available': '6Gi' } } }), 'fail', /imagefs\.available<6Gi \(its \/configz\)/);
      expectStatus(run('node.runtime.image-fs', broken(), { kubeletConfig: { evictionHard: { 'imagefs.available': '2Gi' }, imageGCHighThresholdPercent: 100, imageGCLowThresholdPercent: 80 } }), 'pass');
    });
  });

  describe('node.runtime.version', () => {
    it('passes containerd 2.0 with 1.33; fails 1.7 with 1.36 and a runtime without CRI v1 on 1.26+', () => {
      expectStatus(run('node.runtime.version', healthy()), 'pass', /^containerd v2\.0\.10 \(CRI v1\) suits the kubelet v1\.33\.2$/);
      expectStatus(run('node.runtime.version', broken(), { node: node('v1.36.1') }), 'fail', /containerd 1\.x support ended/, /RELEASES\.md/);
      expectStatus(run('node.runtime.version', broken(), { node: node('v1.31.4') }), 'pass');
      expectStatus(run('node.runtime.version', healthy((rt) => (rt['version']['runtimeApiVersion'] = 'v1alpha2'))), 'fail', /serves CRI v1alpha2; the kubelet v1\.33\.2 needs CRI v1/);
      expectStatus(run('node.runtime.version', healthy((rt) => (rt['version']['runtimeVersion'] = 'v1.6.36')), { node: node('v1.30.1') }), 'warn', /end of life/);
    });
  });

  it("windowsBuildRuns follows containerd's rule: same build before 2022, from 2022 the newest older LTSC up to the host", () => {
    assert.equal(windowsBuildRuns(17763, 17763), true);
    assert.equal(windowsBuildRuns(20348, 17763), false);
    assert.equal(windowsBuildRuns(17763, 20348), false);
    assert.equal(windowsBuildRuns(20348, 20348), true);
    assert.equal(windowsBuildRuns(26100, 20348), true);
    assert.equal(windowsBuildRuns(26100, 17763), false);
    assert.equal(windowsBuildRuns(20348, 26100), false);
  });
});
