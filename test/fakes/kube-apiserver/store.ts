/**
 * The fake's object store: objects per resource type, a monotonic global resourceVersion, a bounded
 * change history (for watches that resume from a resourceVersion) and a `change` event.
 *
 * `put`/`remove` are for tests: they bypass authentication, authorization and validation but still
 * bump resourceVersion and notify watchers, so a simulated controller can act through them.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { ResourceRegistry } from './resources.js';
import { compileFilter, matchesFilter } from './selectors.js';
import type { ChangeEvent, KubeObject, ResourceType, WatchEventType } from './types.js';
import { apiVersionOf } from './types.js';
import { clone, rfc3339 } from './util.js';

export type ResourceRef = string | { apiVersion?: string; kind?: string };

export interface StoreListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export interface ObjectStoreEvents {
  change: [ChangeEvent];
}

export class ObjectStore extends EventEmitter<ObjectStoreEvents> {
  private rv = 0;
  private readonly data = new Map<string, Map<string, KubeObject>>();
  /** Recent changes, oldest first, for watches that resume from a resourceVersion. */
  readonly history: ChangeEvent[] = [];
  historyLimit = 20000;

  constructor(readonly registry: ResourceRegistry) {
    super();
    this.setMaxListeners(0);
  }

  /** The current (latest) resourceVersion. */
  get resourceVersion(): number {
    return this.rv;
  }

  /** The oldest resourceVersion a watch can resume from without a 410 Expired. */
  get oldestResumableVersion(): number {
    const first = this.history[0];
    return first ? first.resourceVersion - 1 : this.rv;
  }

  resolve(ref: ResourceRef): ResourceType {
    return this.registry.resolve(ref);
  }

  private bucket(rt: ResourceType): Map<string, KubeObject> {
    const k = `${rt.group}/${rt.resource}`;
    let b = this.data.get(k);
    if (!b) {
      b = new Map();
      this.data.set(k, b);
    }
    return b;
  }

  private static key(rt: ResourceType, namespace: string | undefined, name: string): string {
    return rt.namespaced ? `${namespace ?? ''}/${name}` : name;
  }

  /** The stored object itself (no copy): for the server's internal use only. */
  getRef(rt: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.bucket(rt).get(ObjectStore.key(rt, namespace, name));
  }

  /** A copy of one object, or undefined. */
  get(ref: ResourceRef, namespace: string | undefined, name: string): KubeObject | undefined {
    const rt = this.resolve(ref);
    return clone(this.getRef(rt, namespace, name));
  }

  /** Copies of the matching objects, sorted by namespace then name (etcd key order). */
  list(ref: ResourceRef, opts: StoreListOptions = {}): KubeObject[] {
    const rt = this.resolve(ref);
    return this.listType(rt, opts).map((o) => clone(o));
  }

  /** The stored objects (no copies) of one type that match. */
  listType(rt: ResourceType, opts: StoreListOptions = {}): KubeObject[] {
    const filter = compileFilter(opts);
    const out: KubeObject[] = [];
    for (const [, o] of [...this.bucket(rt).entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (matchesFilter(filter, o)) out.push(o);
    }
    return out;
  }

  namespaceExists(name: string): boolean {
    return this.getRef(this.resolve('namespaces'), undefined, name) !== undefined;
  }

  /**
   * Store an object as given (create or replace), filling apiVersion/kind, uid, creationTimestamp
   * and a new resourceVersion. Secrets' stringData is folded into data. Returns a copy.
   */
  put(obj: KubeObject): KubeObject {
    const rt = this.resolve(obj);
    const o = clone(obj);
    const md = (o.metadata ??= {});
    if (!md.name) throw new Error('fake kube-apiserver: store.put needs metadata.name');
    if (rt.namespaced && !md.namespace) md.namespace = 'default';
    if (!rt.namespaced) delete md.namespace;
    const existing = this.getRef(rt, md.namespace, md.name);
    md.uid ??= existing?.metadata?.uid ?? randomUUID();
    md.creationTimestamp ??= existing?.metadata?.creationTimestamp ?? rfc3339();
    normalizeObject(rt, o);
    return clone(this.commit(rt, o, existing ? 'MODIFIED' : 'ADDED', existing));
  }

  /** Remove an object (no finalizers, no cascading). Returns the removed object, if any. */
  remove(ref: ResourceRef, namespace: string | undefined, name: string): KubeObject | undefined {
    const rt = this.resolve(ref);
    const existing = this.getRef(rt, namespace, name);
    if (!existing) return undefined;
    return clone(this.commit(rt, existing, 'DELETED', existing));
  }

  /**
   * Record a change: sets a new resourceVersion on `obj` (which becomes the stored object for
   * ADDED/MODIFIED), appends to history and emits `change`. Returns the stored object.
   */
  commit(rt: ResourceType, obj: KubeObject, type: WatchEventType, old?: KubeObject): KubeObject {
    const rv = ++this.rv;
    const o = type === 'DELETED' ? clone(obj) : obj;
    o.apiVersion = apiVersionOf(rt);
    o.kind = rt.kind;
    (o.metadata ??= {}).resourceVersion = String(rv);
    const md = o.metadata;
    const key = ObjectStore.key(rt, md.namespace, md.name ?? '');
    if (type === 'DELETED') this.bucket(rt).delete(key);
    else this.bucket(rt).set(key, o);
    if (rt.group === 'apiextensions.k8s.io' && rt.resource === 'customresourcedefinitions' && type !== 'DELETED') {
      this.registry.addFromCrd(o);
    }
    const ev: ChangeEvent = { type, resource: rt, object: clone(o), resourceVersion: rv, ...(old ? { oldObject: clone(old) } : {}) };
    this.history.push(ev);
    if (this.history.length > this.historyLimit) this.history.splice(0, this.history.length - this.historyLimit);
    this.emit('change', ev);
    return o;
  }

  /** Every stored object of every type (copies), e.g. for snapshots in tests. */
  dump(): KubeObject[] {
    const out: KubeObject[] = [];
    for (const b of this.data.values()) for (const o of b.values()) out.push(clone(o));
    return out;
  }
}

/** Server-side normalization applied to every stored object. */
export function normalizeObject(rt: ResourceType, o: KubeObject): void {
  if (rt.group === '' && rt.resource === 'secrets') {
    const sd = o['stringData'] as Record<string, string> | undefined;
    if (sd && typeof sd === 'object') {
      const data = ((o['data'] as Record<string, string> | undefined) ?? {});
      for (const [k, v] of Object.entries(sd)) data[k] = Buffer.from(String(v), 'utf8').toString('base64');
      o['data'] = data;
      delete o['stringData'];
    }
    o['type'] ??= 'Opaque';
  }
  if (rt.group === '' && rt.resource === 'namespaces') {
    const md = (o.metadata ??= {});
    md.labels = { ...(md.labels ?? {}), 'kubernetes.io/metadata.name': md.name ?? '' };
    o['spec'] ??= { finalizers: ['kubernetes'] };
    o['status'] ??= { phase: 'Active' };
  }
}
