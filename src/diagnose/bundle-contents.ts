import type * as k8s from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { parseCollectedFiles, safeSegment, type BundleEntry } from './bundle.js';
import type { DiagnoseDocument, Snapshot } from './types.js';

/**
 * What goes into a --bundle, gathered while diagnose runs: the last snapshot's objects, the
 * latest report per node, and the log files the collector container printed.
 */
export class BundleCollector {
  private snap: Snapshot | undefined;
  private readonly reports = new Map<string, unknown>();
  private readonly logs = new Map<string, string>();

  onGathered = (snap: Snapshot): void => {
    this.snap = snap;
    for (const [node, entry] of snap.nodeReports ?? []) this.reports.set(node, entry);
  };

  onCollected = (node: string, log: string): void => {
    this.logs.set(node, log);
  };

  async entries(doc: DiagnoseDocument): Promise<BundleEntry[]> {
    const snap = this.snap;
    const out: BundleEntry[] = [{ name: 'diagnose.json', data: JSON.stringify(doc, null, 2) + '\n' }];
    const notes: string[] = ['win-k8s diagnose support bundle', `created ${new Date().toISOString()}`, 'Secrets are redacted from every file (tokens, keys, passwords, SAS signatures).', ''];
    if (snap) {
      const windows = new Set(snap.windowsNodes.map((n) => n.metadata?.name ?? ''));
      const pods = snap.pods.filter((p) => windows.has(p.spec?.nodeName ?? '') || p.metadata?.namespace === 'kube-system');
      const podNames = new Set(pods.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`));
      const events = snap.events.filter(
        (e) => (e.involvedObject.kind === 'Node' && windows.has(e.involvedObject.name ?? '')) || podNames.has(`${e.involvedObject.namespace}/${e.involvedObject.name}`) || e.source?.host !== undefined && windows.has(e.source.host),
      );
      const list = (kind: string, items: unknown[]) => stringify({ apiVersion: 'v1', kind, items: items.map(clean) });
      out.push({ name: 'cluster/nodes.yaml', data: list('NodeList', snap.windowsNodes) });
      out.push({ name: 'cluster/pods.yaml', data: list('PodList', pods) });
      out.push({ name: 'cluster/events.yaml', data: list('EventList', events) });
      notes.push(`nodes: ${[...windows].join(', ') || 'none selected'}`);
    }
    for (const [node, entry] of this.reports) {
      const dir = `nodes/${safeSegment(node)}`;
      const e = entry as { report?: unknown; error?: string; skipped?: string };
      if (e.report) out.push({ name: `${dir}/node-report.json`, data: JSON.stringify(e.report, null, 2) + '\n' });
      else notes.push(`${node}: no node report (${e.error ?? e.skipped ?? 'unknown'})`);
    }
    for (const [node, log] of this.logs) {
      const dir = `nodes/${safeSegment(node)}/logs`;
      for (const f of parseCollectedFiles(log)) {
        const [source, ...rest] = f.name.split('/');
        const name = `${dir}/${safeSegment(source ?? '')}/${safeSegment(rest.join('_') || 'file')}`;
        if ('data' in f) {
          out.push({ name, data: f.data });
          if (f.truncated) notes.push(`${node}: ${f.name}: only its last ${size(f.truncated.kept)} of ${size(f.truncated.size)} (the per-file budget)`);
        } else notes.push(`${node}: ${f.name}: ${f.error}`);
      }
    }
    if (this.reports.size === 0) notes.push('no node reports: node checks were skipped (--skip-node-checks) or not selected');
    out.push({ name: 'README.txt', data: notes.join('\n') + '\n' });
    return out;
  }
}

const size = (bytes: number) => (bytes >= 1024 ** 2 ? `${(bytes / 1024 ** 2).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`);

/**
 * kubectl apply copies the whole applied manifest, env values included, into this annotation:
 * a second copy of everything clean() removes below, in a JSON string no env rule can reach.
 */
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** Drops managedFields, the last-applied copy and Secret-shaped env values: noise, and places secrets hide. */
function clean(o: unknown): unknown {
  const obj = structuredClone(o) as { metadata?: { managedFields?: unknown; annotations?: Record<string, string> }; spec?: { containers?: k8s.V1Container[]; initContainers?: k8s.V1Container[] } };
  if (obj.metadata) delete obj.metadata.managedFields;
  if (obj.metadata?.annotations) {
    delete obj.metadata.annotations[LAST_APPLIED];
    if (Object.keys(obj.metadata.annotations).length === 0) delete obj.metadata.annotations;
  }
  for (const c of [...(obj.spec?.containers ?? []), ...(obj.spec?.initContainers ?? [])]) {
    for (const e of c.env ?? []) if (e.value !== undefined && /token|password|passwd|secret|key|credential|auth/i.test(e.name)) e.value = '[REDACTED]';
  }
  return obj;
}
