import { createHash } from 'node:crypto';
import type * as k8s from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { readTemplate, substitute } from '../bootstrap/templates.js';
import { OperationError } from '../errors.js';
import { apiError, isNotFound, statusCode } from './client.js';
import type { Cluster } from './client.js';
import { MANAGED_BY_LABELS } from './nodes.js';

/**
 * Cluster-side objects Windows nodes need, kept as real YAML files in templates/manifests/
 * with {{PLACEHOLDER}} values (the same renderer as the bootstrap scripts, so a missing or
 * unused value fails loudly), applied idempotently: created when missing, left alone when the
 * cluster already has what the file says, replaced otherwise.
 */

/** ClusterRoleBindings for kube-proxy and flanneld running with the node's credentials. No values. */
export const WINDOWS_NODE_RBAC = 'windows-node-rbac.yaml';
/** The Windows kube-proxy DaemonSet for Calico clusters. Values: KUBERNETES_VERSION ("1.33.2"). */
export const CALICO_KUBE_PROXY_WINDOWS = 'calico-kube-proxy-windows.yaml';

/**
 * A hash of the object as the file renders it: a later win-k8s whose file drops a field
 * changes the hash, which a subset comparison with the live object alone would not notice.
 */
export const MANIFEST_HASH_ANNOTATION = 'win-k8s.io/manifest-hash';

/** Values land unquoted in YAML, so they are limited to what cannot change its structure. */
const SAFE_VALUE = /^[A-Za-z0-9._:/@+-]*$/;
const MAX_CONFLICT_RETRIES = 5;

/**
 * not-ours: an object of that name exists without win-k8s's managed-by label, so someone else
 * made it (by hand, from the README's kubectl commands, another tool): it is left as it is,
 * never labelled as win-k8s's, and so never deleted by `remove`.
 */
export type ApplyAction = 'created' | 'updated' | 'unchanged' | 'not-ours';

/** Whether the object carries win-k8s's managed-by label (everything join creates does). */
export function madeByWinK8s(obj: { metadata?: { labels?: Record<string, string> } } | undefined): boolean {
  const labels = obj?.metadata?.labels ?? {};
  return Object.entries(MANAGED_BY_LABELS).every(([k, v]) => labels[k] === v);
}

export interface AppliedObject {
  kind: string;
  name: string;
  namespace?: string;
  action: ApplyAction;
}

/** The objects of templates/manifests/<file> with the values filled in. */
export function renderManifest(file: string, values: Record<string, string>): k8s.KubernetesObject[] {
  for (const [name, value] of Object.entries(values)) {
    if (!SAFE_VALUE.test(value)) throw new Error(`manifest value ${name}=${JSON.stringify(value)} has characters that are not safe in YAML`);
  }
  const text = substitute(readTemplate(`manifests/${file}`), values);
  const objects: k8s.KubernetesObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`templates/manifests/${file}: ${doc.errors[0]!.message}`);
    const obj = doc.toJS() as k8s.KubernetesObject | null;
    if (obj === null) continue;
    if (!obj.apiVersion || !obj.kind || !obj.metadata?.name) throw new Error(`templates/manifests/${file}: every document needs apiVersion, kind and metadata.name`);
    objects.push(withHash(obj));
  }
  return objects;
}

/** Creates or updates every object of the manifest, in file order. */
export async function applyManifest(cluster: Cluster, file: string, values: Record<string, string>): Promise<AppliedObject[]> {
  const objects = renderManifest(file, values);
  const api = cluster.lib.KubernetesObjectApi.makeApiClient(cluster.kc);
  const results: AppliedObject[] = [];
  for (const obj of objects) results.push(await applyObject(cluster, api, obj));
  return results;
}

async function applyObject(cluster: Cluster, api: k8s.KubernetesObjectApi, want: k8s.KubernetesObject): Promise<AppliedObject> {
  const { kind = '', metadata = {} } = want;
  const name = metadata.name ?? '';
  const ref: AppliedObject = { kind, name, ...(metadata.namespace ? { namespace: metadata.namespace } : {}), action: 'unchanged' };
  const label = `${kind} ${metadata.namespace ? `${metadata.namespace}/` : ''}${name}`;
  for (let attempt = 1; ; attempt++) {
    const existing = await readObject(cluster, api, want, label);
    if (existing && !madeByWinK8s(existing)) return { ...ref, action: 'not-ours' };
    try {
      if (!existing) {
        await api.create(want);
        return { ...ref, action: 'created' };
      }
      if (isSubset(want, plain(existing))) return ref;
      if (roleRefChanged(want, existing)) {
        // A binding's roleRef is immutable: recreate it, as `kubectl auth reconcile` does.
        await api.delete(existing);
        await api.create(want);
      } else {
        await api.replace(mergeForeignMetadata(want, existing));
      }
      return { ...ref, action: 'updated' };
    } catch (err) {
      if (statusCode(err) === 409 && attempt < MAX_CONFLICT_RETRIES) continue;
      throw apiError(err, `${existing ? 'update' : 'create'} ${label}`, cluster.resolved.server);
    }
  }
}

async function readObject(cluster: Cluster, api: k8s.KubernetesObjectApi, want: k8s.KubernetesObject, label: string): Promise<k8s.KubernetesObject | undefined> {
  try {
    const { apiVersion, kind, metadata } = want;
    return await api.read({ apiVersion, kind, metadata: { name: metadata?.name ?? '', ...(metadata?.namespace ? { namespace: metadata.namespace } : {}) } });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    if (err instanceof Error && err.message.startsWith('Unrecognized API version and kind')) {
      throw new OperationError(`the cluster does not serve ${want.apiVersion} ${want.kind}, needed for ${label}`, { cause: err });
    }
    throw apiError(err, `read ${label}`, cluster.resolved.server);
  }
}

function withHash(obj: k8s.KubernetesObject): k8s.KubernetesObject {
  const hash = createHash('sha256').update(canonical(obj)).digest('hex').slice(0, 16);
  const metadata = obj.metadata ?? {};
  return { ...obj, metadata: { ...metadata, annotations: { ...metadata.annotations, [MANIFEST_HASH_ANNOTATION]: hash } } };
}

/** Labels and annotations others put on the object (controllers, `kubectl rollout restart`) survive a replace. */
function mergeForeignMetadata(want: k8s.KubernetesObject, existing: k8s.KubernetesObject): k8s.KubernetesObject {
  const have = existing.metadata ?? {};
  const metadata = want.metadata ?? {};
  return {
    ...want,
    metadata: {
      ...metadata,
      labels: { ...have.labels, ...metadata.labels },
      annotations: { ...have.annotations, ...metadata.annotations },
      resourceVersion: have.resourceVersion,
    },
  } as k8s.KubernetesObject;
}

function roleRefChanged(want: k8s.KubernetesObject, existing: k8s.KubernetesObject): boolean {
  const a = (want as { roleRef?: unknown }).roleRef;
  const b = (existing as { roleRef?: unknown }).roleRef;
  return a !== undefined && !isSubset(a, plain(b));
}

/** The client hands back model objects (Dates and all); compare what goes over the wire. */
function plain(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

/**
 * Whether everything `want` says is also in `have`; fields the server added (defaults,
 * status, uid) do not count. Lists must match element by element.
 */
export function isSubset(want: unknown, have: unknown): boolean {
  if (Array.isArray(want)) {
    return Array.isArray(have) && have.length === want.length && want.every((w, i) => isSubset(w, have[i]));
  }
  if (want !== null && typeof want === 'object') {
    if (have === null || typeof have !== 'object' || Array.isArray(have)) return false;
    const h = have as Record<string, unknown>;
    return Object.entries(want).every(([k, v]) => isSubset(v, h[k]));
  }
  return want === have;
}

/** JSON with sorted keys and no undefined members, so deserialized and literal objects compare. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}
