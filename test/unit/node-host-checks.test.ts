import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type * as k8s from '@kubernetes/client-node';
import { LOG_SIGNATURES, NODE_HOST_CHECKS, NODE_REPORT_CHECK } from '../../src/diagnose/node-host-checks.js';
import { extractNodeReport, NODE_REPORT_BEGIN, NODE_REPORT_END, nodeChecksScriptPath, type NodeReport } from '../../src/diagnose/node-report.js';
import { allChecks } from '../../src/diagnose/registry.js';
import { runChecks } from '../../src/diagnose/runner.js';
import type { CheckOutcome, CheckResult, NodeReportEntry, Snapshot } from '../../src/diagnose/types.js';

/** A fixture as the lead's runner will hand it over: through extractNodeReport. */
function load(name: string, edit?: (doc: Record<string, any>) => void): NodeReport {
  const doc = JSON.parse(readFileSync(new URL(`../fixtures/node-checks/${name}.json`, import.meta.url), 'utf8')) as Record<string, any>;
  edit?.(doc);
  const r = extractNodeReport(`${NODE_REPORT_BEGIN}\n${JSON.stringify(doc)}\n${NODE_REPORT_END}\n`);
  if ('error' in r) throw new Error(`fixture ${name}: ${r.error}`);
  return r.report;
}
const healthy = (edit?: (doc: Record<string, any>) => void) => load('healthy-containerd-flannel', edit);

function windowsNode(name: string, octet: number, build = '10.0.20348', runtime = 'containerd://2.0.10'): k8s.V1Node {
  return {
    metadata: { name, labels: { 'kubernetes.io/os': 'windows', 'node.kubernetes.io/windows-build': build } },
    spec: { podCIDR: `10.244.${octet}.0/24`, podCIDRs: [`10.244.${octet}.0/24`] },
    status: {
      conditions: [{ type: 'Ready', status: 'True' }],
      addresses: [{ type: 'InternalIP', address: `10.0.2.${octet}` }],
      nodeInfo: { containerRuntimeVersion: runtime, kubeletVersion: 'v1.33.2', kubeProxyVersion: 'v1.33.2' } as k8s.V1NodeSystemInfo,
    },
  };
}

function pod(ns: string, name: string, node: string, ip: string, hostNetwork = false, phase = 'Running'): k8s.V1Pod {
  return { metadata: { namespace: ns, name }, spec: { nodeName: node, hostNetwork, containers: [{ name: 'c' }] }, status: { phase, podIP: ip, containerStatuses: [] } };
}

function service(ns: string, name: string, clusterIP: string, ports: Array<{ port: number; protocol?: string }>): k8s.V1Service {
  return { metadata: { namespace: ns, name }, spec: { type: 'ClusterIP', clusterIP, ports: ports.map((p) => ({ protocol: 'TCP', ...p })) } };
}

const SERVICES = [
  service('default', 'kubernetes', '10.96.0.1', [{ port: 443 }]),
  service('kube-system', 'kube-dns', '10.96.0.10', [{ port: 53, protocol: 'UDP' }, { port: 53 }, { port: 9153 }]),
];

/** The same node the integration tests use: win-1, 10.0.2.21, pods in 10.244.21.0/24, flannel vxlan. */
function snapshot(entry: NodeReportEntry | undefined, opts: { node?: k8s.V1Node; pods?: k8s.V1Pod[]; services?: k8s.V1Service[] | undefined; cni?: Snapshot['facts']['cni'] } = {}): Snapshot {
  const node = opts.node ?? windowsNode('win-1', 21);
  const name = node.metadata?.name ?? '';
  const octet = Number(/10\.244\.(\d+)\./.exec(node.spec?.podCIDR ?? '')?.[1]);
  return {
    serverVersion: 'v1.33.2',
    facts: { cni: opts.cni ?? { type: 'flannel', flannel: { namespace: 'kube-flannel', backendType: 'vxlan', vni: 4096, port: 4789, network: '10.244.0.0/16' } } },
    windowsNodes: [node],
    pods: opts.pods ?? [
      pod('kube-system', `kube-proxy-windows-${name}`, name, `10.0.2.${octet}`, true),
      pod('kube-flannel', `kube-flannel-ds-windows-${name}`, name, `10.0.2.${octet}`, true),
      pod('default', `web-${name}`, name, `10.244.${octet}.10`),
      pod('kube-system', 'coredns-1', 'linux-1', '10.244.0.5'),
    ],
    events: [],
    dnsSlices: [{ addressType: 'IPv4', endpoints: [{ addresses: ['10.244.0.5'], conditions: { ready: true } }] } as k8s.V1EndpointSlice],
    ...('services' in opts ? (opts.services ? { services: opts.services } : {}) : { services: SERVICES }),
    ...(entry ? { nodeReports: new Map([[name, entry]]) } : {}),
  };
}

const byId = (id: string) => {
  const c = NODE_HOST_CHECKS.find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id}`);
  return c;
};

function run(id: string, report: NodeReport, opts: Parameters<typeof snapshot>[1] = {}): CheckOutcome {
  const snap = snapshot({ report }, opts);
  return byId(id).run(snap, snap.windowsNodes[0]);
}

function expectStatus(o: CheckOutcome, status: CheckOutcome['status'], hint?: RegExp, message?: RegExp) {
  assert.equal(o.status, status, `${o.status}: ${o.message}`);
  if (hint) assert.match(o.hint ?? '', hint);
  if (message) assert.match(o.message, message);
}

const SCRIPT = readFileSync(nodeChecksScriptPath(), 'utf8');

describe('node host checks', () => {
  it('are registered after the API checks, all node-scoped, each asking for the reports', () => {
    const ids = allChecks().map((c) => c.id);
    for (const c of NODE_HOST_CHECKS) {
      assert.ok(ids.includes(c.id), `${c.id} not registered`);
      assert.equal(c.scope, 'node');
      assert.deepEqual(c.needs, ['nodeReports']);
      for (const dep of c.dependsOn) assert.ok(ids.indexOf(dep) < ids.indexOf(c.id), `${c.id} runs before its dependency ${dep}`);
    }
    assert.deepEqual(
      NODE_HOST_CHECKS.map((c) => c.id),
      [
        'node.host.report',
        'node.host.services',
        'node.host.kubelet-health',
        'node.host.kube-proxy-health',
        'node.host.hns-network',
        'node.host.hns-endpoints',
        'node.host.lb-policies',
        'node.host.ephemeral-ports',
        'node.host.firewall',
        'node.host.defender',
        'node.host.disk',
        'node.host.clock',
        'node.host.os-patch',
        'node.host.sandbox-image',
        'node.host.log-errors',
      ],
    );
  });

  it('all pass on the healthy containerd + flannel node', async () => {
    const results = await runChecks(NODE_HOST_CHECKS, snapshot({ report: healthy() }));
    const notPass = results.filter((r) => r.status !== 'pass');
    assert.deepEqual(notPass.map((r) => `${r.id}: ${r.status} ${r.message}`), []);
    assert.equal(results.length, NODE_HOST_CHECKS.length);
  });

  describe('the report root', () => {
    const statuses = (results: CheckResult[]) => [...new Set(results.map((r) => r.status))];

    it('skips everything when on-node checks were not run', async () => {
      const results = await runChecks(NODE_HOST_CHECKS, snapshot(undefined));
      assert.deepEqual(statuses(results), ['skip']);
      assert.match(results[0]?.message ?? '', /not run/);
      assert.match(results[1]?.message ?? '', /skipped: node\.host\.report was skipped/);
    });

    it('skips with the reason the runner gave', async () => {
      const results = await runChecks(NODE_HOST_CHECKS, snapshot({ skipped: 'no HostProcess support on containerd 1.5' }));
      assert.deepEqual(statuses(results), ['skip']);
      assert.equal(results[0]?.message, 'no HostProcess support on containerd 1.5');
    });

    it('skips a node the map does not mention', async () => {
      const snap = snapshot({ report: healthy() });
      snap.windowsNodes.push(windowsNode('win-9', 29));
      const results = await runChecks(NODE_HOST_CHECKS, snap);
      const win9 = results.filter((r) => r.node === 'win-9');
      assert.deepEqual(statuses(win9), ['skip']);
      assert.match(win9[0]?.message ?? '', /no on-node report for win-9/);
      assert.deepEqual(statuses(results.filter((r) => r.node === 'win-1')), ['pass']);
    });

    it('fails on an error and skips the dependents', async () => {
      const error = extractNodeReport('Error from server: container "checks" in pod "node-checks-win-1" is waiting to start');
      assert.ok('error' in error);
      const results = await runChecks(NODE_HOST_CHECKS, snapshot(error));
      assert.equal(results[0]?.id, NODE_REPORT_CHECK);
      assert.equal(results[0]?.status, 'fail');
      assert.match(results[0]?.message ?? '', /no report in the output/);
      assert.match(results[0]?.hint ?? '', /node-checks\.ps1/);
      assert.deepEqual(statuses(results.slice(1)), ['skip']);
      assert.match(results[1]?.message ?? '', /node\.host\.report failed/);
    });

    it('a check selected without the root still skips on its own', () => {
      const snap = snapshot({ error: 'boom' });
      expectStatus(byId('node.host.disk').run(snap, snap.windowsNodes[0]), 'skip', undefined, /no usable on-node report: boom/);
    });

    it('a section the script could not collect is a warning naming the error; a missing one is skipped', () => {
      const r = load('section-errors-old-script');
      expectStatus(run('node.host.hns-network', r), 'warn', /by hand/, /could not read HNS: HNS returned nothing/);
      expectStatus(run('node.host.kubelet-health', r), 'warn', undefined, /timed out/);
      expectStatus(run('node.host.log-errors', r), 'skip', undefined, /no logs section/);
      expectStatus(run('node.host.sandbox-image', r), 'skip', undefined, /no containerd section/);
    });
  });

  describe('node.host.services', () => {
    it('fails when kube-proxy is stopped', () => {
      expectStatus(run('node.host.services', load('broken-kube-proxy-hns')), 'fail', /Start-Service kube-proxy/, /kube-proxy service is Stopped/);
    });
    it('fails when containerd is stopped, and warns about a manual kubelet', () => {
      const o = run('node.host.services', load('broken-host-2025'), { node: windowsNode('win-2', 22, '10.0.26100') });
      expectStatus(o, 'fail', /Start-Service containerd/, /service containerd is Stopped/);
      assert.ok(o.evidence?.some((e) => /kubelet starts Manual/.test(e)));
    });
    it('warns about a kubelet that will not start after a reboot', () => {
      const r = healthy((d) => (d['services'].items.find((s: any) => s.name === 'kubelet').startType = 'Disabled'));
      expectStatus(run('node.host.services', r), 'warn', /Set-Service kubelet -StartupType Automatic/);
    });
    it('fails without flanneld on a flannel cluster, and accepts a kube-proxy process instead of a service', () => {
      const r = healthy((d) => {
        d['services'].processes.find((p: any) => p.name === 'flanneld').running = 0;
        d['services'].items.find((s: any) => s.name === 'kube-proxy').present = false;
      });
      expectStatus(run('node.host.services', r), 'fail', /flanneld/, /^flanneld is not running$/);
    });
    it('expects docker on a Docker node', () => {
      const o = run('node.host.services', healthy(), { node: windowsNode('win-1', 21, '10.0.20348', 'docker://20.10.24') });
      expectStatus(o, 'fail', undefined, /service docker is not installed/);
    });
  });

  describe('health endpoints', () => {
    it('kubelet: fails on 500 with the body', () => {
      expectStatus(run('node.host.kubelet-health', load('broken-host-2025'), { node: windowsNode('win-2', 22, '10.0.26100') }), 'fail', /unhealthy/, /answered 500: .*syncloop failed/);
    });
    it('kubelet: fails when unreachable', () => {
      const r = healthy((d) => (d['health'].kubelet = { url: 'http://127.0.0.1:10248/healthz', statusCode: null, body: null, error: 'Unable to connect to the remote server' }));
      expectStatus(run('node.host.kubelet-health', r), 'fail', /Get-Service kubelet/, /unreachable/);
    });
    it('kube-proxy: fails when unreachable', () => {
      expectStatus(run('node.host.kube-proxy-health', load('broken-kube-proxy-hns')), 'fail', /kube-proxy is not running/, /Unable to connect/);
    });
    it('kube-proxy: fails on 503 (not synced)', () => {
      const r = healthy((d) => (d['health'].kubeProxy.statusCode = 503));
      expectStatus(run('node.host.kube-proxy-health', r), 'fail', /has not synced HNS/, /answered 503/);
    });
  });

  describe('node.host.hns-network', () => {
    it('fails on an APIPA management IP with the vSwitch/DHCP hint', () => {
      expectStatus(run('node.host.hns-network', load('broken-kube-proxy-hns')), 'fail', /vSwitch came up before the adapter had its DHCP address: restart flanneld/, /169\.254\.23\.7 is an APIPA address/);
    });
    it('fails when the network is missing', () => {
      const r = healthy((d) => (d['hns'].networks = [d['hns'].networks[0]]));
      expectStatus(run('node.host.hns-network', r), 'fail', /Element not found/, /flannel\.4096 not found \(networks: nat/);
    });
    it('fails on the wrong network type', () => {
      const r = healthy((d) => (d['hns'].networks[1].type = 'L2Bridge'));
      expectStatus(run('node.host.hns-network', r), 'fail', /needs Overlay/, /is L2Bridge, expected Overlay/);
    });
    it("fails when the network's subnet is not the node's pod CIDR", () => {
      const r = healthy((d) => (d['hns'].networks[1].subnets = { addressPrefix: '10.244.7.0/24', gatewayAddress: '10.244.7.1' }));
      expectStatus(run('node.host.hns-network', r), 'fail', /subnet\.env/, /outside the node's pod CIDR 10\.244\.21\.0\/24/);
    });
    it('falls back to the CNI when the script was not told the network, and knows Calico', () => {
      const r = healthy((d) => (d['parameters'].networkName = ''));
      expectStatus(run('node.host.hns-network', r), 'pass', undefined, /flannel\.4096 \(Overlay\)/);
      expectStatus(run('node.host.hns-network', r, { cni: { type: 'calico' } }), 'fail', /calico-node/, /HNS network Calico not found/);
      expectStatus(run('node.host.hns-network', r, { cni: { type: 'unknown' } }), 'skip');
    });
    it("names flannel's network flannel.<VNI> from the cluster's net-conf, not vxlan0", () => {
      const flannel = (over: Record<string, unknown>) => ({ type: 'flannel' as const, flannel: { namespace: 'kube-flannel', backendType: 'vxlan', port: 4789, ...over } });
      const asNetwork = (name: string) =>
        healthy((d) => {
          d['parameters'].networkName = '';
          d['hns'].networks[1].name = name;
          for (const e of d['hns'].endpoints) e.virtualNetworkName = name;
        });
      expectStatus(run('node.host.hns-network', asNetwork('flannel.4096'), { cni: flannel({ vni: 4096 }) }), 'pass', undefined, /^flannel\.4096 \(Overlay\)/);
      expectStatus(run('node.host.hns-network', asNetwork('vxlan0'), { cni: flannel({ vni: 4096 }) }), 'fail', undefined, /HNS network flannel\.4096 not found \(networks: nat .*vxlan0/);
      expectStatus(run('node.host.hns-network', asNetwork('flannel.4096'), { cni: flannel({ vni: 5000 }) }), 'fail', undefined, /flannel\.5000 not found/);
      // flannel on Windows defaults the VNI to 4096 (vxlan_windows.go), not Linux's 1.
      expectStatus(run('node.host.hns-network', asNetwork('flannel.4096'), { cni: flannel({}) }), 'pass');
      // Backend.Name overrides the default: the old guides' "vxlan0" is right only when the net-conf says so.
      expectStatus(run('node.host.hns-network', asNetwork('vxlan0'), { cni: flannel({ vni: 4096, backendName: 'vxlan0' }) }), 'pass', undefined, /^vxlan0 \(Overlay\)/);
      // An unreadable net-conf: any flannel.<digits> network is flannel's, and its endpoints are counted.
      const unknown = { type: 'flannel' as const, flannel: { namespace: 'kube-flannel' } };
      expectStatus(run('node.host.hns-network', asNetwork('flannel.7001'), { cni: unknown }), 'pass', undefined, /^flannel\.7001/);
      expectStatus(run('node.host.hns-endpoints', asNetwork('flannel.7001'), { cni: unknown }), 'pass', undefined, /^1 local endpoint/);
      expectStatus(run('node.host.hns-network', asNetwork('vxlan0'), { cni: unknown }), 'fail', undefined, /HNS network flannel\.<VNI> not found/);
    });
  });

  describe('node.host.hns-endpoints', () => {
    it('fails on an endpoint not attached and reports the leaked one', () => {
      const o = run('node.host.hns-endpoints', load('broken-kube-proxy-hns'));
      expectStatus(o, 'fail', /delete them so they are recreated/, /1 endpoint\(s\) not attached.*1 leaked/);
      assert.ok(o.evidence?.some((e) => /10\.244\.21\.37.*no pod/.test(e)));
    });
    it('warns on leaked endpoints only', () => {
      const r = healthy((d) => d['hns'].endpoints.push({ id: 'X', name: 'Ethernet', ipAddress: '10.244.21.99', state: 3, virtualNetworkName: 'flannel.4096', isRemote: false }));
      expectStatus(run('node.host.hns-endpoints', r), 'warn', /hnsdiag delete endpoints/, /1 leaked/);
    });
    it('fails on a running pod without an endpoint', () => {
      const pods = [...snapshot(undefined).pods, pod('default', 'api-1', 'win-1', '10.244.21.11')];
      const o = run('node.host.hns-endpoints', healthy(), { pods });
      expectStatus(o, 'fail', /delete them/, /1 pod\(s\) without an HNS endpoint/);
      assert.ok(o.evidence?.some((e) => e.includes('default/api-1 10.244.21.11')));
    });
    it('ignores finished pods and host endpoints', () => {
      const pods = [...snapshot(undefined).pods, pod('default', 'job-1', 'win-1', '10.244.21.12', false, 'Succeeded')];
      const r = healthy((d) => d['hns'].endpoints.push({ id: 'H', name: 'cbr0_ep', ipAddress: '10.244.21.3', state: 3, virtualNetworkName: 'flannel.4096', isRemote: false }));
      expectStatus(run('node.host.hns-endpoints', r, { pods }), 'pass');
    });
  });

  describe('node.host.lb-policies', () => {
    it('fails when the kube-dns load balancer is missing: kube-proxy is not programming HNS', () => {
      const o = run('node.host.lb-policies', load('broken-kube-proxy-hns'));
      expectStatus(o, 'fail', /kube-proxy is not programming HNS: restart kube-proxy/, /no HNS load balancer for the cluster DNS: kube-system\/kube-dns 10\.96\.0\.10:53\/UDP/);
    });
    it('uses the DNS IP the script was given when Services are not in the snapshot', () => {
      expectStatus(run('node.host.lb-policies', load('broken-kube-proxy-hns'), { services: undefined }), 'fail', /restart kube-proxy/, /10\.96\.0\.10:53/);
      expectStatus(run('node.host.lb-policies', healthy(), { services: undefined }), 'pass', undefined, /including the cluster DNS/);
    });
    it('fails when the DNS load balancer has no backends', () => {
      const r = healthy((d) => (d['hns'].loadBalancers.value[1].backends = 0));
      expectStatus(run('node.host.lb-policies', r), 'fail', /EndpointSlices/, /no backends/);
    });
    it('warns for other Service ports without a policy', () => {
      const services = [...SERVICES, service('default', 'web', '10.96.12.7', [{ port: 80 }])];
      expectStatus(run('node.host.lb-policies', healthy(), { services }), 'warn', /restart kube-proxy/, /1 of 5 Service port\(s\)/);
    });
    it('fails on a load balancer not in state 2', () => {
      const r = healthy((d) => (d['hns'].loadBalancers.value[0].state = 1));
      expectStatus(run('node.host.lb-policies', r), 'fail', /restarting kube-proxy/, /not in state 2/);
    });
  });

  describe('node.host.ephemeral-ports', () => {
    it('fails when nearly exhausted', () => {
      expectStatus(run('node.host.ephemeral-ports', load('broken-kube-proxy-hns')), 'fail', /netsh int ipv4 set dynamicport/, /nearly exhausted .*484 free/);
    });
    it('warns above 80% used', () => {
      expectStatus(run('node.host.ephemeral-ports', load('section-errors-old-script')), 'warn', /Get-NetTCPConnection/, /85% of the ephemeral TCP ports/);
    });
  });

  describe('node.host.firewall', () => {
    it('fails when 10250 is not allowed and VXLAN is blocked', () => {
      const o = run('node.host.firewall', load('broken-host-2025'), { node: windowsNode('win-2', 22, '10.0.26100') });
      expectStatus(o, 'fail', /New-NetFirewallRule -Name win-k8s-10250 .*-Protocol TCP -LocalPort 10250/, /no enabled inbound rule allows 10250\/TCP.*4789\/UDP is blocked by Block VXLAN/);
    });
    it('passes when the firewall is off', () => {
      expectStatus(run('node.host.firewall', load('section-errors-old-script')), 'pass', undefined, /off in every profile/);
    });
    it('only warns for the kube-proxy health port, and needs no VXLAN rule on L2Bridge', () => {
      const r = healthy((d) => {
        d['firewall'].ports[1].allowRules = [];
        d['firewall'].ports[2].allowRules = [];
        d['parameters'].networkName = 'cbr0';
        d['parameters'].networkType = 'L2Bridge';
        d['hns'].networks[1].name = 'cbr0';
        d['hns'].networks[1].type = 'L2Bridge';
      });
      expectStatus(run('node.host.firewall', r), 'warn', /LocalPort 10256/, /10256\/TCP/);
    });
  });

  describe('node.host.defender', () => {
    it('warns when real-time protection has no exclusions', () => {
      const o = run('node.host.defender', load('broken-host-2025'), { node: windowsNode('win-2', 22, '10.0.26100') });
      expectStatus(o, 'warn', /Add-MpPreference -ExclusionProcess/, /containerd\.exe.*kubelet\.exe.*C:\\ProgramData\\containerd/);
    });
    it('passes without Defender, and skips when exclusions are hidden', () => {
      expectStatus(run('node.host.defender', load('section-errors-old-script')), 'pass', undefined, /not installed/);
      const hidden = healthy((d) => (d['defender'].exclusionPath = ['N/A: Must be an administrator to view exclusions']));
      expectStatus(run('node.host.defender', hidden), 'skip', undefined, /hidden/);
    });
    it('accepts directory exclusions covering the binaries', () => {
      const r = healthy((d) => (d['defender'].exclusionProcess = []));
      expectStatus(run('node.host.defender', r), 'pass');
    });
  });

  describe('node.host.disk', () => {
    it('fails below the eviction threshold', () => {
      expectStatus(run('node.host.disk', load('broken-host-2025'), { node: windowsNode('win-2', 22, '10.0.26100') }), 'fail', /crictl rmi --prune/, /3\.1 GiB free of 126\.9 GiB/);
    });
    it('warns when low', () => {
      expectStatus(run('node.host.disk', load('section-errors-old-script')), 'warn', /crictl rmi --prune/, /18\.0 GiB free.*low/);
    });
  });

  describe('node.host.clock', () => {
    it('fails on a large skew against the API server', () => {
      expectStatus(run('node.host.clock', load('broken-host-2025'), { node: windowsNode('win-2', 22, '10.0.26100') }), 'fail', /w32tm \/resync/, /-47\.9 s against the API server/);
    });
    it('warns on a small skew beyond the uncertainty, passes within it', () => {
      expectStatus(run('node.host.clock', healthy((d) => (d['clock'].skewSeconds = 3.4))), 'warn', /w32tm/);
      expectStatus(run('node.host.clock', healthy((d) => (d['clock'].skewSeconds = 2.4))), 'pass');
    });
    it('warns on an unsynchronised clock, skips when w32tm could not measure', () => {
      expectStatus(run('node.host.clock', load('section-errors-old-script')), 'warn', /w32tm/, /Local CMOS Clock/);
      const r = healthy((d) => (d['clock'] = { method: 'w32tm', reference: 'VM IC Time Synchronization Provider', skewSeconds: null, uncertaintySeconds: null }));
      expectStatus(run('node.host.clock', r), 'skip', undefined, /VM IC Time/);
    });
  });

  describe('node.host.os-patch', () => {
    it('passes with the build and UBR', () => {
      expectStatus(run('node.host.os-patch', healthy()), 'pass', undefined, /Windows Server 2022 10\.0\.20348\.2849/);
    });
    it('fails on Windows Server 2016 and on client editions', () => {
      expectStatus(run('node.host.os-patch', healthy((d) => (d['os'].build = 14393))), 'fail', /10\.0\.17763/);
      expectStatus(run('node.host.os-patch', healthy((d) => (d['os'].installationType = 'Client'))), 'fail', /Windows Server LTSC/, /not Windows Server/);
    });
    it('warns when the node label disagrees with the registry', () => {
      expectStatus(run('node.host.os-patch', load('broken-host-2025')), 'warn', /relabels/, /labelled 10\.0\.20348/);
    });
  });

  describe('node.host.sandbox-image', () => {
    it('fails on pause 3.10.1 on Windows Server 2025 with the image to use', () => {
      const o = run('node.host.sandbox-image', load('broken-host-2025'), { node: windowsNode('win-2', 22, '10.0.26100') });
      expectStatus(o, 'fail', /registry\.k8s\.io\/pause:3\.10\.2 in C:\\Program Files\\containerd\\config\.toml/, /no Windows Server 2025 .*does not match the host operating system/);
    });
    it('fails on an image tagged for another build, passes on the matching tag', () => {
      expectStatus(run('node.host.sandbox-image', healthy((d) => (d['containerd'].sandboxImage = 'mcr.microsoft.com/windows/nanoserver:ltsc2019'))), 'fail', /pause:3\.10\.1/, /built for 10\.0\.17763/);
      expectStatus(run('node.host.sandbox-image', healthy((d) => (d['containerd'].sandboxImage = 'example.com/pause:ltsc2022'))), 'pass');
    });
    it('fails on an old pause, warns on unknown images and on a config without one', () => {
      expectStatus(run('node.host.sandbox-image', healthy((d) => (d['containerd'].sandboxImage = 'k8s.gcr.io/pause:3.5'))), 'fail', /pause:3\.10\.1/, /needs 3\.6 or newer/);
      expectStatus(run('node.host.sandbox-image', healthy((d) => (d['containerd'].sandboxImage = 'example.com/my/pause:1'))), 'warn', /pause:3\.10\.1/);
      expectStatus(run('node.host.sandbox-image', healthy((d) => (d['containerd'].sandboxImage = null))), 'warn', /sandbox_image/, /built-in default/);
    });
  });

  describe('node.host.log-errors', () => {
    it('maps kube-proxy 0x803b0013 to its cause and fix', () => {
      const o = run('node.host.log-errors', load('broken-kube-proxy-hns'));
      expectStatus(o, 'fail', /hnsdiag delete loadbalancers/, /kube-proxy: HNS refused a policy because its port already exists .*\(14x\)/);
      assert.ok(o.evidence?.some((e) => e.startsWith('kube-proxy [hns-port-exists] E1128')));
    });
    it('maps the OS mismatch in the containerd log', () => {
      expectStatus(run('node.host.log-errors', load('broken-host-2025')), 'fail', /pause image/, /another Windows build/);
    });
    it('warns when no log was found', () => {
      expectStatus(run('node.host.log-errors', healthy((d) => (d['logs'].files = []))), 'warn', /C:\\var\\log/, /no kubelet, kube-proxy or containerd log/);
    });
    it('knows exactly the signatures the script tags lines with', () => {
      const ids = [...SCRIPT.matchAll(/@\{ id = '([\w-]+)'; pattern = '/g)].map((m) => m[1]);
      assert.ok(ids.length >= 10);
      assert.deepEqual([...ids].sort(), Object.keys(LOG_SIGNATURES).sort());
    });
    it("the script's patterns tag each fixture line with the fixture's signature (first match wins)", () => {
      const sigs = [...SCRIPT.matchAll(/@\{ id = '([\w-]+)'; pattern = '((?:[^']|'')*)' \}/g)].map((m) => ({ id: m[1], re: new RegExp((m[2] ?? '').replace(/''/g, "'"), 'i') }));
      let lines = 0;
      for (const name of ['broken-kube-proxy-hns', 'broken-host-2025']) {
        for (const m of load(name).logs?.matches ?? []) {
          for (const line of m.lines) {
            lines++;
            assert.equal(sigs.find((s) => s.re.test(line))?.id, m.signature, line);
          }
        }
      }
      assert.ok(lines >= 4);
      assert.equal(sigs.find((s) => s.re.test('I1128 proxier.go:600] "Syncing service" name="default/web"')), undefined);
    });
  });
});
