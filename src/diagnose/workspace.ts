import type * as k8s from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import type { Cluster } from '../cluster/client.js';
import { apiError } from '../cluster/client.js';
import { eventTime } from './events.js';

/**
 * A temporary namespace where diagnose runs its pods (probes, the on-node script). Every
 * pod's result is its container's exit code and log, read from the API: no exec, so it works
 * wherever `kubectl logs` works. The namespace is deleted on every way out — success,
 * failure, Ctrl-C — by the caller's finally (see `withWorkspace`).
 */
export const WORKSPACE_LABEL = 'win-k8s.io/diagnose';

export interface PodResult {
  pod: string;
  container: string;
  node?: string | undefined;
  /** Set when the container ran to completion. */
  exitCode?: number;
  log: string;
  /** Set when the pod never started (or never finished) in time: why, from its status and events. */
  notStarted?: string;
}

export interface RunningPod {
  podIP?: string | undefined;
  hostIP?: string | undefined;
  node?: string | undefined;
}

interface Waiter {
  name: string;
  check(pod: k8s.V1Pod | undefined): boolean;
  cancel(): void;
}

export class Workspace {
  private readonly waiters = new Set<Waiter>();
  private readonly pollListeners = new Set<(pods: ReadonlyMap<string, k8s.V1Pod>) => void>();
  private pods = new Map<string, k8s.V1Pod>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private deleted = false;

  private constructor(
    private readonly cluster: Cluster,
    readonly namespace: string,
    private readonly pollMs: number,
    signal: AbortSignal | undefined,
  ) {
    // One listener for every waiter: a hundred nodes' waits must not pile listeners on the signal.
    signal?.addEventListener('abort', () => {
      for (const w of [...this.waiters]) w.cancel();
    }, { once: true });
  }

  /**
   * Creates the namespace. `privileged` Pod Security (HostProcess pods need it) is asked for on
   * this namespace only, and only for as long as diagnose runs.
   */
  static async create(cluster: Cluster, opts: WorkspaceOptions): Promise<Workspace> {
    const name = `win-k8s-diagnose-${randomBytes(3).toString('hex')}`;
    // The level is set, not inherited: a cluster-wide "restricted" default would refuse even the
    // probe pods, which need only "baseline".
    const labels: Record<string, string> = {
      'app.kubernetes.io/managed-by': 'win-k8s',
      [WORKSPACE_LABEL]: 'true',
      'pod-security.kubernetes.io/enforce': opts.privileged ? 'privileged' : 'baseline',
    };
    try {
      await cluster.core.createNamespace({ body: { metadata: { name, labels } } });
    } catch (err) {
      throw apiError(err, `create the temporary namespace ${name}`, cluster.resolved.server);
    }
    return new Workspace(cluster, name, opts.pollMs, opts.signal);
  }

  async createPod(pod: k8s.V1Pod): Promise<void> {
    const name = pod.metadata?.name ?? '?';
    try {
      await this.cluster.core.createNamespacedPod({ namespace: this.namespace, body: pod });
    } catch (err) {
      throw apiError(err, `create the diagnose pod ${name}`, this.cluster.resolved.server);
    }
  }

  async createService(svc: k8s.V1Service): Promise<k8s.V1Service> {
    try {
      return await this.cluster.core.createNamespacedService({ namespace: this.namespace, body: svc });
    } catch (err) {
      throw apiError(err, `create the diagnose service ${svc.metadata?.name ?? '?'}`, this.cluster.resolved.server);
    }
  }

  async createConfigMap(name: string, data: Record<string, string>): Promise<void> {
    try {
      await this.cluster.core.createNamespacedConfigMap({ namespace: this.namespace, body: { metadata: { name }, data } });
    } catch (err) {
      throw apiError(err, `create the diagnose config map ${name}`, this.cluster.resolved.server);
    }
  }

  /**
   * Told the namespace's pods after each poll (progress counts read them; they cost no request of
   * their own). Returns the function that stops it.
   */
  onPoll(fn: (pods: ReadonlyMap<string, k8s.V1Pod>) => void): () => void {
    this.pollListeners.add(fn);
    return () => this.pollListeners.delete(fn);
  }

  /** The pods the last poll saw. */
  knownPods(): string[] {
    return [...this.pods.keys()];
  }

  /** One list per interval serves every waiter: a hundred nodes' pods cost one request. */
  private async poll(): Promise<void> {
    if (this.polling || this.deleted) return;
    this.polling = true;
    try {
      const list = await this.cluster.core.listNamespacedPod({ namespace: this.namespace });
      this.pods = new Map(list.items.map((p) => [p.metadata?.name ?? '', p]));
      for (const fn of this.pollListeners) fn(this.pods);
    } catch {
      // A failed poll is retried on the next tick; each waiter has its own deadline.
    } finally {
      this.polling = false;
    }
    for (const w of [...this.waiters]) if (w.check(this.pods.get(w.name))) this.waiters.delete(w);
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.waiters.size === 0 || this.deleted) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.poll();
    }, this.pollMs);
  }

  private waitFor<T>(name: string, timeoutMs: number, signal: AbortSignal | undefined, done: (pod: k8s.V1Pod | undefined) => T | undefined): Promise<T | undefined> {
    return new Promise((resolve) => {
      const finish = (v: T | undefined) => {
        clearTimeout(deadline);
        this.waiters.delete(waiter);
        resolve(v);
      };
      const waiter: Waiter = {
        name,
        cancel: () => finish(undefined),
        check: (pod) => {
          const v = done(pod);
          if (v === undefined) return false;
          finish(v);
          return true;
        },
      };
      const deadline = setTimeout(() => finish(undefined), timeoutMs);
      if (signal?.aborted || this.deleted) return finish(undefined);
      this.waiters.add(waiter);
      this.schedule();
    });
  }

  /** Resolves once the pod is Ready (its readiness probe answers); undefined at the deadline. */
  async waitReady(name: string, timeoutMs: number, signal?: AbortSignal): Promise<RunningPod | undefined> {
    return this.waitFor(name, timeoutMs, signal, (pod) => {
      const ready = pod?.status?.phase === 'Running' && pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      if (!ready) return undefined;
      return { podIP: pod?.status?.podIP, hostIP: pod?.status?.hostIP, node: pod?.spec?.nodeName };
    });
  }

  /** Waits for `container` of the pod to terminate, then reads its log. */
  async result(name: string, container: string, timeoutMs: number, signal?: AbortSignal): Promise<PodResult> {
    const terminated = await this.waitFor(name, timeoutMs, signal, (pod) => {
      const st = pod?.status?.containerStatuses?.find((c) => c.name === container);
      const t = st?.state?.terminated;
      return t ? { exitCode: t.exitCode, node: pod?.spec?.nodeName } : undefined;
    });
    if (!terminated) {
      return { pod: name, container, log: await this.log(name, container), notStarted: await this.whyNotDone(name, container, timeoutMs, signal) };
    }
    return { pod: name, container, node: terminated.node, exitCode: terminated.exitCode, log: await this.log(name, container) };
  }

  async log(name: string, container: string): Promise<string> {
    try {
      return await this.cluster.core.readNamespacedPodLog({ namespace: this.namespace, name, container });
    } catch {
      // No log (the container never started, or the kubelet cannot be reached): nothing to read.
      return '';
    }
  }

  /** Why a pod did not finish: its waiting reason, its scheduling condition and its warning events. */
  async whyNotDone(name: string, container: string, timeoutMs: number, signal?: AbortSignal): Promise<string> {
    if (signal?.aborted) return 'interrupted';
    const seconds = Math.round(timeoutMs / 1000);
    const pod = this.pods.get(name);
    const parts: string[] = [];
    const phase = pod?.status?.phase ?? 'Pending';
    const st = pod?.status?.containerStatuses?.find((c) => c.name === container);
    if (st?.state?.waiting?.reason) parts.push(`${st.state.waiting.reason}${st.state.waiting.message ? `: ${st.state.waiting.message}` : ''}`);
    const scheduled = pod?.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
    if (scheduled?.message) parts.push(`not scheduled: ${scheduled.message}`);
    try {
      const events = await this.cluster.core.listNamespacedEvent({ namespace: this.namespace, fieldSelector: `involvedObject.name=${name}` });
      const warnings = events.items.filter((e) => e.type === 'Warning').sort((a, b) => eventTime(b) - eventTime(a));
      const latest = warnings[0];
      if (latest) parts.push(`event ${latest.reason ?? ''}: ${latest.message ?? ''}`.trim());
    } catch {
      // Events are best-effort evidence.
    }
    const state = phase === 'Running' ? `still running after ${seconds}s` : `not started after ${seconds}s (${phase})`;
    return parts.length > 0 ? `${state}: ${parts.join('; ')}` : state;
  }

  /** Deletes the namespace and everything in it; safe to call twice. Says why if it could not. */
  async delete(): Promise<string | undefined> {
    if (this.deleted) return undefined;
    this.deleted = true;
    if (this.timer) clearTimeout(this.timer);
    for (const w of [...this.waiters]) w.cancel();
    try {
      await this.cluster.core.deleteNamespace({ name: this.namespace, propagationPolicy: 'Background' });
      return undefined;
    } catch (err) {
      return apiError(err, `delete the temporary namespace ${this.namespace}`, this.cluster.resolved.server).message;
    }
  }
}

export interface WorkspaceOptions {
  pollMs: number;
  /** HostProcess pods need the "privileged" Pod Security level; probes need "baseline". */
  privileged: boolean;
  signal?: AbortSignal | undefined;
  /** Told when the namespace could not be deleted, with the command that does it. */
  onLeftBehind?: (message: string) => void;
}

/** Runs `fn` in a fresh workspace that is deleted however `fn` ends. */
export async function withWorkspace<T>(cluster: Cluster, opts: WorkspaceOptions, fn: (ws: Workspace) => Promise<T>): Promise<T> {
  const ws = await Workspace.create(cluster, opts);
  try {
    return await fn(ws);
  } finally {
    const problem = await ws.delete();
    if (problem) opts.onLeftBehind?.(`${problem}; delete it with: kubectl delete namespace ${ws.namespace}`);
  }
}
