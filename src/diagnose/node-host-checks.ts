import type * as k8s from '@kubernetes/client-node';
import { sandboxImage } from '../compat/runtime.js';
import { kubernetesSupportedReleases, windowsReleaseForBuild, WINDOWS_RELEASES } from '../compat/windows.js';
import { compareVersions } from '../compat/versions.js';
import { inCidr } from './checks.js';
import { K8S_DOCS } from './docs.js';
import { expectedHnsNetwork, type HnsEndpointReport, type HnsNetworkReport, type NodeReport } from './node-report.js';
import type { CheckDefinition, CheckOutcome, Snapshot } from './types.js';

/**
 * Checks of what the on-node script (templates/diagnose/node-checks.ps1) saw on each Windows
 * node: services, HNS state, ports, firewall, Defender, disk, clock, sandbox image and logs.
 * They read snap.nodeReports, which the diagnose engine fills by running the script.
 */

export const NODE_REPORT_CHECK = 'node.host.report';
const CATEGORY = 'node-host';

const nameOf = (n: k8s.V1Node | undefined): string => n?.metadata?.name ?? '?';

type Section = { error?: string | null | undefined };

/** The report for this node, or the outcome that says why there is none. */
function reportFor(snap: Snapshot, n: k8s.V1Node | undefined): { report: NodeReport } | { outcome: CheckOutcome } {
  const name = nameOf(n);
  if (!snap.nodeReports) return { outcome: { status: 'skip', message: 'on-node checks were not run' } };
  const entry = snap.nodeReports.get(name);
  if (!entry) return { outcome: { status: 'skip', message: `no on-node report for ${name}` } };
  if ('skipped' in entry) return { outcome: { status: 'skip', message: entry.skipped } };
  if ('error' in entry) return { outcome: { status: 'skip', message: `no usable on-node report: ${entry.error}` } };
  return { report: entry.report };
}

/**
 * Runs `fn` on one section of the report: skipped when the script did not send the section
 * (an older script), a warning when the script could not collect it.
 */
export function withSection<S extends Section>(
  snap: Snapshot,
  n: k8s.V1Node | undefined,
  pick: (r: NodeReport) => S | undefined,
  what: string,
  fn: (section: S, report: NodeReport) => CheckOutcome,
): CheckOutcome {
  const r = reportFor(snap, n);
  if ('outcome' in r) return r.outcome;
  const section = pick(r.report);
  if (!section) return { status: 'skip', message: `the on-node report has no ${what} section` };
  if (section.error) {
    return { status: 'warn', message: `the node script could not read ${what}: ${section.error}`, hint: 'run templates/diagnose/node-checks.ps1 by hand on the node (as Administrator) to see the full error' };
  }
  return fn(section, r.report);
}

export function nodeBuild(report: NodeReport, n: k8s.V1Node | undefined): number | undefined {
  if (typeof report.os?.build === 'number') return report.os.build;
  const label = n?.metadata?.labels?.['node.kubernetes.io/windows-build'];
  const m = /^\d+\.\d+\.(\d+)/.exec(label ?? '');
  return m ? Number(m[1]) : undefined;
}

function runtimeOf(n: k8s.V1Node | undefined): 'containerd' | 'docker' | undefined {
  const v = n?.status?.nodeInfo?.containerRuntimeVersion ?? '';
  if (v.startsWith('containerd://')) return 'containerd';
  if (v.startsWith('docker://')) return 'docker';
  return undefined;
}

/** The network the CNI should have created: what the script was told, else what the cluster's CNI implies. */
function expectedNetwork(snap: Snapshot, report: NodeReport): { name: string; pattern?: RegExp; type?: string } | undefined {
  const p = report.parameters;
  if (p?.networkName) return { name: p.networkName, ...(p.networkType ? { type: p.networkType } : {}) };
  return expectedHnsNetwork(snap.facts.cni);
}

const sameName = (a: string | null | undefined, b: string) => (a ?? '').toLowerCase() === b.toLowerCase();

/** Whether an HNS network name is the expected one: the exact name, or its pattern when only the form is known. */
const isExpectedNetwork = (name: string | null | undefined, expected: { name: string; pattern?: RegExp }) =>
  expected.pattern ? expected.pattern.test(name ?? '') : sameName(name, expected.name);

function cidrsOverlap(a: string, b: string): boolean {
  const base = (c: string) => c.split('/')[0] ?? '';
  return inCidr(base(a), b) || inCidr(base(b), a);
}

function podsWithIpOn(snap: Snapshot, node: string): k8s.V1Pod[] {
  return snap.pods.filter(
    (p) => p.spec?.nodeName === node && !p.spec?.hostNetwork && p.status?.podIP && p.status.phase !== 'Succeeded' && p.status.phase !== 'Failed' && !p.metadata?.deletionTimestamp,
  );
}

const podRef = (p: k8s.V1Pod) => `${p.metadata?.namespace}/${p.metadata?.name}`;
const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;

// ---------------------------------------------------------------------------------------------
// Services
// ---------------------------------------------------------------------------------------------

function servicesOutcome(section: NonNullable<NodeReport['services']>, snap: Snapshot, n: k8s.V1Node | undefined): CheckOutcome {
  const services = section.items ?? [];
  const processes = section.processes ?? [];
  const svc = (name: string) => services.find((s) => sameName(s.name, name) && s.present);
  const running = (name: string) => (processes.find((p) => sameName(p.name, name))?.running ?? 0) > 0;
  const fails: string[] = [];
  const warns: string[] = [];
  const hints: string[] = [];

  // hns is demand-started by Windows, so only the kubelet's and runtime's start type matter.
  const requireService = (name: string, hint: string, mustAutoStart = true) => {
    const s = svc(name);
    if (!s) {
      fails.push(`service ${name} is not installed`);
      hints.push(hint);
    } else if (s.status !== 'Running') {
      fails.push(`service ${name} is ${s.status ?? 'in an unknown state'}`);
      hints.push(`Start-Service ${name}; if it stops again, read its log. ${hint}`);
    } else if (mustAutoStart && (s.startType === 'Disabled' || s.startType === 'Manual')) {
      warns.push(`service ${name} starts ${s.startType}: it will not come back after a reboot`);
      hints.push(`Set-Service ${name} -StartupType Automatic`);
    }
  };

  const runtime = runtimeOf(n) ?? (svc('docker') && !svc('containerd') ? 'docker' : 'containerd');
  requireService(runtime, runtime === 'containerd' ? 'containerd runs as a Windows service (containerd.exe --register-service)' : 'Docker runs as the docker service');
  requireService('kubelet', 'the kubelet runs as a Windows service; see C:\\var\\log\\kubelet\\kubelet.log');
  requireService('hns', 'the Host Network Service comes with the Containers feature: Install-WindowsFeature Containers, then reboot', false);

  // kube-proxy is a service (our bootstrap "kube-proxy", AKS "kubeproxy") or a HostProcess pod's process.
  const proxyServices = ['kube-proxy', 'kubeproxy'].map(svc).filter((s) => s !== undefined);
  if (!running('kube-proxy') && !proxyServices.some((s) => s.status === 'Running')) {
    fails.push(proxyServices.length > 0 ? `kube-proxy service is ${proxyServices.map((s) => s.status).join('/')}` : 'kube-proxy is not running (no service, no process)');
    hints.push(proxyServices.length > 0 ? `Start-Service ${proxyServices[0]?.name}; read C:\\var\\log\\kube-proxy\\kube-proxy.log` : 'deploy the Windows kube-proxy DaemonSet (HostProcess) or install kube-proxy as a service');
  }

  if (snap.facts.cni.type === 'flannel') {
    const flannelService = svc('flanneld');
    if (!running('flanneld') && flannelService?.status !== 'Running') {
      fails.push('flanneld is not running');
      hints.push('flanneld runs as a process (our bootstrap: scheduled task win-k8s-flanneld; or the kube-flannel-ds-windows HostProcess pod): read C:\\var\\log\\flanneld\\flanneld.log');
    }
  } else if (snap.facts.cni.type === 'calico' && !running('calico-node')) {
    warns.push('no calico-node process on the node');
    hints.push('check the calico-node-windows pod on this node (kubectl -n calico-system get pods -o wide)');
  }

  const seen = [...services.filter((s) => s.present).map((s) => `${s.name}=${s.status}`), ...processes.filter((p) => p.running > 0).map((p) => `${p.name}.exe x${p.running}`)];
  if (fails.length > 0) return { status: 'fail', message: fails.join('; '), hint: [...new Set(hints)].join(' | '), evidence: [...fails, ...warns, `seen: ${seen.join(', ')}`] };
  if (warns.length > 0) return { status: 'warn', message: warns.join('; '), hint: [...new Set(hints)].join(' | '), evidence: seen };
  return { status: 'pass', message: `running: ${seen.join(', ')}` };
}

// ---------------------------------------------------------------------------------------------
// Health endpoints
// ---------------------------------------------------------------------------------------------

function healthOutcome(
  result: NonNullable<NonNullable<NodeReport['health']>['kubelet']> | undefined,
  what: string,
  downHint: string,
  unhealthyHint: string,
): CheckOutcome {
  if (!result) return { status: 'skip', message: `the report has no ${what} health result` };
  // healthz bodies list one check per line; a message stays on one line.
  const body = (result.body ?? '').replace(/\s+/g, ' ').trim();
  if (result.statusCode === 200) return { status: 'pass', message: `${result.url}: 200 ${body}`.trim() };
  if (typeof result.statusCode === 'number') {
    return { status: 'fail', message: `${result.url} answered ${result.statusCode}${body ? `: ${body}` : ''}`, hint: unhealthyHint };
  }
  return { status: 'fail', message: `${result.url ?? what} unreachable: ${result.error ?? 'no answer'}`, hint: downHint };
}

// ---------------------------------------------------------------------------------------------
// HNS
// ---------------------------------------------------------------------------------------------

function findNetwork(networks: HnsNetworkReport[], expected: { name: string; pattern?: RegExp }): HnsNetworkReport | undefined {
  return networks.find((x) => isExpectedNetwork(x.name, expected));
}

function cniAgent(snap: Snapshot): string {
  if (snap.facts.cni.type === 'flannel') return 'flanneld (or the kube-flannel-ds-windows pod)';
  if (snap.facts.cni.type === 'calico') return 'calico-node (the calico-node-windows pod)';
  return 'the CNI agent';
}

function hnsNetworkOutcome(hns: NonNullable<NodeReport['hns']>, snap: Snapshot, report: NodeReport, n: k8s.V1Node | undefined): CheckOutcome {
  if (hns.networksError) return { status: 'warn', message: `could not list HNS networks: ${hns.networksError}`, hint: 'check the hns service (Get-Service hns) and run Get-HnsNetwork on the node' };
  const networks = hns.networks ?? [];
  const listing = networks.map((x) => `${x.name} (${x.type ?? '?'}, ${x.managementIp || 'no management IP'})`);
  const expected = expectedNetwork(snap, report);
  if (!expected) {
    return { status: 'skip', message: `no expected HNS network name for CNI ${snap.facts.cni.type}; networks: ${listing.join(', ') || 'none'}` };
  }
  const net = findNetwork(networks, expected);
  if (!net) {
    return {
      status: 'fail',
      message: `HNS network ${expected.name} not found (networks: ${listing.join(', ') || 'none'})`,
      hint: `${cniAgent(snap)} creates it: check that it runs and read its log; after a reboot HNS can lose the network ("Element not found"), and restarting the agent recreates it`,
      evidence: listing,
    };
  }
  const problems: string[] = [];
  const hints: string[] = [];
  if (expected.type && !sameName(net.type, expected.type)) {
    problems.push(`${net.name} is ${net.type ?? 'of unknown type'}, expected ${expected.type}`);
    hints.push(`the CNI backend and the network disagree (flannel vxlan needs Overlay, host-gw L2Bridge): delete it (hnsdiag delete networks ${net.id ?? '<id>'}) and restart ${cniAgent(snap)}`);
  }
  if (/^169\.254\./.test(net.managementIp ?? '')) {
    problems.push(`management IP ${net.managementIp} is an APIPA address`);
    hints.push(
      `the vSwitch came up before the adapter had its DHCP address: restart ${cniAgent(snap)} so it recreates the network (or hnsdiag delete networks ${net.id ?? '<id>'} first), or reboot the node`,
    );
  } else if (!net.managementIp) {
    problems.push(`${net.name} has no management IP`);
    hints.push(`the network is not bound to the host adapter: recreate it by restarting ${cniAgent(snap)}`);
  }
  const podCidrs = n?.spec?.podCIDRs ?? (n?.spec?.podCIDR ? [n.spec.podCIDR] : report.parameters?.podCidr ? [report.parameters.podCidr] : []);
  const prefixes = (net.subnets ?? []).map((s) => s.addressPrefix).filter((p): p is string => Boolean(p));
  if (snap.facts.cni.type === 'flannel' && podCidrs.length > 0 && prefixes.length > 0 && !prefixes.some((p) => podCidrs.some((c) => cidrsOverlap(p, c)))) {
    problems.push(`${net.name} subnets ${prefixes.join(', ')} are outside the node's pod CIDR ${podCidrs.join(', ')}`);
    hints.push('flanneld built the network from a stale lease (C:\\run\\flannel\\subnet.env): delete the network and restart flanneld');
  }
  if (problems.length > 0) return { status: 'fail', message: problems.join('; '), hint: hints.join(' | '), evidence: listing };
  return { status: 'pass', message: `${net.name} (${net.type}) with management IP ${net.managementIp}${prefixes.length ? `, subnets ${prefixes.join(', ')}` : ''}` };
}

/** HNS endpoint states (hcsshim): 1 Created, 2 Attached, 3 AttachedSharing; 2 and 3 carry traffic. */
const HEALTHY_ENDPOINT_STATES = new Set([2, 3]);

function hnsEndpointsOutcome(hns: NonNullable<NodeReport['hns']>, snap: Snapshot, report: NodeReport, n: k8s.V1Node | undefined): CheckOutcome {
  if (hns.endpointsError) return { status: 'warn', message: `could not list HNS endpoints: ${hns.endpointsError}`, hint: 'check the hns service and run Get-HnsEndpoint on the node' };
  const expected = expectedNetwork(snap, report);
  const net = expected ? findNetwork(hns.networks ?? [], expected) : undefined;
  const infraIps = new Set([net?.managementIp, ...(net?.subnets ?? []).map((s) => s.gatewayAddress)].filter(Boolean));
  const local = (hns.endpoints ?? []).filter(
    (e: HnsEndpointReport) =>
      !e.isRemote &&
      (!expected || isExpectedNetwork(e.virtualNetworkName, net ?? expected)) &&
      // The host's own endpoints (l2bridge "cbr0_ep", kube-proxy's source VIP) belong to no pod.
      !/(_ep|source.?vip)$/i.test(e.name ?? '') &&
      !infraIps.has(e.ipAddress),
  );
  const remote = (hns.endpoints ?? []).filter((e) => e.isRemote).length;
  const pods = podsWithIpOn(snap, nameOf(n));
  const endpointIps = new Set(local.map((e) => e.ipAddress));
  const podIps = new Set(pods.map((p) => p.status?.podIP));
  const missing = pods.filter((p) => !endpointIps.has(p.status?.podIP));
  const leaked = local.filter((e) => !podIps.has(e.ipAddress ?? ''));
  const badState = local.filter((e) => typeof e.state === 'number' && !HEALTHY_ENDPOINT_STATES.has(e.state) && podIps.has(e.ipAddress ?? ''));

  const evidence = [
    ...missing.map((p) => `pod ${podRef(p)} ${p.status?.podIP}: no HNS endpoint`),
    ...badState.map((e) => `endpoint ${e.id} ${e.ipAddress}: state ${e.state}`),
    ...leaked.map((e) => `endpoint ${e.id} ${e.ipAddress} (${e.name ?? ''}): no pod on the node has this IP`),
  ];
  if (missing.length > 0 || badState.length > 0) {
    const parts = [
      ...(missing.length ? [`${missing.length} pod(s) without an HNS endpoint`] : []),
      ...(badState.length ? [`${badState.length} endpoint(s) not attached (state not 2/3)`] : []),
      ...(leaked.length ? [`${leaked.length} leaked endpoint(s)`] : []),
    ];
    return {
      status: 'fail',
      message: parts.join('; '),
      hint: 'these pods have no working network on the node: delete them so they are recreated; if it repeats, restart hns and then the CNI agent and kubelet',
      evidence,
    };
  }
  if (leaked.length > 0) {
    return {
      status: 'warn',
      message: `${leaked.length} leaked HNS endpoint(s) with no pod (they hold pod IPs)`,
      hint: 'remove them (hnsdiag delete endpoints <id>, or Get-HnsEndpoint | ? IPAddress -eq <ip> | Remove-HnsEndpoint) and delete their stale files under the host-local IPAM data dir (C:\\var\\lib\\cni\\networks)',
      evidence,
    };
  }
  return { status: 'pass', message: `${local.length} local endpoint(s) match the ${pods.length} pod(s) with an IP; ${remote} remote endpoint(s)` };
}

const PROTOCOL_NUMBER: Record<string, number> = { TCP: 6, UDP: 17 };

function lbPoliciesOutcome(hns: NonNullable<NodeReport['hns']>, snap: Snapshot, report: NodeReport): CheckOutcome {
  if (hns.loadBalancersError) return { status: 'warn', message: `could not list HNS load balancers: ${hns.loadBalancersError}`, hint: 'run Get-HnsPolicyList on the node' };
  const lbs = hns.loadBalancers ?? [];
  const has = (ip: string, port: number, protocol: string) => lbs.find((lb) => lb.vips.includes(ip) && lb.externalPort === port && lb.protocol === PROTOCOL_NUMBER[protocol]);

  type Want = { svc: string; ip: string; port: number; protocol: string; dns: boolean };
  const wants: Want[] = [];
  for (const s of snap.services ?? []) {
    const ip = s.spec?.clusterIP;
    if (!ip || ip === 'None' || s.spec?.type === 'ExternalName' || ip.includes(':')) continue;
    const dns = s.metadata?.namespace === 'kube-system' && s.metadata?.name === 'kube-dns';
    for (const p of s.spec?.ports ?? []) {
      const protocol = p.protocol ?? 'TCP';
      if (!PROTOCOL_NUMBER[protocol]) continue;
      wants.push({ svc: `${s.metadata?.namespace}/${s.metadata?.name}`, ip, port: p.port, protocol, dns });
    }
  }
  const dnsIp = report.parameters?.dnsServiceIp;
  if (!wants.some((w) => w.dns) && dnsIp) {
    // Without the Services, the DNS IP the script was given still names the one policy that matters most.
    for (const protocol of ['UDP', 'TCP']) wants.push({ svc: 'kube-system/kube-dns', ip: dnsIp, port: 53, protocol, dns: true });
  }
  if (wants.length === 0) return { status: 'skip', message: `no Services to compare with (${lbs.length} HNS load balancer(s) on the node)` };

  const dnsReady = snap.dnsSlices.length === 0 || snap.dnsSlices.some((sl) => (sl.endpoints ?? []).some((e) => e.conditions?.ready !== false));
  const missing = wants.filter((w) => !has(w.ip, w.port, w.protocol));
  const missingDns = missing.filter((w) => w.dns);
  const emptyDns = wants.filter((w) => w.dns && has(w.ip, w.port, w.protocol)?.backends === 0);
  const notReady = wants.map((w) => has(w.ip, w.port, w.protocol)).filter((lb) => lb && typeof lb.state === 'number' && lb.state !== 2);
  const fmt = (w: Want) => `${w.svc} ${w.ip}:${w.port}/${w.protocol}`;
  const proxyHint = 'kube-proxy is not programming HNS: restart kube-proxy (Restart-Service kube-proxy, or delete its pod) and read its log for "Policy creation failed" or 0x803b0013';

  if (missingDns.length > 0 && dnsReady) {
    return {
      status: 'fail',
      message: `no HNS load balancer for the cluster DNS: ${missingDns.map(fmt).join(', ')}; pods on this node cannot resolve names`,
      hint: proxyHint,
      evidence: missing.map((w) => `missing: ${fmt(w)}`),
    };
  }
  if (emptyDns.length > 0 && dnsReady) {
    return { status: 'fail', message: `the cluster DNS load balancer has no backends: ${emptyDns.map(fmt).join(', ')}`, hint: `${proxyHint}; kube-proxy fills backends from the kube-dns EndpointSlices` };
  }
  if (notReady.length > 0) {
    return { status: 'fail', message: `${notReady.length} HNS load balancer(s) not in state 2`, hint: 'delete and recreate them by restarting kube-proxy', evidence: notReady.map((lb) => `${lb?.id} ${lb?.vips.join(',')}:${lb?.externalPort} state ${lb?.state}`) };
  }
  if (missing.length > 0) {
    return {
      status: 'warn',
      message: `${missing.length} of ${wants.length} Service port(s) have no HNS load balancer (Services without ready endpoints get none)`,
      hint: proxyHint,
      evidence: missing.slice(0, 20).map((w) => `missing: ${fmt(w)}`),
    };
  }
  return { status: 'pass', message: `${wants.length} Service port(s) have an HNS load balancer${wants.some((w) => w.dns) ? ', including the cluster DNS' : ''}` };
}

// ---------------------------------------------------------------------------------------------
// Ports, firewall, Defender, disk, clock, OS, sandbox image
// ---------------------------------------------------------------------------------------------

/** networkhealth.ps1 (microsoft/SDN) calls the node exhausted at 10 or fewer free 64-port blocks. */
const MIN_FREE_PORTS = 10 * 64;
const WARN_PORT_USE = 0.8;

function ephemeralOutcome(p: NonNullable<NodeReport['ephemeralPorts']>): CheckOutcome {
  if (typeof p.start !== 'number' || typeof p.count !== 'number' || p.count <= 0) return { status: 'skip', message: 'the report has no dynamic port range' };
  const used = (p.inUse ?? 0) + (p.excluded ?? 0);
  const free = p.count - used;
  const summary = `${p.start}-${p.start + p.count - 1}: ${p.inUse ?? 0} in use, ${p.excluded ?? 0} reserved, ${free} free`;
  const hint =
    'find who holds them (Get-NetTCPConnection | Group-Object OwningProcess | Sort-Object Count -Descending) and widen the range: netsh int ipv4 set dynamicport tcp start=10000 num=55535; HNS SNAT port pools for pod egress draw from it too';
  if (free <= MIN_FREE_PORTS) return { status: 'fail', message: `ephemeral TCP ports nearly exhausted (${summary})`, hint: `outbound connections and pod DNS start failing; ${hint}` };
  if (used / p.count >= WARN_PORT_USE) return { status: 'warn', message: `${Math.round((used / p.count) * 100)}% of the ephemeral TCP ports used (${summary})`, hint };
  return { status: 'pass', message: summary };
}

function firewallOutcome(fw: NonNullable<NodeReport['firewall']>, snap: Snapshot, report: NodeReport): CheckOutcome {
  const on = (fw.profiles ?? []).filter((p) => p.enabled).map((p) => p.name);
  if ((fw.profiles ?? []).length > 0 && on.length === 0) return { status: 'pass', message: 'Windows Firewall is off in every profile' };
  const expected = expectedNetwork(snap, report);
  const network = expected ? findNetwork(report.hns?.networks ?? [], expected) : undefined;
  const overlay = sameName(network?.type ?? expected?.type ?? '', 'Overlay');
  const needs = [
    { port: 10250, protocol: 'TCP', why: 'kubectl logs/exec/port-forward reach the kubelet here', severity: 'fail' as const },
    { port: 10256, protocol: 'TCP', why: "kube-proxy's health port (load balancer health probes)", severity: 'warn' as const },
    ...(overlay ? [{ port: 4789, protocol: 'UDP', why: 'VXLAN between nodes carries pod traffic', severity: 'fail' as const }] : []),
  ];
  const problems: Array<{ text: string; severity: 'fail' | 'warn'; rule: string }> = [];
  for (const need of needs) {
    const seen = (fw.ports ?? []).find((p) => p.port === need.port && sameName(p.protocol, need.protocol));
    const rule = `New-NetFirewallRule -Name win-k8s-${need.port} -Direction Inbound -Action Allow -Protocol ${need.protocol} -LocalPort ${need.port}`;
    if (!seen) {
      problems.push({ text: `${need.port}/${need.protocol} was not examined`, severity: 'warn', rule });
    } else if (seen.blockRules.length > 0) {
      problems.push({ text: `inbound ${need.port}/${need.protocol} is blocked by ${seen.blockRules.join(', ')} (${need.why})`, severity: need.severity, rule: `remove or disable the block rule(s): block wins over allow; then ${rule}` });
    } else if (seen.allowRules.length === 0) {
      problems.push({ text: `no enabled inbound rule allows ${need.port}/${need.protocol} (${need.why})`, severity: need.severity, rule });
    }
  }
  if (problems.length === 0) return { status: 'pass', message: `firewall on (${on.join(', ') || 'profiles unknown'}); ${needs.map((x) => `${x.port}/${x.protocol}`).join(', ')} allowed` };
  return {
    status: problems.some((p) => p.severity === 'fail') ? 'fail' : 'warn',
    message: problems.map((p) => p.text).join('; '),
    hint: `${problems.map((p) => p.rule).join(' | ')} (cloud security groups must allow them too)`,
    evidence: [`profiles on: ${on.join(', ') || 'unknown'}`],
  };
}

function defenderOutcome(d: NonNullable<NodeReport['defender']>): CheckOutcome {
  if (d.present === false) return { status: 'pass', message: 'Microsoft Defender is not installed' };
  if (d.realTimeProtection === false) return { status: 'pass', message: 'Defender real-time protection is off' };
  const paths = d.exclusionPath ?? [];
  const processes = d.exclusionProcess ?? [];
  // Since 2021 Defender shows exclusions only to administrators and SYSTEM.
  if ([...paths, ...processes].some((x) => /^N\/A/i.test(x))) return { status: 'skip', message: 'Defender exclusions are hidden from the account the script ran as' };
  const norm = (p: string) => p.toLowerCase().replace(/\//g, '\\').replace(/\\+$/, '');
  const base = (p: string) => norm(p).split('\\').pop() ?? '';
  const hasProcess = (exe: string) => processes.some((p) => base(p) === exe);
  const hasPath = (dir: string) => paths.some((p) => norm(dir).startsWith(norm(p)));
  const missing: string[] = [];
  if (!hasProcess('containerd.exe') && !hasPath('C:\\Program Files\\containerd')) missing.push('process containerd.exe');
  if (!hasProcess('kubelet.exe') && !hasPath('C:\\k')) missing.push('process kubelet.exe');
  if (!hasPath('C:\\ProgramData\\containerd')) missing.push('path C:\\ProgramData\\containerd (image layers)');
  if (missing.length === 0) return { status: 'pass', message: `Defender on, with exclusions for containerd and the kubelet` };
  return {
    status: 'warn',
    message: `Defender real-time protection is on without exclusions for: ${missing.join(', ')}`,
    hint: "scanning image layers slows pulls and pod sandbox creation: Add-MpPreference -ExclusionProcess 'containerd.exe','containerd-shim-runhcs-v1.exe','kubelet.exe','kube-proxy.exe' -ExclusionPath 'C:\\ProgramData\\containerd','C:\\Program Files\\containerd','C:\\k','C:\\var\\lib\\kubelet'",
    evidence: [`ExclusionProcess: ${processes.join(', ') || 'none'}`, `ExclusionPath: ${paths.join(', ') || 'none'}`],
  };
}

/** The kubelet's default hard eviction on Windows is nodefs.available < 10%. */
const DISK_FAIL_PERCENT = 10;
const DISK_WARN_PERCENT = 15;
const DISK_FAIL_BYTES = 5 * 1024 ** 3;
/** Windows Server Core images alone are several GiB; our bootstrap asks for 20 GB free. */
const DISK_WARN_BYTES = 20 * 1024 ** 3;

function diskOutcome(d: NonNullable<NodeReport['disk']>): CheckOutcome {
  if (typeof d.freeBytes !== 'number' || typeof d.sizeBytes !== 'number' || d.sizeBytes <= 0) return { status: 'skip', message: 'the report has no disk size' };
  const pct = (d.freeBytes / d.sizeBytes) * 100;
  const summary = `${gib(d.freeBytes)} free of ${gib(d.sizeBytes)} (${pct.toFixed(1)}%) on ${d.drive ?? 'the system drive'}`;
  const hint = 'remove unused images (crictl rmi --prune), old logs under C:\\var\\log, or grow the OS disk';
  if (pct < DISK_FAIL_PERCENT || d.freeBytes < DISK_FAIL_BYTES) return { status: 'fail', message: `${summary}: the kubelet evicts pods and image pulls fail`, hint };
  if (pct < DISK_WARN_PERCENT || d.freeBytes < DISK_WARN_BYTES) return { status: 'warn', message: `${summary}: low`, hint };
  return { status: 'pass', message: summary };
}

/** Beyond this, certificates and tokens issued "now" by the control plane start being refused. */
const CLOCK_FAIL_SECONDS = 10;
const CLOCK_WARN_SECONDS = 2;

function clockOutcome(c: NonNullable<NodeReport['clock']>): CheckOutcome {
  const hint = 'resynchronise and check the time source: w32tm /resync /force; w32tm /query /status (on clouds use the hypervisor time provider or the cloud NTP server)';
  if (c.unsynchronised) return { status: 'warn', message: `the clock follows ${c.reference ?? 'no source'}, not a time server`, hint };
  if (typeof c.skewSeconds !== 'number') return { status: 'skip', message: `the offset from ${c.reference ?? 'the time source'} could not be measured (${c.method ?? '?'}); run diagnose with the API server URL passed to the script to measure it` };
  const margin = c.uncertaintySeconds ?? 0;
  const beyond = Math.abs(c.skewSeconds) - margin;
  const against = c.method === 'api-date-header' ? 'the API server' : (c.reference ?? 'the time source');
  const summary = `clock ${c.skewSeconds >= 0 ? '+' : ''}${c.skewSeconds.toFixed(1)} s against ${against} (±${margin.toFixed(1)} s)`;
  if (beyond > CLOCK_FAIL_SECONDS) return { status: 'fail', message: `${summary}: TLS and service-account tokens fail on a skewed clock`, hint };
  if (beyond > CLOCK_WARN_SECONDS) return { status: 'warn', message: summary, hint };
  return { status: 'pass', message: summary };
}

function osOutcome(os: NonNullable<NodeReport['os']>, n: k8s.V1Node | undefined): CheckOutcome {
  if (typeof os.build !== 'number') return { status: 'skip', message: 'the report has no OS build' };
  const version = `10.0.${os.build}${typeof os.ubr === 'number' ? `.${os.ubr}` : ''}`;
  const release = windowsReleaseForBuild(os.build);
  const supported = kubernetesSupportedReleases().map((r) => `${r.buildLabel} (${r.version})`).join(', ');
  if (os.installationType && !/server/i.test(os.installationType)) {
    return { status: 'fail', message: `${os.productName ?? 'this OS'} (${version}) is a ${os.installationType} edition, not Windows Server`, hint: `Kubernetes supports Windows Server LTSC nodes: ${supported}` };
  }
  if (!release || release.kubernetes.until !== undefined) return { status: 'fail', message: `build ${version} is not a Windows Server LTSC release Kubernetes supports`, hint: `use ${supported}` };
  const label = n?.metadata?.labels?.['node.kubernetes.io/windows-build'];
  const labelBuild = Number(/^\d+\.\d+\.(\d+)/.exec(label ?? '')?.[1]);
  const name = `Windows Server ${release.version} ${version}${os.displayVersion ? ` (${os.displayVersion})` : ''}`;
  if (label && labelBuild !== os.build) {
    return { status: 'warn', message: `${name}, but the node is labelled ${label}`, hint: 'the OS changed under a registered node: restart the kubelet so it relabels the node, and check that its workloads match the new build' };
  }
  if (typeof os.ubr !== 'number') return { status: 'warn', message: `${name}: patch level (UBR) unknown`, hint: 'check Windows Update history on the node' };
  return { status: 'pass', message: name };
}

/**
 * Tags that name a Windows release, as image tags and manifest lists use them (ltsc2022,
 * 20348, aliases such as 1809), for the releases containerd runs on: the sandbox image is
 * containerd's setting.
 */
const TAG_BUILDS: Array<[RegExp, number]> = Object.values(WINDOWS_RELEASES)
  .filter((r) => r.containerd)
  .map((r) => [new RegExp([r.imageTag, ...r.tagAliases, String(r.build)].join('|'), 'i'), r.build]);
/** Multi-arch pause images carry a release's build from the version its row names (compat/windows.ts). */
const PAUSE_REPOS = /^(registry\.k8s\.io|k8s\.gcr\.io|mcr\.microsoft\.com\/oss\/kubernetes)\/pause$/;

function sandboxOutcome(c: NonNullable<NodeReport['containerd']>, report: NodeReport, n: k8s.V1Node | undefined): CheckOutcome {
  if (runtimeOf(n) === 'docker') return { status: 'skip', message: 'the node runs Docker; its pause image is set on the kubelet or cri-dockerd' };
  const build = nodeBuild(report, n);
  const release = build === undefined ? undefined : windowsReleaseForBuild(build);
  if (!release) return { status: 'skip', message: `unknown Windows build ${build ?? '?'}` };
  const recommended = sandboxImage(release.version);
  const setIt = `set the sandbox image to ${recommended} in ${c.configPath ?? 'containerd config.toml'} (version 2: sandbox_image under [plugins."io.containerd.grpc.v1.cri"]; version 3: sandbox under [plugins.'io.containerd.cri.v1.images'.pinned_images]) and Restart-Service containerd`;
  if (!c.configFound) return { status: 'warn', message: `no containerd config at ${c.configPath ?? 'the usual paths'}; containerd runs on its built-in defaults`, hint: setIt };
  const image = c.sandboxImage;
  if (!image) return { status: 'warn', message: `${c.configPath} sets no sandbox image, so containerd's built-in default applies`, hint: setIt };
  const at = image.lastIndexOf(':');
  const repo = at > image.lastIndexOf('/') ? image.slice(0, at) : image;
  const tag = at > image.lastIndexOf('/') ? image.slice(at + 1) : 'latest';
  const failure = `pods stay in ContainerCreating with "does not match the host operating system"`;
  const tagged = TAG_BUILDS.find(([re]) => re.test(tag));
  if (tagged) {
    if (tagged[1] !== release.build) return { status: 'fail', message: `sandbox image ${image} is built for 10.0.${tagged[1]}, the node runs ${release.buildLabel}: ${failure}`, hint: setIt };
    return { status: 'pass', message: `sandbox image ${image} matches ${release.buildLabel}` };
  }
  const version = /^v?(\d+\.\d+(?:\.\d+)?)/.exec(tag)?.[1];
  if (PAUSE_REPOS.test(repo) && version) {
    const min = release.sandbox.multiArchPauseFrom;
    if (min === null || compareVersions(version, min) < 0) {
      return { status: 'fail', message: `sandbox image ${image} has no Windows Server ${release.version} (${release.buildLabel}) build (${min === null ? 'no multi-arch pause image has one' : `needs ${min} or newer`}): ${failure}`, hint: setIt };
    }
    return { status: 'pass', message: `sandbox image ${image} (multi-arch, includes ${release.imageTag})` };
  }
  return { status: 'warn', message: `cannot tell whether sandbox image ${image} has a ${release.buildLabel} build`, hint: `if pods hang in ContainerCreating, ${setIt}` };
}

// ---------------------------------------------------------------------------------------------
// Logs
// ---------------------------------------------------------------------------------------------

/**
 * The cause and fix for each signature id the script tags log lines with (its $LogSignatures;
 * a unit test keeps the two lists equal). Sources: microsoft/SDN and AKS debugging guides, NPD's
 * Windows configs, and the issues in the diagnose research notes.
 */
export const LOG_SIGNATURES: Record<string, { cause: string; hint: string; severity: 'fail' | 'warn' }> = {
  'hns-policy-failed': { cause: 'kube-proxy could not create an HNS load-balancer policy', hint: 'restart kube-proxy; if it repeats, remove stale policies (Get-HnsPolicyList | Remove-HnsPolicyList) before the restart', severity: 'fail' },
  'hns-port-exists': { cause: 'HNS refused a policy because its port already exists (0x803b0013: an orphaned LB or the 10256 health port)', hint: 'remove the orphaned load balancer (hnsdiag list loadbalancers; hnsdiag delete loadbalancers <id>) and restart kube-proxy', severity: 'fail' },
  'hns-source-vip': { cause: 'kube-proxy has no source VIP endpoint for overlay load balancing', hint: 'give kube-proxy --source-vip (an IP from the node pod subnet, reserved through host-local IPAM) and restart it', severity: 'fail' },
  'hns-element-not-found': { cause: 'HNS lost an object (often the network after a reboot: "Element not found")', hint: 'restart the CNI agent so it recreates the network, then kube-proxy', severity: 'warn' },
  'hns-already-exists': { cause: 'HNS refused to create an endpoint that already exists (0x1392): a stale endpoint from a deleted pod', hint: 'remove the stale endpoint (hnsdiag delete endpoints <id>) and recreate the pod', severity: 'warn' },
  'hns-lb-exists': { cause: 'kube-proxy could not recreate a load balancer after an HNS restart (0xb7)', hint: 'restart kube-proxy after HNS has settled; remove leftover policies if it repeats', severity: 'warn' },
  'hns-call-failed': { cause: 'an HNS call failed', hint: 'restart the hns service, then the CNI agent and kubelet; check C:\\etc\\cni\\net.d', severity: 'warn' },
  'flannel-waiting-network': { cause: 'flanneld is waiting for its HNS network, which never appeared', hint: 'check the host adapter (the --iface IP must exist) and the flannel net-conf (vxlan, VNI >= 4096, port 4789); restart flanneld', severity: 'fail' },
  'cni-not-initialized': { cause: 'the kubelet found no CNI config', hint: 'the CNI agent has not written C:\\etc\\cni\\net.d yet: check that it runs', severity: 'fail' },
  'cni-plugin-missing': { cause: 'a CNI plugin binary named in the config is missing', hint: 'install the Windows CNI plugins into C:\\opt\\cni\\bin (flannel.exe, win-overlay.exe/win-bridge.exe, host-local.exe)', severity: 'fail' },
  'ipam-exhausted': { cause: 'no pod IP left in the node range', hint: "delete stale host-local reservations under C:\\var\\lib\\cni\\networks for pods that no longer exist, or give the node a larger podCIDR", severity: 'fail' },
  'os-mismatch': { cause: 'an image (or the pause image) was built for another Windows build', hint: "use images whose tag matches the node's build, and the pause image that matches it (see node.host.sandbox-image)", severity: 'fail' },
  'sandbox-name-reserved': { cause: 'a previous sandbox creation is still running (slow HCS)', hint: 'wait; if it repeats, check the disk and Defender exclusions and restart containerd', severity: 'warn' },
  'image-layer-corrupt': { cause: 'a corrupted image layer in containerd', hint: 'remove the image (crictl rmi <image>) so it is pulled again; check the disk', severity: 'warn' },
  'pleg-unhealthy': { cause: 'the container runtime answers too slowly (PLEG)', hint: 'check containerd (Get-Service containerd, its log), CPU and disk load', severity: 'warn' },
  'eviction-disk': { cause: 'the kubelet is evicting pods to reclaim disk', hint: 'free disk space (crictl rmi --prune) or grow the disk', severity: 'warn' },
  'certificate-time': { cause: 'a certificate looked expired or not yet valid', hint: 'check the node clock (node.host.clock) and the kubelet client certificate (C:\\var\\lib\\kubelet\\pki)', severity: 'fail' },
  'apiserver-unauthorized': { cause: 'the API server refused the node credentials', hint: 'the kubelet credentials are expired or revoked: rejoin the node', severity: 'warn' },
};

function logOutcome(logs: NonNullable<NodeReport['logs']>): CheckOutcome {
  const files = logs.files ?? [];
  const read = files.filter((f) => !f.error);
  const sources = [...new Set(read.map((f) => f.source))];
  const unreadable = files.filter((f) => f.error).map((f) => `${f.path}: ${f.error}`);
  const matches = logs.matches ?? [];
  if (matches.length === 0) {
    if (read.length === 0) {
      return { status: 'warn', message: 'no kubelet, kube-proxy or containerd log found on the node', hint: 'the logs are not where win-k8s and sig-windows-tools put them (C:\\var\\log\\<component>, C:\\k): check how the services were installed', evidence: unreadable };
    }
    return { status: 'pass', message: `no known error in the last ${logs.tailLines ?? '?'} lines of ${sources.join(', ')}`, ...(unreadable.length ? { evidence: unreadable } : {}) };
  }
  const found = matches.map((m) => ({ m, sig: LOG_SIGNATURES[m.signature] }));
  const status = found.some((f) => f.sig?.severity === 'fail') ? 'fail' : 'warn';
  return {
    status,
    message: found.map((f) => `${f.m.source}: ${f.sig?.cause ?? `unrecognised signature ${f.m.signature}`} (${f.m.count}x)`).join('; '),
    hint: [...new Set(found.map((f) => f.sig?.hint ?? 'read the log on the node'))].join(' | '),
    evidence: found.flatMap((f) => f.m.lines.map((l) => `${f.m.source} [${f.m.signature}] ${l}`)),
  };
}

// ---------------------------------------------------------------------------------------------

/** A per-node check judged on the on-node report: it runs after node.host.report and needs the report collected. */
export function onNodeCheck(category: CheckDefinition['category'], id: string, title: string, docs: string, run: CheckDefinition['run'], needs: CheckDefinition['needs'] = ['nodeReports']): CheckDefinition {
  return { id, category, scope: 'node', title, dependsOn: [NODE_REPORT_CHECK], fatal: false, docs, needs, run };
}

const check = (id: string, title: string, docs: string, run: CheckDefinition['run']): CheckDefinition => onNodeCheck(CATEGORY, id, title, docs, run);

export const NODE_HOST_CHECKS: CheckDefinition[] = [
  {
    id: NODE_REPORT_CHECK,
    category: CATEGORY,
    scope: 'node',
    title: 'on-node report collected',
    dependsOn: ['cluster.windows-nodes'],
    fatal: true,
    docs: K8S_DOCS.hostProcess,
    // The engine runs the script on the nodes only when a selected check asks for the reports.
    needs: ['nodeReports'],
    run(snap, n) {
      const name = nameOf(n);
      if (!snap.nodeReports) return { status: 'skip', message: 'on-node checks were not run' };
      const entry = snap.nodeReports.get(name);
      if (!entry) return { status: 'skip', message: `no on-node report for ${name}` };
      if ('skipped' in entry) return { status: 'skip', message: entry.skipped };
      if ('error' in entry) {
        return {
          status: 'fail',
          message: `the on-node script gave no usable report: ${entry.error}`,
          hint: 'run templates/diagnose/node-checks.ps1 on the node as Administrator (powershell -NoProfile -ExecutionPolicy Bypass -File node-checks.ps1) and read its output',
        };
      }
      const r = entry.report;
      return { status: 'pass', message: `report from ${r.hostname ?? name}${r.generatedAt ? ` at ${r.generatedAt}` : ''}` };
    },
  },
  check('node.host.services', 'node services and agents running', K8S_DOCS.windowsDebug, (snap, n) => withSection(snap, n, (r) => r.services, 'services', (s) => servicesOutcome(s, snap, n))),
  check('node.host.kubelet-health', 'kubelet healthz answers', K8S_DOCS.windowsDebug, (snap, n) =>
    withSection(snap, n, (r) => r.health, 'health', (h) =>
      healthOutcome(h.kubelet ?? undefined, 'kubelet', 'the kubelet is not running or not listening on 127.0.0.1:10248 (healthzBindAddress): Get-Service kubelet, and read C:\\var\\log\\kubelet\\kubelet.log', 'the kubelet reports itself unhealthy: read its log for the failing check (often the runtime: Get-Service containerd)'),
    ),
  ),
  check('node.host.kube-proxy-health', 'kube-proxy healthz answers', K8S_DOCS.windowsNetworking, (snap, n) =>
    withSection(snap, n, (r) => r.health, 'health', (h) =>
      healthOutcome(h.kubeProxy ?? undefined, 'kube-proxy', 'kube-proxy is not running, or serves health elsewhere (--healthz-bind-address): check its service or pod', 'kube-proxy has not synced HNS recently: read its log for "Policy creation failed" or 0x803b0013 and restart it'),
    ),
  ),
  check('node.host.hns-network', 'HNS network present and bound', K8S_DOCS.windowsNetworking, (snap, n) => withSection(snap, n, (r) => r.hns, 'HNS', (h, r) => hnsNetworkOutcome(h, snap, r, n))),
  check('node.host.hns-endpoints', 'HNS endpoints match the pods on the node', K8S_DOCS.windowsNetworking, (snap, n) => withSection(snap, n, (r) => r.hns, 'HNS', (h, r) => hnsEndpointsOutcome(h, snap, r, n))),
  check('node.host.lb-policies', 'HNS load balancers for the Services', K8S_DOCS.windowsNetworking, (snap, n) => withSection(snap, n, (r) => r.hns, 'HNS', (h, r) => lbPoliciesOutcome(h, snap, r))),
  check('node.host.ephemeral-ports', 'ephemeral TCP ports available', K8S_DOCS.windowsNetworking, (snap, n) => withSection(snap, n, (r) => r.ephemeralPorts, 'ephemeral ports', ephemeralOutcome)),
  check('node.host.firewall', 'firewall allows kubelet, kube-proxy health and VXLAN', K8S_DOCS.ports, (snap, n) => withSection(snap, n, (r) => r.firewall, 'firewall', (f, r) => firewallOutcome(f, snap, r))),
  check('node.host.defender', 'Defender excludes the container runtime', K8S_DOCS.windowsDebug, (snap, n) => withSection(snap, n, (r) => r.defender, 'Defender', defenderOutcome)),
  check('node.host.disk', 'free space on the system drive', K8S_DOCS.nodePressure, (snap, n) => withSection(snap, n, (r) => r.disk, 'disk', diskOutcome)),
  check('node.host.clock', 'clock in sync', K8S_DOCS.windowsDebug, (snap, n) => withSection(snap, n, (r) => r.clock, 'clock', clockOutcome)),
  check('node.host.os-patch', 'OS build and patch level', K8S_DOCS.windowsIntro, (snap, n) => withSection(snap, n, (r) => r.os, 'OS', (o) => osOutcome(o, n))),
  check('node.host.sandbox-image', "sandbox (pause) image matches the node's build", K8S_DOCS.windowsIntro, (snap, n) => withSection(snap, n, (r) => r.containerd, 'containerd', (c, r) => sandboxOutcome(c, r, n))),
  check('node.host.log-errors', 'no known errors in the node logs', K8S_DOCS.windowsDebug, (snap, n) => withSection(snap, n, (r) => r.logs, 'logs', logOutcome)),
];
