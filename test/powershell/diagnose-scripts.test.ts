import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as k8s from '@kubernetes/client-node';
import { parseCollectedFiles } from '../../src/diagnose/bundle.js';
import { BundleCollector } from '../../src/diagnose/bundle-contents.js';
import { redact } from '../../src/diagnose/redact.js';
import { NODE_HOST_CHECKS } from '../../src/diagnose/node-host-checks.js';
import { NODE_RUNTIME_CHECKS } from '../../src/diagnose/node-runtime-checks.js';
import { extractNodeReport, type NodeReport } from '../../src/diagnose/node-report.js';
import type { CheckOutcome, Snapshot } from '../../src/diagnose/types.js';
import { getKubePki } from '../helpers/kube-pki.js';
import { assertPesterPassed, PROJECT_ROOT, runPester, runPwsh } from '../helpers/pwsh.js';

/*
 * The diagnose PowerShell scripts run under pwsh with Windows stubbed at its boundary only
 * (test/powershell/diagnose/NodeHarness.ps1), and what they print is judged here by the CLI's
 * own consumers: extractNodeReport and the node-host checks, parseCollectedFiles and the bundle.
 */
const HERE = join(PROJECT_ROOT, 'test', 'powershell', 'diagnose');
const RUN_NODE_CHECKS = join(HERE, 'run-node-checks.ps1');

function windowsNode(): k8s.V1Node {
  return {
    metadata: { name: 'win-1', labels: { 'kubernetes.io/os': 'windows', 'node.kubernetes.io/windows-build': '10.0.20348' } },
    spec: { podCIDR: '10.244.21.0/24', podCIDRs: ['10.244.21.0/24'] },
    status: { conditions: [{ type: 'Ready', status: 'True' }], nodeInfo: { containerRuntimeVersion: 'containerd://2.0.10', kubeletVersion: 'v1.33.2' } as k8s.V1NodeSystemInfo },
  };
}

/** A cluster whose flannel net-conf is what plan accepts and join uses: vxlan, VNI 4096, port 4789. */
function snapshot(report: NodeReport, flannel: Record<string, unknown> = { backendType: 'vxlan', vni: 4096, port: 4789 }): Snapshot {
  return {
    serverVersion: 'v1.33.2',
    facts: { cni: { type: 'flannel', flannel: { namespace: 'kube-flannel', ...flannel } } },
    windowsNodes: [windowsNode()],
    pods: [{ metadata: { namespace: 'default', name: 'web-1' }, spec: { nodeName: 'win-1', containers: [{ name: 'c' }] }, status: { phase: 'Running', podIP: '10.244.21.10' } }],
    events: [],
    dnsSlices: [],
    services: [{ metadata: { namespace: 'kube-system', name: 'kube-dns' }, spec: { type: 'ClusterIP', clusterIP: '10.96.0.10', ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] } }],
    nodeReports: new Map([['win-1', { report }]]),
  } as Snapshot;
}

function judge(id: string, snap: Snapshot): CheckOutcome {
  const check = [...NODE_HOST_CHECKS, ...NODE_RUNTIME_CHECKS].find((c) => c.id === id);
  if (!check) throw new Error(`no check ${id}`);
  return check.run(snap, snap.windowsNodes[0]);
}

async function nodeChecks(root: string, args: string[] = []): Promise<NodeReport> {
  const r = await runPwsh(['-File', RUN_NODE_CHECKS, '-Root', root, ...args]);
  assert.equal(r.code, 0, r.stderr);
  const parsed = extractNodeReport(r.stdout);
  if ('error' in parsed) throw new Error(`${parsed.error}\n${r.stdout.slice(-2000)}\n${r.stderr}`);
  return parsed.report;
}

describe('diagnose scripts under pwsh', function () {
  this.timeout(300_000);
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'win-k8s-diag-ps-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** What node-checks.ps1 printed against the recording crictl (RuntimeChecks.Tests.ps1 saves it). */
  const runtimeRuns = new Map<string, string>();

  it('Pester: node-checks.ps1 (its runtime section against a recording crictl), collect-logs.ps1, probe.ps1 and probe-server.ps1 on the stubbed boundary', async () => {
    const out = mkdtempSync(join(tmpdir(), 'win-k8s-runtime-runs-'));
    try {
      const run = await runPester(['NodeChecks.Tests.ps1', 'RuntimeChecks.Tests.ps1', 'CollectLogs.Tests.ps1', 'Probe.Tests.ps1'].map((f) => join(HERE, f)), { WIN_K8S_NODE_REPORTS_OUT: out });
      assertPesterPassed(run, 29);
      for (const name of ['runtime-healthy-2.0', 'runtime-broken-1.7']) runtimeRuns.set(name, readFileSync(join(out, `${name}.txt`), 'utf8'));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it("the runtime section's reports are the recorded fixtures, and the runtime checks pass containerd 2.0's and fail containerd 1.7's for its reasons", () => {
    const parse = (name: string) => {
      const text = runtimeRuns.get(name);
      if (!text) throw new Error(`the Pester run saved no ${name} report`);
      const parsed = extractNodeReport(text);
      if ('error' in parsed) throw new Error(parsed.error);
      return parsed.report;
    };
    const fixture = (name: string) => {
      const parsed = extractNodeReport(`WIN-K8S-NODE-REPORT-BEGIN\n${readFileSync(join(PROJECT_ROOT, 'test', 'fixtures', 'node-checks', `${name}.json`), 'utf8')}\nWIN-K8S-NODE-REPORT-END\n`);
      if ('error' in parsed) throw new Error(parsed.error);
      return parsed.report;
    };
    const healthy = parse('runtime-healthy-2.0');
    const broken = parse('runtime-broken-1.7');
    // The unit tests judge the fixtures: they must be what the script prints (crictl's path aside).
    const runtimeOf = (r: NodeReport) => ({ ...r.runtime, crictlPath: 'C:\\k\\crictl.exe' });
    assert.deepEqual(runtimeOf(healthy), runtimeOf(fixture('healthy-containerd-flannel')));
    assert.deepEqual(runtimeOf(broken), runtimeOf(fixture('broken-runtime-containerd17')));

    const pods = [
      { metadata: { namespace: 'default', name: 'web-win-1' }, spec: { nodeName: 'win-1', containers: [{ name: 'web' }] }, status: { phase: 'Pending' } },
      { metadata: { namespace: 'default', name: 'legacy-app-5d9f7' }, spec: { nodeName: 'win-1', containers: [{ name: 'app' }] }, status: { phase: 'Running' } },
      { metadata: { namespace: 'kube-flannel', name: 'kube-flannel-ds-windows-win-1' }, spec: { nodeName: 'win-1', hostNetwork: true, containers: [{ name: 'kube-flannel' }] }, status: { phase: 'Running' } },
    ] as k8s.V1Pod[];
    const snap = (report: NodeReport, kubelet: string): Snapshot => {
      const s = snapshot(report);
      s.pods = pods;
      const node = s.windowsNodes[0]!;
      node.status!.nodeInfo = { ...node.status!.nodeInfo!, kubeletVersion: kubelet };
      return s;
    };
    for (const c of NODE_RUNTIME_CHECKS) {
      const o = judge(c.id, snap(healthy, 'v1.33.2'));
      assert.equal(o.status, 'pass', `${c.id}: ${o.status} ${o.message}`);
    }
    const bad = snap(broken, 'v1.36.1');
    const expect = (id: string, message: RegExp) => {
      const o = judge(id, bad);
      assert.equal(o.status, 'fail', `${id}: ${o.status} ${o.message}`);
      assert.match(o.message, message, id);
    };
    expect('node.runtime.conditions', /^NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized; last CNI config load: cni config load failed: no network config found in C:\\etc\\cni\\net\.d/);
    expect('node.runtime.sandboxes', /^1 pod\(s\) without a ready sandbox: default\/web-win-1 \(attempt 4\)$/);
    expect('node.runtime.containers', /crash loop: pod kube-flannel\/kube-flannel-ds-windows-win-1 container kube-flannel: exited, 7 restart\(s\), last exit code 1 \(Error\) at 2026-11-28T19:38:04/);
    expect('node.runtime.containers', /pod default\/legacy-app-5d9f7 container app: exited, 5 restart\(s\), last exit code 128 \(StartError\).*does not match the host operating system/);
    expect('node.runtime.pause-image', /^sandbox image mirror\.example\.com\/pause:3\.9-ltsc2019 \(crictl info\) is built for 10\.0\.17763\.6659, the node runs 10\.0\.20348/);
    expect('node.runtime.image-os', /mcr\.microsoft\.com\/windows\/servercore\/iis:windowsservercore-ltsc2019$/);
    expect('node.runtime.image-fs', /5\.1 GiB free of 127\.0 GiB \(96% used\): below the kubelet's eviction threshold imagefs\.available<15%/);
    expect('node.runtime.version', /containerd v1\.7\.27 with the kubelet v1\.36\.1: containerd 1\.7\.27 is not supported with Kubernetes 1\.36\+/);
  });

  it("node-checks.ps1's report of a healthy flannel.4096 node passes the CLI's HNS checks; without the network it fails", async () => {
    const healthy = snapshot(await nodeChecks(root));
    const network = judge('node.host.hns-network', healthy);
    assert.equal(network.status, 'pass', network.message);
    assert.match(network.message, /^flannel\.4096 \(Overlay\) with management IP 10\.0\.2\.21, subnets 10\.244\.21\.0\/24$/);
    const endpoints = judge('node.host.hns-endpoints', healthy);
    assert.equal(endpoints.status, 'pass', endpoints.message);
    assert.match(endpoints.message, /^1 local endpoint\(s\) match the 1 pod\(s\) with an IP; 1 remote/);
    assert.equal(judge('node.host.lb-policies', healthy).status, 'pass');
    assert.equal(judge('node.host.sandbox-image', healthy).status, 'pass');
    const logs = judge('node.host.log-errors', healthy);
    assert.notEqual(logs.status, 'pass');
    assert.ok(logs.evidence?.some((e) => /0x803b0013/.test(e)), logs.evidence?.join('\n'));

    rmSync(root, { recursive: true, force: true });
    mkdirSync(root);
    const missing = judge('node.host.hns-network', snapshot(await nodeChecks(root, ['-Scenario', 'no-flannel-network'])));
    assert.equal(missing.status, 'fail');
    assert.match(missing.message, /^HNS network flannel\.4096 not found \(networks: nat \(NAT, no management IP\)\)$/);
  });

  it('node-checks.ps1 reaches a TLS 1.2 API server for the clock even when .NET starts without TLS 1.2', async () => {
    const pki = getKubePki();
    // Node's default minimum is TLS 1.2, as for kube-apiserver.
    const server: Server = createServer({ key: pki.server.keyPem, cert: pki.server.certPem }, (_req, res) => res.end('{}'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
      // .NET Framework's defaults on older Windows Server offered TLS 1.0/1.1 only.
      const report = await nodeChecks(root, ['-ApiServerUrl', url, '-InitialSecurityProtocol', 'Tls, Tls11']);
      assert.equal(report.clock?.error ?? null, null, `clock: ${report.clock?.error}`);
      assert.equal(report.clock?.method, 'api-date-header');
      assert.ok(Math.abs(report.clock?.skewSeconds ?? 99) < 5);
      assert.equal(judge('node.host.clock', snapshot(report)).status, 'pass');
    } finally {
      server.close();
    }
  });

  it("collect-logs.ps1's output is read back by the bundle: tails, the UTF-16 log as text and redacted, truncation and errors named", async () => {
    const drive = join(root, 'C');
    mkdirSync(join(drive, 'var', 'log', 'kubelet'), { recursive: true });
    mkdirSync(join(drive, 'var', 'log', 'kube-proxy'), { recursive: true });
    writeFileSync(join(drive, 'var', 'log', 'kubelet', 'kubelet.log'), Array.from({ length: 4000 }, (_, i) => `kubelet line ${i + 1}\n`).join(''));
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('kube-proxy started\r\n--token=abcdef.0123456789abcdef\r\n', 'utf16le')]);
    writeFileSync(join(drive, 'var', 'log', 'kube-proxy', 'kube-proxy.log'), utf16);
    const script = join(PROJECT_ROOT, 'templates', 'diagnose', 'collect-logs.ps1');
    const r = await runPwsh(['-File', script, '-MaxBytes', '20000', '-TotalBytes', '1000000'], {
      env: { SystemDrive: drive, ProgramData: join(drive, 'ProgramData'), ProgramFiles: join(drive, 'Program Files') },
    });
    assert.equal(r.code, 0, r.stderr);
    const files = parseCollectedFiles(r.stdout);
    const kubelet = files.find((f) => f.name === 'kubelet/kubelet.log');
    assert.ok(kubelet && 'data' in kubelet);
    assert.equal(kubelet.data.length, 20000);
    assert.match(kubelet.data.toString('utf8'), /kubelet line 4000\n$/);
    assert.deepEqual(kubelet.truncated, { kept: 20000, size: Buffer.byteLength(Array.from({ length: 4000 }, (_, i) => `kubelet line ${i + 1}\n`).join('')) });
    const proxy = files.find((f) => f.name === 'kube-proxy/kube-proxy.log');
    assert.ok(proxy && 'data' in proxy);
    assert.equal(proxy.data.toString('utf8'), 'kube-proxy started\r\n--token=abcdef.0123456789abcdef\r\n');
    // What goes into the bundle: readable, and the token redacted (impossible in UTF-16 bytes).
    const collector = new BundleCollector();
    collector.onCollected('win-1', r.stdout);
    const entries = await collector.entries({ summary: { pass: 0, warn: 0, fail: 0, skip: 0 }, checks: [] });
    const proxyEntry = entries.find((e) => e.name === 'nodes/win-1/logs/kube-proxy/kube-proxy.log');
    assert.ok(proxyEntry);
    const text = redact(proxyEntry.data.toString());
    assert.match(text, /kube-proxy started/);
    assert.doesNotMatch(text, /0123456789abcdef/);
    const readme = entries.find((e) => e.name === 'README.txt')?.data.toString() ?? '';
    assert.match(readme, /win-1: kubelet\/kubelet\.log: only its last 20 KiB of 70 KiB \(the per-file budget\)/);
  });
});
