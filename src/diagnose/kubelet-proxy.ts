import type * as k8s from '@kubernetes/client-node';
import { array, boolean, number, object, record, string, type infer as zInfer } from 'zod';
import type { Cluster } from '../cluster/client.js';
import { mapBounded } from '../util/bounded.js';

/**
 * The kubelet's own documents, read through the API server's node proxy
 * (GET /api/v1/nodes/<name>/proxy/<path>): no pod is needed, so this works on managed clusters
 * (EKS, AKS, GKE) whose Windows nodes win-k8s did not create.
 *
 * Only the fields the checks read are declared; the kubelet sends many more, which are kept
 * out (zod strips unknown keys) rather than refused.
 */

const str = string().nullish();
const num = number().nullish();

/**
 * /configz: {"kubeletconfig": KubeletConfiguration} in its kubelet.config.k8s.io/v1beta1 JSON
 * form, after defaulting. Empty lists and maps are omitted (omitempty), so an absent
 * enforceNodeAllocatable means none is enforced, an absent systemReserved that nothing is, and
 * an absent evictionHard that it was set empty (the kubelet's defaults would have filled nil).
 */
export const KubeletConfigSchema = object({
  cgroupsPerQOS: boolean().nullish(),
  enforceNodeAllocatable: array(string()).nullish(),
  evictionHard: record(string(), string()).nullish(),
  evictionSoft: record(string(), string()).nullish(),
  systemReserved: record(string(), string()).nullish(),
  kubeReserved: record(string(), string()).nullish(),
  imageGCHighThresholdPercent: num,
  imageGCLowThresholdPercent: num,
  containerRuntimeEndpoint: str,
  cgroupDriver: str,
});
export const ConfigzSchema = object({ kubeletconfig: KubeletConfigSchema });
export type KubeletConfig = zInfer<typeof KubeletConfigSchema>;

/** FsStats of k8s.io/kubelet/pkg/apis/stats/v1alpha1 (inodes are never set on Windows: NTFS has none). */
const FsStats = object({ time: str, availableBytes: num, capacityBytes: num, usedBytes: num, inodesFree: num, inodes: num, inodesUsed: num });
const MemoryStats = object({ time: str, availableBytes: num, usageBytes: num, workingSetBytes: num, rssBytes: num });

/** /stats/summary: the numbers the kubelet's eviction manager decides on. */
export const SummarySchema = object({
  node: object({
    nodeName: string(),
    memory: MemoryStats.nullish(),
    fs: FsStats.nullish(),
    runtime: object({ imageFs: FsStats.nullish(), containerFs: FsStats.nullish() }).nullish(),
  }),
  pods: array(
    object({
      podRef: object({ name: string(), namespace: string(), uid: str }),
      memory: MemoryStats.nullish(),
      'ephemeral-storage': FsStats.nullish(),
    }),
  ).nullish(),
});
export type KubeletSummary = zInfer<typeof SummarySchema>;

/** One document of one kubelet: parsed, or why not (with the HTTP status the API server gave, if any). */
export type KubeletDocument<T> = { doc: T } | { error: string; status?: number; invalid?: boolean };

export const KUBELET_PATHS = { configz: 'configz', stats: 'stats/summary' } as const;

/** The message of a failed proxy call: the Status message the API server (or kubelet) sent, with its HTTP code. */
export function proxyError(err: unknown): { error: string; status?: number } {
  const e = err as { code?: number; body?: unknown; message?: string };
  let message = e.message ?? String(err);
  const body = typeof e.body === 'string' ? e.body : undefined;
  if (body) {
    try {
      message = (JSON.parse(body) as { message?: string }).message ?? message;
    } catch {
      message = body;
    }
  }
  const first = message.split('\n')[0] ?? message;
  return e.code ? { error: `HTTP ${e.code}: ${first}`, status: e.code } : { error: first };
}

function parse<T>(body: unknown, schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: Array<{ path: PropertyKey[]; message: string }> } } }, what: string): KubeletDocument<T> {
  // The client hands over a JSON-typed answer already parsed, and any other answer as text.
  let value: unknown = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return { error: `${what} is not JSON: ${JSON.stringify(body.slice(0, 80))}`, invalid: true };
    }
  }
  const r = schema.safeParse(value);
  if (!r.success) {
    const i = r.error.issues[0];
    return { error: `${what} does not have the kubelet's shape (${i ? `${i.path.map(String).join('.') || '(root)'}: ${i.message}` : 'invalid'})`, invalid: true };
  }
  return { doc: r.data };
}

/** Reads one path of each node's kubelet, 16 nodes at a time, each bounded by `timeoutMs`. */
async function readAll<T>(cluster: Cluster, nodes: readonly k8s.V1Node[], path: string, read: (body: unknown) => KubeletDocument<T>, timeoutMs: number): Promise<Map<string, KubeletDocument<T>>> {
  const out = new Map<string, KubeletDocument<T>>();
  await mapBounded([...nodes], 16, async (n) => {
    const name = n.metadata?.name ?? '';
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs / 1000}s`)), timeoutMs)));
    try {
      const body = await Promise.race([cluster.core.connectGetNodeProxyWithPath({ name, path }), timeout]);
      out.set(name, read(body));
    } catch (err) {
      // The client parses a JSON-typed answer itself: a body that is not JSON surfaces here.
      out.set(name, err instanceof SyntaxError ? { error: `/${path} is not JSON: ${err.message}`, invalid: true } : proxyError(err));
    } finally {
      clearTimeout(timer);
    }
  });
  return out;
}

export function readKubeletConfigs(cluster: Cluster, nodes: readonly k8s.V1Node[], timeoutMs = 15_000): Promise<Map<string, KubeletDocument<KubeletConfig>>> {
  return readAll(cluster, nodes, KUBELET_PATHS.configz, (body) => {
    const r = parse(body, ConfigzSchema, '/configz');
    return 'doc' in r ? { doc: r.doc.kubeletconfig } : r;
  }, timeoutMs);
}

export function readKubeletSummaries(cluster: Cluster, nodes: readonly k8s.V1Node[], timeoutMs = 15_000): Promise<Map<string, KubeletDocument<KubeletSummary>>> {
  return readAll(cluster, nodes, KUBELET_PATHS.stats, (body) => parse(body, SummarySchema, '/stats/summary'), timeoutMs);
}

/** Parses a Kubernetes quantity ("100Mi", "2Gi", "1.5G", "512000") to bytes; undefined if it is not one. */
export function quantityBytes(q: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|K|M|G|T|P|E|m)?\s*$/.exec(q);
  if (!m) return undefined;
  const units: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18, m: 1e-3 };
  return Number(m[1]) * (m[2] ? units[m[2]]! : 1);
}
