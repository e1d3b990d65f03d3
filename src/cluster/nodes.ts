import type * as k8s from '@kubernetes/client-node';
import { InterruptedError, OperationError } from '../errors.js';
import { apiError, isNotFound, statusCode } from './client.js';
import type { Cluster } from './client.js';

/** The label every node of a win-k8s pool carries. */
export const POOL_LABEL = 'win-k8s.io/pool';
/** Labels on every object win-k8s creates, so `kubectl get -l` finds them. */
export const MANAGED_BY_LABELS: Readonly<Record<string, string>> = { 'app.kubernetes.io/managed-by': 'win-k8s' };
/** The label selector for them (`kubectl get -l` and the list calls). */
export const MANAGED_SELECTOR = Object.entries(MANAGED_BY_LABELS)
  .map(([k, v]) => `${k}=${v}`)
  .join(',');

export type TaintEffect = 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';

export interface Taint {
  key: string;
  value?: string;
  effect: TaintEffect;
}

/** What `--taint-windows` puts on a node, so only pods that tolerate it land on Windows. */
export const WINDOWS_TAINT: Readonly<Taint> = { key: 'os', value: 'windows', effect: 'NoSchedule' };

const TAINT_RE = /^([A-Za-z0-9][-A-Za-z0-9_./]*)(?:=([A-Za-z0-9][-A-Za-z0-9_.]*)?)?:(NoSchedule|PreferNoSchedule|NoExecute)$/;

/** Parses kubectl's taint syntax, "key[=value]:Effect"; undefined when it is not one. */
export function parseTaint(text: string): Taint | undefined {
  const m = TAINT_RE.exec(text.trim());
  if (!m) return undefined;
  return { key: m[1]!, ...(m[2] ? { value: m[2] } : {}), effect: m[3] as TaintEffect };
}

export function formatTaint(t: Taint): string {
  return `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;
}

// ---------------------------------------------------------------------------------------------
// Waiting for nodes

export type NodeWaitEvent = 'registered' | 'ready';

export interface WaitForNodesOptions {
  /** How long each node may take, counted from the start of the wait, to become Ready. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Progress; atMs is the time since the wait started. */
  onEvent?: (name: string, event: NodeWaitEvent, atMs: number) => void;
  /** Filled in by the wait: call giveUp(name) to stop waiting for a node known to have failed. */
  control?: { giveUp?: (name: string) => void };
}

export interface NodeWaitResult {
  name: string;
  /** Milliseconds after the start of the wait (0 for a node that already existed). */
  registeredAt?: number;
  readyAt?: number;
  /** Failed: given up on through `control.giveUp` (its bootstrap reported a failure). */
  status: 'Ready' | 'TimedOut' | 'Failed';
}

/** The shape shared by listed (deserialized) and watched (raw JSON) nodes. */
interface NodeLike {
  metadata?: { name?: string; resourceVersion?: string };
  status?: { conditions?: Array<{ type?: string; status?: string }> };
}

function isReady(node: NodeLike): boolean {
  return (node.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Waits after a failed list or watch grow this way, so a broken API is not hammered. */
const RETRY_DELAYS_MS = [0, 250, 500, 1000, 2000, 5000];

/**
 * Waits until each named node has registered and reports Ready, or its timeout passes. One
 * list (so nodes that already exist count at once), then a watch from that list's
 * resourceVersion; a watch that ends early is resumed from the last version seen, and one
 * that expired (410) starts over with a new list. Nothing polls.
 * Resolves with one result per name, in the order given; rejects on abort (InterruptedError)
 * and on errors a retry cannot fix (credentials denied, or no successful list before the
 * deadline).
 */
export function waitForNodes(cluster: Cluster, names: readonly string[], opts: WaitForNodesOptions): Promise<NodeWaitResult[]> {
  return new NodeWaiter(cluster, [...new Set(names)], opts).run();
}

interface NodeProgress {
  registeredAt?: number;
  readyAt?: number;
  status?: 'Ready' | 'TimedOut' | 'Failed';
  timer?: NodeJS.Timeout;
}

class NodeWaiter {
  private readonly started = Date.now();
  private readonly progress = new Map<string, NodeProgress>();
  private resourceVersion: string | undefined;
  private watchController: AbortController | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private listedOnce = false;
  private lastError: unknown;
  private finished = false;
  private resolve!: (results: NodeWaitResult[]) => void;
  private reject!: (err: unknown) => void;

  constructor(
    private readonly cluster: Cluster,
    private readonly names: string[],
    private readonly opts: WaitForNodesOptions,
  ) {}

  run(): Promise<NodeWaitResult[]> {
    return new Promise<NodeWaitResult[]>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
      if (this.opts.signal?.aborted) return this.abort();
      if (this.opts.control) this.opts.control.giveUp = (name) => this.giveUp(name);
      this.opts.signal?.addEventListener('abort', this.abort, { once: true });
      for (const name of this.names) {
        const p: NodeProgress = {};
        p.timer = setTimeout(() => this.timeOut(name), this.opts.timeoutMs);
        this.progress.set(name, p);
      }
      if (this.checkDone()) return;
      void this.resync();
    });
  }

  private elapsed(): number {
    return Date.now() - this.started;
  }

  private observe(node: NodeLike): void {
    const name = node.metadata?.name;
    const p = name === undefined ? undefined : this.progress.get(name);
    if (name === undefined || !p || p.status) return;
    if (p.registeredAt === undefined) {
      p.registeredAt = this.elapsed();
      this.opts.onEvent?.(name, 'registered', p.registeredAt);
    }
    if (isReady(node)) {
      p.readyAt = this.elapsed();
      p.status = 'Ready';
      clearTimeout(p.timer);
      this.opts.onEvent?.(name, 'ready', p.readyAt);
      this.checkDone();
    }
  }

  private giveUp(name: string): void {
    const p = this.progress.get(name);
    if (!p || p.status) return;
    clearTimeout(p.timer);
    p.status = 'Failed';
    this.checkDone();
  }

  private timeOut(name: string): void {
    const p = this.progress.get(name);
    if (!p || p.status) return;
    if (!this.listedOnce && this.lastError !== undefined) {
      return this.fail(apiError(this.lastError, 'list nodes', this.cluster.resolved.server));
    }
    p.status = 'TimedOut';
    this.checkDone();
  }

  private checkDone(): boolean {
    if (this.finished) return true;
    if ([...this.progress.values()].some((p) => !p.status)) return false;
    this.finish();
    this.resolve(this.names.map((name) => this.result(name)));
    return true;
  }

  private result(name: string): NodeWaitResult {
    const p = this.progress.get(name) ?? {};
    return {
      name,
      ...(p.registeredAt !== undefined ? { registeredAt: p.registeredAt } : {}),
      ...(p.readyAt !== undefined ? { readyAt: p.readyAt } : {}),
      status: p.status ?? 'TimedOut',
    };
  }

  private readonly abort = (): void => {
    if (this.finished) return;
    this.fail(new InterruptedError(`interrupted while waiting for nodes ${this.names.join(', ')}`));
  };

  private fail(err: unknown): void {
    if (this.finished) return;
    this.finish();
    this.reject(err);
  }

  private finish(): void {
    this.finished = true;
    for (const p of this.progress.values()) clearTimeout(p.timer);
    clearTimeout(this.retryTimer);
    this.watchController?.abort();
    this.watchController = undefined;
    this.opts.signal?.removeEventListener('abort', this.abort);
  }

  /** A list of every node, to catch up on state the watch cannot replay. */
  private async resync(): Promise<void> {
    let list: k8s.V1NodeList;
    try {
      list = await this.cluster.core.listNode({});
    } catch (err) {
      return this.retryAfter(err, () => this.resync());
    }
    if (this.finished) return;
    this.listedOnce = true;
    this.resourceVersion = list.metadata?.resourceVersion;
    for (const node of list.items) this.observe(node);
    if (!this.finished) void this.watch();
  }

  private async watch(): Promise<void> {
    let expired = false;
    const onEvent = (type: string, obj: unknown): void => {
      if (this.finished) return;
      if (type === 'ERROR') {
        // A Status, most often 410 Gone: the version is too old to resume from.
        expired = true;
        return;
      }
      this.failures = 0;
      const node = obj as NodeLike;
      if (node.metadata?.resourceVersion) this.resourceVersion = node.metadata.resourceVersion;
      if (type === 'ADDED' || type === 'MODIFIED') this.observe(node);
    };
    const onDone = (err: unknown): void => {
      this.watchController = undefined;
      if (this.finished) return;
      if (err || expired) return this.retryAfter(err ?? new Error('watch expired'), () => this.resync());
      // The server ends watches now and then (timeouts, restarts): carry on from where it stopped.
      this.retryAfter(undefined, () => this.watch());
    };
    const watcher = new this.cluster.lib.Watch(this.cluster.kc);
    const query = { allowWatchBookmarks: true, ...(this.resourceVersion ? { resourceVersion: this.resourceVersion } : {}) };
    let controller: AbortController;
    try {
      controller = await watcher.watch('/api/v1/nodes', query, onEvent, onDone);
    } catch (err) {
      // Credentials (an exec plugin, say) are resolved before the request is made, outside the done callback.
      return this.retryAfter(err, () => this.resync());
    }
    // The watch may have ended (or the wait finished) before the controller was handed back.
    if (this.finished) controller.abort();
    else if (!controller.signal.aborted) this.watchController = controller;
  }

  private retryAfter(err: unknown, next: () => Promise<void>): void {
    if (this.finished) return;
    if (err !== undefined) {
      const code = statusCode(err) ?? (err as { statusCode?: unknown }).statusCode;
      if (code === 401 || code === 403) return this.fail(apiError(toStatusError(err, code), 'watch nodes', this.cluster.resolved.server));
      this.lastError = err;
    }
    const delay = RETRY_DELAYS_MS[Math.min(this.failures, RETRY_DELAYS_MS.length - 1)]!;
    this.failures++;
    this.retryTimer = setTimeout(() => void next(), delay);
  }
}

/** The watch reports HTTP failures as Error{statusCode}; apiError reads `.code`. */
function toStatusError(err: unknown, code: number): unknown {
  if (statusCode(err) !== undefined) return err;
  return Object.assign(new Error(err instanceof Error ? err.message : String(err)), { code });
}

// ---------------------------------------------------------------------------------------------
// Labels and taints

export interface LabelAndTaintOptions {
  labels?: Record<string, string>;
  taints?: readonly Taint[];
}

export interface NodeUpdateResult {
  name: string;
  changed: boolean;
}

/** Optimistic-concurrency retries when something else (the kubelet) writes the node meanwhile. */
const MAX_CONFLICT_RETRIES = 5;

/**
 * Adds labels and taints to nodes, leaving everything else on them alone. Node taints have
 * no merge strategy (a patch replaces the whole list), so the new list is computed from the
 * node as read and sent as a JSON merge patch carrying that read's resourceVersion: a
 * concurrent write makes the patch fail with 409 and it is redone, never lost. A taint with
 * the same key and effect as an existing one replaces it instead of being added twice.
 */
export async function labelAndTaintNodes(cluster: Cluster, names: readonly string[], opts: LabelAndTaintOptions): Promise<NodeUpdateResult[]> {
  return Promise.all([...new Set(names)].map((name) => labelAndTaintNode(cluster, name, opts)));
}

async function labelAndTaintNode(cluster: Cluster, name: string, opts: LabelAndTaintOptions): Promise<NodeUpdateResult> {
  const mergePatch = cluster.lib.setHeaderOptions('Content-Type', cluster.lib.PatchStrategy.MergePatch);
  for (let attempt = 1; ; attempt++) {
    let node: k8s.V1Node;
    try {
      node = await cluster.core.readNode({ name });
    } catch (err) {
      if (isNotFound(err)) throw new OperationError(`node ${name} does not exist`, { cause: err });
      throw apiError(err, `read node ${name}`, cluster.resolved.server);
    }
    const patch = nodePatch(node, opts);
    if (!patch) return { name, changed: false };
    try {
      await cluster.core.patchNode({ name, body: patch }, mergePatch);
      return { name, changed: true };
    } catch (err) {
      if (statusCode(err) === 409 && attempt < MAX_CONFLICT_RETRIES) continue;
      throw apiError(err, `label and taint node ${name}`, cluster.resolved.server);
    }
  }
}

/** The merge patch that brings the node to the wanted labels and taints, or undefined if it has them. */
export function nodePatch(node: k8s.V1Node, opts: LabelAndTaintOptions): Record<string, unknown> | undefined {
  const current = node.metadata?.labels ?? {};
  const labels = Object.fromEntries(Object.entries(opts.labels ?? {}).filter(([k, v]) => current[k] !== v));
  const existing = (node.spec?.taints ?? []).map(wireTaint);
  const taints = mergeTaints(existing, opts.taints ?? []);
  const taintsChanged = JSON.stringify(taints) !== JSON.stringify(existing);
  if (Object.keys(labels).length === 0 && !taintsChanged) return undefined;
  return {
    metadata: {
      resourceVersion: node.metadata?.resourceVersion,
      ...(Object.keys(labels).length > 0 ? { labels } : {}),
    },
    ...(taintsChanged ? { spec: { taints } } : {}),
  };
}

/** A taint as the API server takes it. */
export interface WireTaint {
  key: string;
  value?: string;
  effect: string;
  timeAdded?: string;
}

/** The client deserializes timeAdded to a Date; the API wants it back as RFC 3339. */
function wireTaint(t: k8s.V1Taint): WireTaint {
  const timeAdded = t.timeAdded as unknown;
  return {
    key: t.key,
    ...(t.value ? { value: t.value } : {}),
    effect: t.effect,
    ...(timeAdded instanceof Date ? { timeAdded: timeAdded.toISOString().replace(/\.\d{3}Z$/, 'Z') } : typeof timeAdded === 'string' ? { timeAdded } : {}),
  };
}

export function mergeTaints(existing: readonly WireTaint[], wanted: readonly Taint[]): WireTaint[] {
  const out = existing.map((t) => ({ ...t }));
  for (const w of wanted) {
    const i = out.findIndex((t) => t.key === w.key && t.effect === w.effect);
    const next: WireTaint = { key: w.key, ...(w.value ? { value: w.value } : {}), effect: w.effect };
    if (i < 0) out.push(next);
    else if ((out[i]!.value ?? '') !== (w.value ?? '')) out[i] = next;
  }
  return out;
}
