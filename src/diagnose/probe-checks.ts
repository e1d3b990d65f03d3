import type * as k8s from '@kubernetes/client-node';
import { SANDBOX_CAUSES } from './checks.js';
import type { Attempt, CheckDefinition, CheckOutcome, ProbeKind, ProbeOutcome, Snapshot } from './types.js';

const DOCS = 'https://kubernetes.io/docs/concepts/services-networking/windows-networking/';
export const PROBE_ROOT = 'probe.start';

interface LabelStats {
  ok: number;
  failed: number;
  lastError: string;
}

function byLabel(attempts: Attempt[]): Map<string, LabelStats> {
  const out = new Map<string, LabelStats>();
  for (const a of attempts) {
    const s = out.get(a.label) ?? { ok: 0, failed: 0, lastError: '' };
    if (a.ok) s.ok++;
    else {
      s.failed++;
      s.lastError = a.detail;
    }
    out.set(a.label, s);
  }
  return out;
}

const allFailed = (s: LabelStats | undefined) => s !== undefined && s.ok === 0 && s.failed > 0;
const someFailed = (s: LabelStats | undefined) => s !== undefined && s.failed > 0;
const passed = (s: LabelStats | undefined) => s !== undefined && s.failed === 0 && s.ok > 0;

function describe(label: string, s: LabelStats): string {
  return s.failed === 0 ? `${label}: ${s.ok}/${s.ok} ok` : `${label}: ${s.failed}/${s.ok + s.failed} failed (${s.lastError})`;
}

/** Why a pod did not start, with the fix when its reason is a known Windows cause. */
export function notStartedHint(reason: string): string {
  const known = SANDBOX_CAUSES.find((c) => c.pattern.test(reason));
  if (known) return known.hint;
  if (/ErrImagePull|ImagePullBackOff|no matching manifest/i.test(reason)) {
    return 'the node could not pull the probe image: it needs access to registry.k8s.io and mcr.microsoft.com, and an image variant for its Windows build';
  }
  if (/ContainerCreating|not started after/i.test(reason)) {
    return 'Windows images are large: the first pull can outlast --probe-timeout; pre-pull or raise --probe-timeout, and check the node with `kubectl describe node`';
  }
  return 'see `kubectl describe pod` in the diagnose namespace while it runs, and the node\'s kubelet log';
}

type Evaluate = (labels: Map<string, LabelStats>, snap: Snapshot, node: string) => CheckOutcome;

/** Turns per-label stats into pass (all ok), warn (intermittent) or fail (a target never worked). */
function verdict(labels: Map<string, LabelStats>, what: string, hintOnFail: string, order?: string[]): CheckOutcome {
  const names = order ? order.filter((l) => labels.has(l)) : [...labels.keys()];
  const evidence = names.map((l) => describe(l, labels.get(l)!));
  if (names.length === 0) return { status: 'fail', message: `${what}: the probe printed no result`, hint: 'read the probe pod log: the probe script itself failed' };
  const broken = names.filter((l) => allFailed(labels.get(l)));
  if (broken.length > 0) return { status: 'fail', message: `${what}: ${broken.join(', ')} failed every attempt`, hint: hintOnFail, evidence };
  const flaky = names.filter((l) => someFailed(labels.get(l)));
  if (flaky.length > 0) return { status: 'warn', message: `${what}: intermittent failures on ${flaky.join(', ')}`, hint: `intermittent: HNS endpoint or load-balancer churn; ${hintOnFail}`, evidence };
  return { status: 'pass', message: `${what}: ${names.length} target(s), every attempt ok`, evidence };
}

function probeCheck(o: { id: string; title: string; kind: ProbeKind; evaluate: Evaluate }): CheckDefinition {
  return {
    id: o.id,
    category: 'probes',
    scope: 'node',
    title: o.title,
    dependsOn: [PROBE_ROOT],
    fatal: false,
    docs: DOCS,
    needs: ['probes'],
    run(snap, node) {
      const name = node?.metadata?.name ?? '';
      const outcome: ProbeOutcome | undefined = snap.probes?.nodes.get(name)?.outcomes.get(o.kind);
      if (!snap.probes) return { status: 'skip', message: 'skipped: probes not run (--skip-probes)' };
      if (!outcome) return { status: 'skip', message: 'skipped: no probe ran on this node' };
      if ('skipped' in outcome) return { status: 'skip', message: `skipped: ${outcome.skipped}` };
      if ('notStarted' in outcome) return { status: 'fail', message: `probe pod ${outcome.notStarted}`, hint: notStartedHint(outcome.notStarted) };
      const labels = byLabel(outcome.attempts);
      const tail = outcome.log.split('\n').slice(-5).filter(Boolean);
      const cut = outcome.timedOut ? `was cut off at --probe-timeout (${outcome.timedOut})` : `stopped (exit ${outcome.exitCode})`;
      const cutHint = outcome.timedOut ? 'targets that time out slow every attempt down: fix the failing ones first, or raise --probe-timeout' : 'read the probe pod log: the probe script itself failed';
      if (labels.size === 0) return { status: 'fail', message: `the probe ${cut} without a result`, hint: cutHint, evidence: tail };
      // A target that printed nothing was never tried: judging only the others would hide it.
      const missing = outcome.expected.filter((l) => !labels.has(l));
      if (missing.length > 0) return { status: 'fail', message: `${missing.join(', ')} never tried: the probe ${cut}`, hint: cutHint, evidence: [...[...labels.entries()].map(([l, st]) => describe(l, st)), ...tail] };
      const verdictNow = o.evaluate(labels, snap, name);
      if (verdictNow.status !== 'pass') return outcome.timedOut ? { ...verdictNow, message: `${verdictNow.message} (the probe ${cut})` } : verdictNow;
      const short = [...labels.entries()].filter(([, st]) => st.ok + st.failed < outcome.repeat).map(([l]) => l);
      if (outcome.timedOut || short.length > 0) return { status: 'warn', message: `every attempt made passed, but the probe ${cut} before its ${outcome.repeat} rounds`, hint: cutHint, evidence: verdictNow.evidence ?? [] };
      if (outcome.exitCode !== 0) return { status: 'fail', message: `the probe exited ${outcome.exitCode} though every attempt it printed passed`, hint: 'read the probe pod log: the probe script itself failed', evidence: tail };
      return verdictNow;
    },
  };
}

function dnsEvidence(snap: Snapshot): string[] {
  const p = snap.probes;
  return [`DNS Service IP ${p?.dnsServiceIp ?? 'unknown'}`, `CoreDNS pod ${p?.corednsPodIp ?? 'unknown'}`];
}

function dns(tcp: boolean): Evaluate {
  return (labels, snap) => {
    const proto = tcp ? 'TCP' : 'UDP';
    const viaService = labels.get('fqdn-via-service');
    const viaPod = labels.get('fqdn-via-coredns-pod');
    const short = labels.get('short-name');
    const negative = labels.get('negative-control');
    const evidence = [...[...labels.entries()].map(([l, s]) => describe(l, s)), ...dnsEvidence(snap)];
    if (allFailed(viaService) && passed(viaPod)) {
      return {
        status: 'fail',
        message: `DNS over ${proto} through the Service IP fails while the CoreDNS pod answers`,
        hint: "kube-proxy's load balancer for the DNS Service is missing on this node: restart kube-proxy there and read its log for 'Policy creation failed' (see node.host.lb-policies)",
        evidence,
      };
    }
    if (allFailed(viaService) && (allFailed(viaPod) || !viaPod)) {
      return {
        status: 'fail',
        message: `DNS over ${proto} fails: neither the Service IP nor the CoreDNS pod answers`,
        hint: 'this pod cannot reach CoreDNS at all: fix pod-to-pod networking first (net.pod.*: VXLAN UDP 4789 between nodes, routes, the CNI agent on this node)',
        evidence,
      };
    }
    if (allFailed(short) && passed(viaService)) {
      return {
        status: 'fail',
        message: `"kubernetes" does not resolve while the full name does`,
        hint: `the pod's DNS search list lacks <namespace>.svc.${snap.facts.clusterDomain ?? 'cluster.local'}: check the kubelet's clusterDomain and clusterDNS settings on this node`,
        evidence,
      };
    }
    if (someFailed(negative)) {
      return {
        status: 'warn',
        message: 'the negative control resolved: a name that does not exist got an answer',
        hint: 'a wildcard record or an upstream resolver answers every name (search-suffix expansion): DNS results on this node cannot be trusted; check the CoreDNS Corefile and the node\'s DNS suffixes',
        evidence,
      };
    }
    const v = verdict(labels, `cluster DNS over ${proto}`, tcp ? 'DNS over TCP is dropped: kube-proxy needs a TCP 53 rule for kube-dns, or a firewall blocks it; large answers fall back to TCP and will fail' : 'restart kube-proxy and the CNI agent on this node', ['fqdn-via-service', 'short-name', 'negative-control', 'fqdn-via-coredns-pod']);
    return { ...v, evidence: [...(v.evidence ?? []), ...dnsEvidence(snap)] };
  };
}

export const PROBE_CHECKS: CheckDefinition[] = [
  {
    id: PROBE_ROOT,
    category: 'probes',
    scope: 'node',
    title: 'probe server pod runs on the node',
    dependsOn: ['cluster.windows-nodes'],
    fatal: true,
    docs: 'https://kubernetes.io/docs/tasks/debug/debug-application/debug-pods/',
    needs: ['probes'],
    run(snap, node: k8s.V1Node | undefined) {
      const name = node?.metadata?.name ?? '';
      if (!snap.probes) return { status: 'skip', message: 'skipped: probes not run (--skip-probes)' };
      if (snap.probes.setupError) {
        return { status: 'fail', message: `the probes could not be set up: ${snap.probes.setupError}`, hint: 'diagnose needs to create a namespace and pods, Services and config maps in it (see the README), and admission policies must allow them; --skip-probes runs the rest' };
      }
      const n = snap.probes.nodes.get(name);
      if (!n) return { status: 'skip', message: 'skipped: no probe ran on this node' };
      if (n.serverNotStarted) return { status: 'fail', message: `the probe server pod ${n.serverNotStarted}`, hint: notStartedHint(n.serverNotStarted) };
      return { status: 'pass', message: 'the probe server pod runs' };
    },
  },
  probeCheck({ id: 'net.dns.cluster', title: 'cluster DNS over UDP (with a negative control)', kind: 'dns-udp', evaluate: dns(false) }),
  probeCheck({ id: 'net.dns.tcp', title: 'cluster DNS over TCP', kind: 'dns-tcp', evaluate: dns(true) }),
  probeCheck({
    id: 'net.egress',
    title: 'external name resolution and TCP egress',
    kind: 'egress',
    evaluate: (labels, snap) => {
      if (allFailed(labels.get('external-dns'))) return verdict(labels, `resolving ${snap.probes?.externalTarget}`, 'external names do not resolve: check the CoreDNS forwarders (the Corefile "forward" plugin) and the upstream DNS the nodes use');
      return verdict(labels, `egress to ${snap.probes?.externalTarget}`, "outbound traffic fails while the name resolves: check the CNI config's OutBoundNAT ExceptionList (it must not cover the target), a required HTTP proxy, and SNAT port exhaustion (node.host.ephemeral-ports)");
    },
  }),
  probeCheck({
    id: 'net.pod.from-windows',
    title: 'Windows pod to Linux pod and to a Windows pod on another node',
    kind: 'pods',
    evaluate: (labels) => verdict(labels, 'pod to pod from this node', 'pod traffic between nodes fails: allow UDP 4789 (VXLAN) and the pod CIDR between all nodes (security groups, NSG, Windows Firewall), and check the CNI agent (flanneld/calico) on this node has its routes'),
  }),
  probeCheck({
    id: 'net.pod.from-linux',
    title: 'Linux pod to a Windows pod on this node',
    kind: 'from-linux',
    evaluate: (labels) => verdict(labels, 'Linux to this node\'s pods', "inbound pod traffic fails: allow UDP 4789 and the pod CIDR into this node; on Windows Server 2022 with l2bridge and DSR, install the KB5005619 fix or later, or turn WinDSR off"),
  }),
  probeCheck({
    id: 'net.service.clusterip',
    title: 'ClusterIP Services backed by Windows pods and by Linux pods',
    kind: 'services',
    evaluate: (labels, snap, node) => {
      const pods = snap.probes?.nodes.get(node)?.outcomes.get('pods');
      const podsOk = pods !== undefined && 'attempts' in pods && pods.attempts.length > 0 && pods.attempts.every((a) => a.ok);
      return verdict(labels, 'ClusterIP Services', podsOk ? "pods answer directly but not through their Service IP: kube-proxy has not programmed the HNS load balancer for it; restart kube-proxy on this node (see node.host.lb-policies)" : 'fix pod to pod first (net.pod.from-windows): Services ride on it');
    },
  }),
  probeCheck({
    id: 'net.service.nodeport',
    title: 'NodePort of this node reached from another node',
    kind: 'nodeport',
    evaluate: (labels) => verdict(labels, 'NodePort from another node', 'allow TCP 30000-32767 into this node (Windows Firewall, NSG or security group); on Windows Server 2022 overlay networks, NodePort needs externalTrafficPolicy: Local (a known OS issue)'),
  }),
  probeCheck({
    id: 'net.pod.localhost',
    title: 'two containers of one Windows pod over localhost',
    kind: 'localhost',
    evaluate: (labels) => verdict(labels, 'localhost between containers', 'containers of one pod do not share their network namespace: update containerd (1.7 or later) and the OS cumulative update, then recreate the pod'),
  }),
  probeCheck({
    id: 'net.udp',
    title: 'UDP echo round trip to a Linux pod',
    kind: 'udp',
    evaluate: (labels) => verdict(labels, 'UDP round trip', 'UDP is dropped while TCP may work: check firewall rules for UDP and that the CNI/VXLAN path (UDP 4789) is open between nodes'),
  }),
  probeCheck({
    id: 'net.mtu',
    title: 'large payload (above the MTU) round trip',
    kind: 'mtu',
    evaluate: (labels) => {
      if (allFailed(labels.get('large')) && passed(labels.get('small'))) {
        return {
          status: 'fail',
          message: `small requests work, ${'large'} ones (above the MTU) do not`,
          hint: 'packets above the path MTU are dropped: set the CNI MTU below the underlay MTU minus the 50-byte VXLAN header (Azure underlays are 1400 bytes), or fix the underlay MTU',
          evidence: [...labels.entries()].map(([l, s]) => describe(l, s)),
        };
      }
      return verdict(labels, 'small and large payloads', 'fix pod to pod first (net.pod.from-windows)', ['small', 'large']);
    },
  }),
];
