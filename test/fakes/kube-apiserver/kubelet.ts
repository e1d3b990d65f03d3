import type { FakeKubeApiServer } from './server.js';
import type { ChangeEvent, KubeObject } from './types.js';
import { windowsKubeletConfig, windowsSummary } from './kubelet-documents.js';

/**
 * Simulated kubelets for the fake kube-apiserver: they "run" pods bound to the nodes they
 * serve by writing what a real kubelet would report — the pod's IP, its phase, each
 * container's state and exit code, its log — from outcomes a test scripts per pod. A pod
 * the test says never starts stays Pending with the waiting reason and the Warning event a
 * real kubelet would record. They also answer the API server's node proxy (/healthz, /configz,
 * /stats/summary), so a node whose kubelet is "down" looks exactly like a closed port 10250,
 * and a kubelet can refuse the API server (403), serve a bad configuration or a full disk.
 *
 * There is no scheduler in the fake: a pod is bound to the node its nodeName or its
 * kubernetes.io/hostname nodeSelector names, as pinned probe pods are.
 */
export interface ContainerOutcome {
  /** Undefined: the container keeps running. */
  exitCode?: number;
  log?: string;
}

export type PodOutcome =
  | { containers: Record<string, ContainerOutcome>; delayMs?: number }
  | { pending: { reason: string; message: string; eventReason?: string } };

export interface SimulatedKubeletOptions {
  /** Nodes whose kubelet is up; default: every node in the store. */
  nodes?: (name: string) => boolean;
  /** What happens to a pod bound to a served node. Undefined: its containers keep running. */
  run?: (pod: KubeObject, node: string) => PodOutcome | undefined;
  /** Delay before a pod starts running (a kubelet's sync loop; image already present). */
  startDelayMs?: number;
  /** The /configz body of a node's kubelet (an object is sent as JSON); default: the recorded healthy Windows one. */
  configz?: (node: string) => object | string;
  /** The /stats/summary body; default: the recorded Windows one, with the pods the store binds to the node. */
  summary?: (node: string) => object | string;
  /**
   * Paths a node's kubelet refuses: its authorizer denies the API server's kubelet client, which
   * a real kubelet answers with 403 and this text (stats paths check nodes/stats, others nodes/proxy).
   */
  forbidden?: (node: string, path: string) => boolean;
}

type PodShape = {
  metadata: { name: string; namespace: string; uid?: string; deletionTimestamp?: string };
  spec: { nodeName?: string; nodeSelector?: Record<string, string>; containers: Array<{ name: string; image: string }>; hostNetwork?: boolean };
  status?: Record<string, unknown>;
};

export class SimulatedKubelet {
  private readonly started = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private nextIp = 10;
  private readonly onChange = (ev: ChangeEvent) => {
    if (ev.resource.resource !== 'pods' || ev.type !== 'ADDED') return;
    this.schedule(ev.object as unknown as PodShape);
  };

  constructor(
    private readonly fake: FakeKubeApiServer,
    private readonly options: SimulatedKubeletOptions = {},
  ) {}

  start(): this {
    this.fake.store.on('change', this.onChange);
    this.fake.nodeProxy = (node, path) => {
      if (!this.serves(node)) return undefined;
      if (this.options.forbidden?.(node, path)) {
        const sub = path.startsWith('/stats') ? 'stats' : 'proxy';
        return { status: 403, body: `Forbidden (user=kube-apiserver-kubelet-client, verb=get, resource=nodes, subresource=${sub})` };
      }
      if (path === '/healthz') return { status: 200, body: 'ok' };
      if (path === '/configz') return this.json(this.options.configz?.(node) ?? windowsKubeletConfig());
      if (path === '/stats/summary') return this.json(this.options.summary?.(node) ?? windowsSummary(node, { pods: this.podsOn(node) }));
      return { status: 404, body: '404 page not found\n' };
    };
    return this;
  }

  stop(): void {
    this.fake.store.off('change', this.onChange);
    this.fake.nodeProxy = undefined;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private json(body: object | string): { status: number; body: string; contentType: string } {
    return { status: 200, body: typeof body === 'string' ? body : JSON.stringify(body), contentType: 'application/json' };
  }

  private podsOn(node: string): Array<{ namespace: string; name: string; uid?: string }> {
    // Filtered before copying: 100 kubelets each asking would otherwise copy every pod 100 times.
    return (this.fake.store.list('pods', { fieldSelector: `spec.nodeName=${node}` }) as unknown as PodShape[])
      .filter((p) => p.spec.nodeName === node && (p.status as { phase?: string } | undefined)?.phase === 'Running')
      .map((p) => ({ namespace: p.metadata.namespace, name: p.metadata.name, ...(p.metadata.uid ? { uid: p.metadata.uid } : {}) }));
  }

  private serves(node: string): boolean {
    if (!this.fake.store.get('nodes', undefined, node)) return false;
    return this.options.nodes ? this.options.nodes(node) : true;
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private schedule(pod: PodShape): void {
    // Pods a test put with a status already carry the kubelet's word: leave them as they are.
    if ((pod.status as { containerStatuses?: unknown } | undefined)?.containerStatuses !== undefined) return;
    const node = pod.spec.nodeName ?? pod.spec.nodeSelector?.['kubernetes.io/hostname'];
    if (!node || !this.serves(node)) return;
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    if (this.started.has(key)) return;
    this.started.add(key);
    this.later(this.options.startDelayMs ?? 5, () => this.startPod(pod.metadata.namespace, pod.metadata.name, node));
  }

  private current(ns: string, name: string): PodShape | undefined {
    const p = this.fake.store.get('pods', ns, name) as unknown as PodShape | undefined;
    return p && !p.metadata.deletionTimestamp ? p : undefined;
  }

  private write(pod: PodShape): void {
    this.fake.store.put(pod as unknown as KubeObject);
  }

  private startPod(ns: string, name: string, node: string): void {
    const pod = this.current(ns, name);
    if (!pod) return;
    const nodeObj = this.fake.store.get('nodes', undefined, node) as { spec?: { podCIDR?: string }; status?: { addresses?: Array<{ type: string; address: string }> } } | undefined;
    const hostIP = nodeObj?.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
    const outcome = this.options.run?.(pod as unknown as KubeObject, node);
    pod.spec.nodeName = node;
    if (outcome && 'pending' in outcome) {
      pod.status = {
        phase: 'Pending',
        ...(hostIP ? { hostIP } : {}),
        containerStatuses: pod.spec.containers.map((c) => ({ name: c.name, image: c.image, ready: false, restartCount: 0, state: { waiting: { reason: outcome.pending.reason, message: outcome.pending.message } } })),
      };
      this.write(pod);
      this.event(pod, outcome.pending.eventReason ?? outcome.pending.reason, outcome.pending.message);
      return;
    }
    const podIP = pod.spec.hostNetwork ? hostIP : this.podIp(nodeObj?.spec?.podCIDR);
    const now = new Date().toISOString();
    pod.status = {
      phase: 'Running',
      ...(hostIP ? { hostIP } : {}),
      ...(podIP ? { podIP, podIPs: [{ ip: podIP }] } : {}),
      startTime: now,
      conditions: [
        { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
        { type: 'ContainersReady', status: 'True', lastTransitionTime: now },
        { type: 'Ready', status: 'True', lastTransitionTime: now },
      ],
      containerStatuses: pod.spec.containers.map((c) => ({ name: c.name, image: c.image, ready: true, restartCount: 0, started: true, state: { running: { startedAt: now } } })),
    };
    this.write(pod);
    if (!outcome) return;
    this.later(outcome.delayMs ?? 5, () => this.finish(ns, name, outcome.containers));
  }

  private finish(ns: string, name: string, containers: Record<string, ContainerOutcome>): void {
    const pod = this.current(ns, name);
    if (!pod) return;
    const now = new Date().toISOString();
    const statuses = (pod.status?.containerStatuses ?? []) as Array<Record<string, unknown> & { name: string }>;
    for (const st of statuses) {
      const o = containers[st.name];
      if (!o) continue;
      if (o.log !== undefined) this.fake.setPodLog(ns, name, o.log, st.name);
      if (o.exitCode === undefined) continue;
      st.ready = false;
      st.state = { terminated: { exitCode: o.exitCode, reason: o.exitCode === 0 ? 'Completed' : 'Error', startedAt: now, finishedAt: now } };
    }
    // With one container, `kubectl logs` needs no container name: keep the pod-level log too.
    if (pod.spec.containers.length === 1) {
      const only = containers[pod.spec.containers[0]!.name];
      if (only?.log !== undefined) this.fake.setPodLog(ns, name, only.log);
    }
    // A terminated container is not ready, and neither is its pod.
    const conditions = (pod.status!.conditions ?? []) as Array<{ type: string; status: string }>;
    for (const c of conditions) if ((c.type === 'Ready' || c.type === 'ContainersReady') && statuses.some((st) => st.ready === false)) c.status = 'False';
    const terminated = statuses.map((s) => (s.state as { terminated?: { exitCode: number } }).terminated);
    if (terminated.every((t) => t !== undefined)) pod.status!.phase = terminated.every((t) => t!.exitCode === 0) ? 'Succeeded' : 'Failed';
    this.write(pod);
  }

  private podIp(cidr: string | undefined): string | undefined {
    const base = /^(\d+)\.(\d+)\.(\d+)\.\d+\/\d+$/.exec(cidr ?? '');
    if (!base) return undefined;
    return `${base[1]}.${base[2]}.${base[3]}.${this.nextIp++ % 250 + 2}`;
  }

  private event(pod: PodShape, reason: string, message: string): void {
    const now = new Date().toISOString();
    this.fake.store.put({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${pod.metadata.name}.${Date.now().toString(16)}`, namespace: pod.metadata.namespace },
      involvedObject: { kind: 'Pod', name: pod.metadata.name, namespace: pod.metadata.namespace, uid: pod.metadata.uid ?? '' },
      reason,
      message,
      type: 'Warning',
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      source: { component: 'kubelet', host: pod.spec.nodeName ?? '' },
    } as unknown as KubeObject);
  }
}
