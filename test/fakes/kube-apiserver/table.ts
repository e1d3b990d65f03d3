/**
 * Server-side printing (meta.k8s.io/v1 Table) for the kinds people look at with `kubectl get`;
 * other kinds get NAME/AGE, like CRDs without printer columns.
 */
import type { KubeObject, ResourceType } from './types.js';

interface Column {
  name: string;
  type: string;
  format?: string;
  priority?: number;
  cell: (o: KubeObject) => unknown;
}

/** kubectl's duration.HumanDuration. */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (h < 192) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  if (d < 365 * 2) return `${d}d`;
  const y = Math.floor(d / 365);
  if (y < 8) return d % 365 === 0 ? `${y}y` : `${y}y${d % 365}d`;
  return `${y}y`;
}

const get = (o: unknown, path: string): any => {
  let cur: any = o;
  for (const p of path.split('.')) cur = cur == null ? undefined : cur[p];
  return cur;
};

const age = (o: KubeObject): string => {
  const t = o.metadata?.creationTimestamp;
  return t ? humanDuration(Date.now() - Date.parse(t)) : '<unknown>';
};

const NAME: Column = { name: 'Name', type: 'string', format: 'name', cell: (o) => o.metadata?.name ?? '' };
const AGE: Column = { name: 'Age', type: 'string', cell: age };

function nodeStatus(o: KubeObject): string {
  const ready = (get(o, 'status.conditions') ?? []).find((c: { type: string }) => c.type === 'Ready') as { status?: string } | undefined;
  const parts = [ready?.status === 'True' ? 'Ready' : ready ? 'NotReady' : 'Unknown'];
  if (get(o, 'spec.unschedulable')) parts.push('SchedulingDisabled');
  return parts.join(',');
}

function nodeRoles(o: KubeObject): string {
  const roles = Object.keys(o.metadata?.labels ?? {})
    .filter((k) => k.startsWith('node-role.kubernetes.io/'))
    .map((k) => k.slice('node-role.kubernetes.io/'.length))
    .filter((r) => r.length > 0);
  const legacy = o.metadata?.labels?.['kubernetes.io/role'];
  if (legacy) roles.push(legacy);
  return roles.length > 0 ? roles.sort().join(',') : '<none>';
}

function address(o: KubeObject, type: string): string {
  return ((get(o, 'status.addresses') ?? []) as Array<{ type: string; address: string }>).find((a) => a.type === type)?.address ?? '<none>';
}

function podStatus(o: KubeObject): string {
  if (o.metadata?.deletionTimestamp) return 'Terminating';
  const statuses = (get(o, 'status.containerStatuses') ?? []) as Array<{ state?: { waiting?: { reason?: string }; terminated?: { reason?: string } } }>;
  for (const c of statuses) {
    if (c.state?.waiting?.reason) return c.state.waiting.reason;
    if (c.state?.terminated?.reason && get(o, 'status.phase') === 'Running') return c.state.terminated.reason;
  }
  return get(o, 'status.reason') ?? get(o, 'status.phase') ?? 'Unknown';
}

function podReady(o: KubeObject): string {
  const total = (get(o, 'spec.containers') ?? []).length;
  const ready = ((get(o, 'status.containerStatuses') ?? []) as Array<{ ready?: boolean }>).filter((c) => c.ready).length;
  return `${ready}/${total}`;
}

function servicePorts(o: KubeObject): string {
  const ports = (get(o, 'spec.ports') ?? []) as Array<{ port: number; protocol?: string; nodePort?: number }>;
  if (ports.length === 0) return '<none>';
  return ports.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',');
}

const selectorString = (m: Record<string, string> | undefined): string =>
  m && Object.keys(m).length > 0 ? Object.entries(m).map(([k, v]) => `${k}=${v}`).join(',') : '<none>';

const COLUMNS: Record<string, Column[]> = {
  '/nodes': [
    NAME,
    { name: 'Status', type: 'string', cell: nodeStatus },
    { name: 'Roles', type: 'string', cell: nodeRoles },
    AGE,
    { name: 'Version', type: 'string', cell: (o) => get(o, 'status.nodeInfo.kubeletVersion') ?? '' },
    { name: 'Internal-IP', type: 'string', priority: 1, cell: (o) => address(o, 'InternalIP') },
    { name: 'External-IP', type: 'string', priority: 1, cell: (o) => address(o, 'ExternalIP') },
    { name: 'OS-Image', type: 'string', priority: 1, cell: (o) => get(o, 'status.nodeInfo.osImage') ?? '<unknown>' },
    { name: 'Kernel-Version', type: 'string', priority: 1, cell: (o) => get(o, 'status.nodeInfo.kernelVersion') ?? '<unknown>' },
    { name: 'Container-Runtime', type: 'string', priority: 1, cell: (o) => get(o, 'status.nodeInfo.containerRuntimeVersion') ?? '<unknown>' },
  ],
  '/pods': [
    NAME,
    { name: 'Ready', type: 'string', cell: podReady },
    { name: 'Status', type: 'string', cell: podStatus },
    { name: 'Restarts', type: 'string', cell: (o) => String(((get(o, 'status.containerStatuses') ?? []) as Array<{ restartCount?: number }>).reduce((a, c) => a + (c.restartCount ?? 0), 0)) },
    AGE,
    { name: 'IP', type: 'string', priority: 1, cell: (o) => get(o, 'status.podIP') ?? '<none>' },
    { name: 'Node', type: 'string', priority: 1, cell: (o) => get(o, 'spec.nodeName') ?? '<none>' },
  ],
  '/namespaces': [NAME, { name: 'Status', type: 'string', cell: (o) => get(o, 'status.phase') ?? '' }, AGE],
  '/services': [
    NAME,
    { name: 'Type', type: 'string', cell: (o) => get(o, 'spec.type') ?? 'ClusterIP' },
    { name: 'Cluster-IP', type: 'string', cell: (o) => get(o, 'spec.clusterIP') ?? '<none>' },
    { name: 'External-IP', type: 'string', cell: (o) => ((get(o, 'spec.externalIPs') ?? []) as string[]).join(',') || '<none>' },
    { name: 'Port(s)', type: 'string', cell: servicePorts },
    AGE,
  ],
  'apps/daemonsets': [
    NAME,
    { name: 'Desired', type: 'integer', cell: (o) => get(o, 'status.desiredNumberScheduled') ?? 0 },
    { name: 'Current', type: 'integer', cell: (o) => get(o, 'status.currentNumberScheduled') ?? 0 },
    { name: 'Ready', type: 'integer', cell: (o) => get(o, 'status.numberReady') ?? 0 },
    { name: 'Up-to-date', type: 'integer', cell: (o) => get(o, 'status.updatedNumberScheduled') ?? 0 },
    { name: 'Available', type: 'integer', cell: (o) => get(o, 'status.numberAvailable') ?? 0 },
    { name: 'Node Selector', type: 'string', cell: (o) => selectorString(get(o, 'spec.template.spec.nodeSelector')) },
    AGE,
  ],
  'apps/deployments': [
    NAME,
    { name: 'Ready', type: 'string', cell: (o) => `${get(o, 'status.readyReplicas') ?? 0}/${get(o, 'spec.replicas') ?? 0}` },
    { name: 'Up-to-date', type: 'integer', cell: (o) => get(o, 'status.updatedReplicas') ?? 0 },
    { name: 'Available', type: 'integer', cell: (o) => get(o, 'status.availableReplicas') ?? 0 },
    AGE,
  ],
  'certificates.k8s.io/certificatesigningrequests': [
    NAME,
    AGE,
    { name: 'SignerName', type: 'string', cell: (o) => get(o, 'spec.signerName') ?? '' },
    { name: 'Requestor', type: 'string', cell: (o) => get(o, 'spec.username') ?? '' },
    {
      name: 'Condition',
      type: 'string',
      cell: (o) => {
        const conds = ((get(o, 'status.conditions') ?? []) as Array<{ type: string }>).map((c) => c.type);
        if (get(o, 'status.certificate')) conds.push('Issued');
        return conds.length > 0 ? conds.join(',') : 'Pending';
      },
    },
  ],
};

/** True when the Accept header asks for a meta.k8s.io Table. */
export function wantsTable(accept: string | undefined): boolean {
  return !!accept && /as=Table/.test(accept) && /g=meta\.k8s\.io/.test(accept);
}

export function toTable(rt: ResourceType, objects: KubeObject[], listMeta: Record<string, unknown>, includeObject: string | undefined): KubeObject {
  const cols = COLUMNS[`${rt.group}/${rt.resource}`] ?? [NAME, AGE];
  const mode = includeObject ?? 'Metadata';
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: cols.map((c) => ({ name: c.name, type: c.type, format: c.format ?? '', description: '', priority: c.priority ?? 0 })),
    rows: objects.map((o) => ({
      cells: cols.map((c) => c.cell(o)),
      ...(mode === 'None'
        ? {}
        : { object: mode === 'Object' ? o : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata } }),
    })),
  };
}
