import type * as k8s from '@kubernetes/client-node';
import { readTemplate } from '../bootstrap/templates.js';
import { windowsReleaseForBuild } from '../compat/windows.js';
import { mapBounded } from '../util/bounded.js';
import type { Attempt, NodeProbes, ProbeKind, ProbeOutcome, ProbeReport } from './types.js';
import type { PodResult, Workspace } from './workspace.js';

/**
 * In-cluster network probes, modelled on the Windows e2e tests (dns.go, hybrid_network.go,
 * service.go): server pods on every Windows node and on one Linux node, Services in front of
 * them, then one client pod per probe and node. A client tries each target ten times, one
 * second apart, and its exit code and log lines are the result — no exec, so nothing beyond
 * `kubectl logs` permissions is needed.
 */

// agnhost, the Kubernetes e2e test image, serves the Linux side. Its Windows variants stop at
// ltsc2022, so Windows servers run templates/diagnose/probe-server.ps1 in servercore instead.
export const AGNHOST_IMAGE = 'registry.k8s.io/e2e-test-images/agnhost:2.53';
// Windows pods need Windows PowerShell (Resolve-DnsName -TcpOnly, HttpListener) and curl.exe:
// servercore, tagged for the node's own build (process isolation needs the build to match).
export const windowsClientImage = (imageTag: string) => `mcr.microsoft.com/windows/servercore:${imageTag}`;
export const HTTP_PORT = 8080;
export const UDP_PORT = 8081;
/** A body above any VXLAN-reduced MTU (1450, or 1400 on Azure) in both directions. */
export const LARGE_PAYLOAD = 9000;
/** Pods created at a time: an API server takes bursts, not a thousand creates at once. */
const CREATE_CONCURRENCY = 16;
const PROBE_LINE = /^WIN-K8S-PROBE (ok|fail) (\S+)(?: (.*))?$/;

export interface ProbeInput {
  windowsNodes: k8s.V1Node[];
  /** Every node (Linux peers are chosen among them). */
  allNodes: k8s.V1Node[];
  services: k8s.V1Service[];
  dnsSlices: k8s.V1EndpointSlice[];
  externalTarget?: string | undefined;
  /** kubeadm's dnsDomain; cluster.local when the cluster does not say. */
  clusterDomain: string;
  timeoutMs: number;
  repeat: number;
  signal?: AbortSignal | undefined;
}

export function parseProbeLog(log: string): Attempt[] {
  const out: Attempt[] = [];
  for (const line of log.split(/\r?\n/)) {
    const m = PROBE_LINE.exec(line.trim());
    if (m) out.push({ ok: m[1] === 'ok', label: m[2] ?? '', detail: m[3] ?? '' });
  }
  return out;
}

const nameOf = (n: k8s.V1Node) => n.metadata?.name ?? '';

function ready(n: k8s.V1Node): boolean {
  return n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** A Ready, schedulable Linux worker (control-plane nodes only when nothing else exists). */
export function pickLinuxNode(nodes: k8s.V1Node[]): k8s.V1Node | undefined {
  const linux = nodes.filter((n) => n.metadata?.labels?.['kubernetes.io/os'] === 'linux' && ready(n) && !n.spec?.unschedulable);
  const untainted = linux.filter((n) => !(n.spec?.taints ?? []).some((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute'));
  return untainted[0] ?? linux[0];
}

function internalIp(n: k8s.V1Node): string | undefined {
  return n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
}

function imageTagOf(n: k8s.V1Node): string | undefined {
  const build = Number(/^10\.0\.(\d+)/.exec(n.metadata?.labels?.['node.kubernetes.io/windows-build'] ?? n.status?.nodeInfo?.kernelVersion ?? '')?.[1]);
  return windowsReleaseForBuild(build)?.imageTag;
}

const podName = (kind: string, node: string) => `${kind}-${node}`.slice(0, 253);

interface Target {
  label: string;
  kind: 'dns' | 'http' | 'tcp' | 'udp';
  [key: string]: unknown;
}

function basePod(name: string, node: string, os: 'windows' | 'linux', labels: Record<string, string> = {}): k8s.V1Pod {
  return {
    metadata: { name, labels: { 'app.kubernetes.io/managed-by': 'win-k8s', 'win-k8s.io/probe': 'true', ...labels } },
    spec: {
      // Pinned by nodeName, as the e2e tests do: the probe must run on this node, taints or not;
      // tolerating every taint keeps a NoExecute one from evicting it mid-probe.
      nodeName: node,
      nodeSelector: { 'kubernetes.io/os': os },
      os: { name: os },
      tolerations: [{ operator: 'Exists' }],
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 0,
      automountServiceAccountToken: false,
      containers: [],
    },
  };
}

const serverPorts: k8s.V1ContainerPort[] = [
  { containerPort: HTTP_PORT, protocol: 'TCP' },
  { containerPort: UDP_PORT, protocol: 'UDP' },
];
// Clients start only once servers answer: a server still binding its port is not a fault.
const serverReadiness: k8s.V1Probe = { tcpSocket: { port: HTTP_PORT }, periodSeconds: 2, failureThreshold: 30 };

function linuxServerContainer(): k8s.V1Container {
  return { name: 'server', image: AGNHOST_IMAGE, args: ['netexec', `--http-port=${HTTP_PORT}`, `--udp-port=${UDP_PORT}`], ports: serverPorts, readinessProbe: serverReadiness };
}

const powershell = (script: string) => ['powershell.exe', '-NoLogo', '-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-File', `C:\\win-k8s\\${script}`];
const scriptMount: k8s.V1VolumeMount = { name: 'probe-script', mountPath: 'C:\\win-k8s', readOnly: true };

function windowsServerContainer(imageTag: string): k8s.V1Container {
  return { name: 'server', image: windowsClientImage(imageTag), command: powershell('probe-server.ps1'), ports: serverPorts, readinessProbe: serverReadiness, volumeMounts: [scriptMount] };
}

/** Seconds per attempt so that every try of every target fits in the budget (pod start aside). */
export function attemptTimeoutSeconds(timeoutMs: number, targets: number, repeat: number): number {
  const forAttempts = Math.max(0, timeoutMs / 1000 - 30 - (repeat - 1));
  return Math.max(1, Math.min(5, Math.floor(forAttempts / Math.max(1, targets * repeat))));
}

function windowsProbeContainer(imageTag: string, targets: Target[], repeat: number, timeoutMs: number): k8s.V1Container {
  return {
    name: 'probe',
    image: windowsClientImage(imageTag),
    command: powershell('probe.ps1'),
    env: [
      { name: 'WIN_K8S_PROBE_TARGETS', value: JSON.stringify(targets) },
      { name: 'WIN_K8S_PROBE_REPEAT', value: String(repeat) },
      { name: 'WIN_K8S_PROBE_ATTEMPT_TIMEOUT', value: String(attemptTimeoutSeconds(timeoutMs, targets.length, repeat)) },
    ],
    volumeMounts: [scriptMount],
  };
}

/** Linux clients only connect over TCP: agnhost's `connect` exits non-zero when it cannot. */
function linuxProbeContainer(targets: Array<{ label: string; address: string }>, repeat: number, timeoutMs: number): k8s.V1Container {
  const seconds = attemptTimeoutSeconds(timeoutMs, targets.length, repeat);
  const lines = targets.map(
    (t) => `if /agnhost connect --timeout=${seconds}s ${t.address} >/tmp/err 2>&1; then echo "WIN-K8S-PROBE ok ${t.label} 0"; else echo "WIN-K8S-PROBE fail ${t.label} TCP connect to ${t.address} failed: $(tr '\\n' ' ' </tmp/err)"; failed=1; fi`,
  );
  const script = [`failed=0`, `i=0`, `while [ $i -lt ${repeat} ]; do`, ...lines.map((l) => `  ${l}`), `  i=$((i+1))`, `  [ $i -lt ${repeat} ] && sleep 1`, `done`, `exit $failed`].join('\n');
  return { name: 'probe', image: AGNHOST_IMAGE, command: ['/bin/sh', '-c', script] };
}

const scriptVolume: k8s.V1Volume = { name: 'probe-script', configMap: { name: 'win-k8s-probe' } };

function clusterDns(input: ProbeInput): { vip?: string | undefined; podIp?: string | undefined } {
  const svc = input.services.find((s) => s.metadata?.namespace === 'kube-system' && s.metadata?.name === 'kube-dns');
  const podIp = input.dnsSlices.flatMap((s) => s.endpoints ?? []).find((e) => e.conditions?.ready !== false)?.addresses?.[0];
  return { vip: svc?.spec?.clusterIP, podIp };
}

async function outcomeOf(ws: Workspace, name: string, expected: string[], input: ProbeInput): Promise<ProbeOutcome> {
  const r: PodResult = await ws.result(name, 'probe', input.timeoutMs, input.signal);
  const attempts = parseProbeLog(r.log);
  if (r.notStarted !== undefined) {
    // A probe still trying when time ran out has results already: judge them, say it was cut.
    if (attempts.length > 0) return { exitCode: -1, attempts, log: r.log, expected, repeat: input.repeat, timedOut: r.notStarted };
    return { notStarted: r.notStarted };
  }
  return { exitCode: r.exitCode ?? -1, attempts, log: r.log, expected, repeat: input.repeat };
}

/**
 * Runs every probe for the selected Windows nodes in `ws`. Servers first (clients need their
 * IPs and wait until the servers answer), then the clients: created a few at a time, awaited
 * together; each wait is bounded by the probe timeout.
 */
export async function runProbes(ws: Workspace, input: ProbeInput): Promise<ProbeReport> {
  const dns = clusterDns(input);
  const linux = pickLinuxNode(input.allNodes);
  const report: ProbeReport = { nodes: new Map(), dnsServiceIp: dns.vip, corednsPodIp: dns.podIp, linuxNode: linux ? nameOf(linux) : undefined, externalTarget: input.externalTarget };
  const windows = input.windowsNodes.map((n) => ({ node: n, name: nameOf(n), tag: imageTagOf(n) }));
  for (const w of windows) report.nodes.set(w.name, { outcomes: new Map() });
  const stopped = () => input.signal?.aborted === true;

  await ws.createConfigMap('win-k8s-probe', { 'probe.ps1': readTemplate('diagnose/probe.ps1'), 'probe-server.ps1': readTemplate('diagnose/probe-server.ps1') });
  const runnable = windows.filter((w) => {
    if (w.tag) return true;
    report.nodes.get(w.name)!.serverNotStarted = 'no probe image: the node has no supported node.kubernetes.io/windows-build label';
    return false;
  });
  await mapBounded(runnable, CREATE_CONCURRENCY, async (w) => {
    if (stopped()) return;
    const pod = basePod(podName('srv', w.name), w.name, 'windows', { 'win-k8s.io/probe-role': 'server-windows' });
    pod.spec!.containers = [windowsServerContainer(w.tag!)];
    pod.spec!.volumes = [scriptVolume];
    await ws.createPod(pod);
  });
  if (linux && !stopped()) {
    const pod = basePod('srv-linux', nameOf(linux), 'linux', { 'win-k8s.io/probe-role': 'server-linux' });
    pod.spec!.containers = [linuxServerContainer()];
    await ws.createPod(pod);
  }
  const ports: k8s.V1ServicePort[] = [{ name: 'http', port: HTTP_PORT, targetPort: HTTP_PORT, protocol: 'TCP' }];
  const svcWindows = await ws.createService({ metadata: { name: 'svc-windows' }, spec: { type: 'NodePort', selector: { 'win-k8s.io/probe-role': 'server-windows' }, ports } });
  const svcLinux = linux ? await ws.createService({ metadata: { name: 'svc-linux' }, spec: { selector: { 'win-k8s.io/probe-role': 'server-linux' }, ports } }) : undefined;
  const nodePort = svcWindows.spec?.ports?.[0]?.nodePort;

  const [linuxServer, ...servers] = await Promise.all([
    linux ? ws.waitReady('srv-linux', input.timeoutMs, input.signal) : Promise.resolve(undefined),
    ...runnable.map((w) => ws.waitReady(podName('srv', w.name), input.timeoutMs, input.signal)),
  ]);
  const started: Array<{ name: string; tag: string; node: k8s.V1Node; ip: string }> = [];
  for (const [i, w] of runnable.entries()) {
    const s = servers[i];
    if (s?.podIP) started.push({ name: w.name, tag: w.tag!, node: w.node, ip: s.podIP });
    else report.nodes.get(w.name)!.serverNotStarted = await ws.whyNotDone(podName('srv', w.name), 'server', input.timeoutMs, input.signal);
  }
  const linuxIp = linuxServer?.podIP;
  const noLinux = linux ? (linuxIp ? undefined : `the Linux peer on ${nameOf(linux)} did not start: ${await ws.whyNotDone('srv-linux', 'server', input.timeoutMs, input.signal)}`) : 'no Ready schedulable Linux node for the Linux peer';

  // Each job creates its pod (bounded) and hands back the wait, so all pods run at once.
  type Job = { node: string; kind: ProbeKind; start: () => Promise<() => Promise<ProbeOutcome>> };
  const jobs: Job[] = [];
  const windowsClient = (w: (typeof started)[number], kind: ProbeKind, targets: Target[], extra?: (pod: k8s.V1Pod) => void) => async () => {
    const name = podName(kind, w.name);
    const pod = basePod(name, w.name, 'windows');
    pod.spec!.containers = [windowsProbeContainer(w.tag, targets, input.repeat, input.timeoutMs)];
    pod.spec!.volumes = [scriptVolume];
    extra?.(pod);
    await ws.createPod(pod);
    return () => outcomeOf(ws, name, targets.map((t) => t.label), input);
  };
  const linuxClient = (w: (typeof started)[number], kind: ProbeKind, targets: Array<{ label: string; address: string }>) => async () => {
    const name = podName(kind, w.name);
    const pod = basePod(name, linux ? nameOf(linux) : '', 'linux');
    pod.spec!.containers = [linuxProbeContainer(targets, input.repeat, input.timeoutMs)];
    await ws.createPod(pod);
    return () => outcomeOf(ws, name, targets.map((t) => t.label), input);
  };
  const skip = (reason: string) => async () => async (): Promise<ProbeOutcome> => ({ skipped: reason });

  for (const [i, w] of started.entries()) {
    const add = (kind: ProbeKind, start: Job['start']) => jobs.push({ node: w.name, kind, start });
    // The short name is a Service of the probes' own namespace: "kubernetes" resolves only from
    // pods in "default", through the namespace's search suffix.
    const dnsTargets = (tcp: boolean): Target[] => [
      { label: 'fqdn-via-service', kind: 'dns', name: `kubernetes.default.svc.${input.clusterDomain}`, server: dns.vip, tcp },
      { label: 'short-name', kind: 'dns', name: 'svc-windows', tcp },
      { label: 'negative-control', kind: 'dns', name: `kubernetezzzzzzzz.default.svc.${input.clusterDomain}`, server: dns.vip, tcp, expect: 'nxdomain' },
      ...(dns.podIp ? [{ label: 'fqdn-via-coredns-pod', kind: 'dns' as const, name: `kubernetes.default.svc.${input.clusterDomain}`, server: dns.podIp, tcp }] : []),
    ];
    if (dns.vip) {
      add('dns-udp', windowsClient(w, 'dns-udp', dnsTargets(false)));
      add('dns-tcp', windowsClient(w, 'dns-tcp', dnsTargets(true)));
    } else {
      add('dns-udp', skip('the kube-system/kube-dns Service has no ClusterIP'));
      add('dns-tcp', skip('the kube-system/kube-dns Service has no ClusterIP'));
    }
    if (input.externalTarget) {
      const [host, port] = splitHostPort(input.externalTarget);
      add('egress', windowsClient(w, 'egress', [{ label: 'external-dns', kind: 'dns', name: host }, { label: 'external-tcp', kind: 'tcp', host, port }]));
    } else add('egress', skip('no --external-target'));
    const peer = started.length > 1 ? started[(i + 1) % started.length] : undefined;
    const podTargets: Target[] = [
      ...(linuxIp ? [{ label: 'to-linux', kind: 'http' as const, url: `http://${linuxIp}:${HTTP_PORT}/hostname` }] : []),
      ...(peer ? [{ label: `to-windows`, kind: 'http' as const, url: `http://${peer.ip}:${HTTP_PORT}/hostname`, node: peer.name }] : []),
    ];
    add('pods', podTargets.length > 0 ? windowsClient(w, 'pods', podTargets) : skip(noLinux ?? 'no peer'));
    add('from-linux', linuxIp ? linuxClient(w, 'from-linux', [{ label: 'from-linux', address: `${w.ip}:${HTTP_PORT}` }]) : skip(noLinux ?? ''));
    const svcTargets: Target[] = [
      { label: 'service-windows', kind: 'http', url: `http://${svcWindows.spec?.clusterIP}:${HTTP_PORT}/hostname` },
      ...(svcLinux && linuxIp ? [{ label: 'service-linux', kind: 'http' as const, url: `http://${svcLinux.spec?.clusterIP}:${HTTP_PORT}/hostname` }] : []),
    ];
    add('services', windowsClient(w, 'services', svcTargets));
    const nodeIp = internalIp(w.node);
    // A node reaching its own NodePort does not work on Windows by design: test from a Linux node.
    add('nodeport', linuxIp && nodeIp && nodePort ? linuxClient(w, 'nodeport', [{ label: 'nodeport', address: `${nodeIp}:${nodePort}` }]) : skip(noLinux ?? 'the node has no InternalIP or the Service no nodePort'));
    add(
      'localhost',
      windowsClient(w, 'localhost', [{ label: 'localhost', kind: 'http', url: `http://127.0.0.1:${HTTP_PORT}/hostname` }], (pod) => {
        pod.spec!.containers.unshift({ ...windowsServerContainer(w.tag), readinessProbe: undefined });
        pod.spec!.containers[1]!.env!.push({ name: 'WIN_K8S_PROBE_WAIT_FOR_TCP', value: `127.0.0.1:${HTTP_PORT}` });
      }),
    );
    add('udp', linuxIp ? windowsClient(w, 'udp', [{ label: 'udp-echo-linux', kind: 'udp', host: linuxIp, port: UDP_PORT }]) : skip(noLinux ?? ''));
    add(
      'mtu',
      linuxIp
        ? windowsClient(w, 'mtu', [
            { label: 'small', kind: 'http', url: `http://${linuxIp}:${HTTP_PORT}/echo?msg=win-k8s`, minBytes: 7 },
            { label: 'large', kind: 'http', url: `http://${linuxIp}:${HTTP_PORT}/echo?msg=${'x'.repeat(LARGE_PAYLOAD)}`, minBytes: LARGE_PAYLOAD },
          ])
        : skip(noLinux ?? ''),
    );
  }
  const failedStart = (err: unknown) => async (): Promise<ProbeOutcome> => ({ notStarted: `could not be created: ${err instanceof Error ? err.message : String(err)}` });
  const waits = await mapBounded(jobs, CREATE_CONCURRENCY, async (j) => (stopped() ? async (): Promise<ProbeOutcome> => ({ notStarted: 'interrupted' }) : j.start().catch(failedStart)));
  const outcomes = await Promise.all(waits.map((wait) => wait().catch((err: unknown) => ({ notStarted: err instanceof Error ? err.message : String(err) }) as ProbeOutcome)));
  for (const [i, j] of jobs.entries()) report.nodes.get(j.node)!.outcomes.set(j.kind, outcomes[i]!);
  return report;
}

export function splitHostPort(target: string): [string, number] {
  const m = /^(.+?)(?::(\d+))?$/.exec(target.trim());
  return [m?.[1] ?? target, m?.[2] ? Number(m[2]) : 443];
}
