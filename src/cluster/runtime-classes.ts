import type * as k8s from '@kubernetes/client-node';
import { HYPERV_RUNTIME_HANDLER } from '../compat/runtime.js';
import { listVersions, WINDOWS_RELEASES, windowsReleaseForBuild } from '../compat/windows.js';
import type { WindowsVersion } from '../compat/windows.js';
import { apiError, isNotFound } from './client.js';
import type { Cluster } from './client.js';
import { canonical, madeByWinK8s } from './manifests.js';
import type { ApplyAction } from './manifests.js';
import { MANAGED_BY_LABELS, WINDOWS_TAINT } from './nodes.js';

/**
 * RuntimeClasses that steer Windows pods to nodes they can run on. Under process isolation a
 * container image must match the host's Windows build, so there is one class per build,
 * selecting nodes by node.kubernetes.io/windows-build (kubernetes.io docs, "Windows containers
 * in Kubernetes": "Ensuring OS-specific workloads land on the appropriate container host").
 * A pod then only needs `runtimeClassName: windows-2022` instead of selectors and tolerations.
 */

/** containerd's default Windows handler (process isolation). */
export const PROCESS_RUNTIME_HANDLER = 'runhcs-wcow-process';
export const HYPERV_RUNTIME_CLASS = 'windows-hyperv';

/** Releases a RuntimeClass is made for: 2016 nodes run Docker only, which has no runtime handlers. */
const RUNTIME_CLASS_RELEASES: ReadonlySet<WindowsVersion> = new Set(Object.values(WINDOWS_RELEASES).filter((r) => r.containerd).map((r) => r.version));
const NOT_SERVED = `not a Windows Server ${listVersions([...RUNTIME_CLASS_RELEASES])} build`;

export interface RuntimeClassOptions {
  /** node.kubernetes.io/windows-build values present in the cluster, e.g. "10.0.20348". */
  builds: readonly string[];
  /** Windows nodes carry os=windows:NoSchedule, so the classes add the toleration. */
  taintWindows: boolean;
  /** Add windows-hyperv, for nodes set up with the Hyper-V isolation handler. */
  hyperv: boolean;
}

export interface RuntimeClassResult {
  name: string;
  action: ApplyAction;
}

export interface RuntimeClassOutcome {
  classes: RuntimeClassResult[];
  /** Builds no class was made for, with the reason. */
  skipped: Array<{ build: string; reason: string }>;
}

export function runtimeClassNameForBuild(build: string): string | undefined {
  const number = Number(build.split('.').at(-1));
  const release = Number.isInteger(number) ? windowsReleaseForBuild(number) : undefined;
  if (!release || !RUNTIME_CLASS_RELEASES.has(release.version) || release.buildLabel !== build) return undefined;
  return `windows-${release.version}`;
}

function tolerations(taintWindows: boolean): k8s.V1Toleration[] | undefined {
  if (!taintWindows) return undefined;
  return [{ key: WINDOWS_TAINT.key, operator: 'Equal', value: WINDOWS_TAINT.value, effect: WINDOWS_TAINT.effect }];
}

function runtimeClass(name: string, handler: string, nodeSelector: Record<string, string>, taintWindows: boolean): k8s.V1RuntimeClass {
  const tol = tolerations(taintWindows);
  return {
    apiVersion: 'node.k8s.io/v1',
    kind: 'RuntimeClass',
    metadata: { name, labels: { ...MANAGED_BY_LABELS } },
    handler,
    scheduling: { nodeSelector, ...(tol ? { tolerations: tol } : {}) },
  };
}

/** The RuntimeClasses win-k8s wants for these options, and the builds it cannot serve. */
export function desiredRuntimeClasses(opts: RuntimeClassOptions): { classes: k8s.V1RuntimeClass[]; skipped: RuntimeClassOutcome['skipped'] } {
  const classes: k8s.V1RuntimeClass[] = [];
  const skipped: RuntimeClassOutcome['skipped'] = [];
  for (const build of [...new Set(opts.builds)].sort()) {
    const name = runtimeClassNameForBuild(build);
    if (!name) {
      skipped.push({ build, reason: NOT_SERVED });
      continue;
    }
    classes.push(runtimeClass(name, PROCESS_RUNTIME_HANDLER, { 'kubernetes.io/os': 'windows', 'node.kubernetes.io/windows-build': build }, opts.taintWindows));
  }
  // Hyper-V isolation runs images of the host's build or older, so no build selector.
  if (opts.hyperv) classes.push(runtimeClass(HYPERV_RUNTIME_CLASS, HYPERV_RUNTIME_HANDLER, { 'kubernetes.io/os': 'windows' }, opts.taintWindows));
  return { classes, skipped };
}

/** Creates the RuntimeClasses, or brings existing ones of the same name to the wanted spec. */
export async function ensureRuntimeClasses(cluster: Cluster, opts: RuntimeClassOptions): Promise<RuntimeClassOutcome> {
  const { classes, skipped } = desiredRuntimeClasses(opts);
  const results: RuntimeClassResult[] = [];
  for (const rc of classes) results.push(await ensureRuntimeClass(cluster, rc));
  return { classes: results, skipped };
}

async function ensureRuntimeClass(cluster: Cluster, want: k8s.V1RuntimeClass): Promise<RuntimeClassResult> {
  const name = want.metadata!.name!;
  const what = (verb: string): string => `${verb} RuntimeClass ${name}`;
  let existing: k8s.V1RuntimeClass | undefined;
  try {
    existing = await cluster.node.readRuntimeClass({ name });
  } catch (err) {
    if (!isNotFound(err)) throw apiError(err, what('read'), cluster.resolved.server);
  }
  // A class of that name someone else made stays theirs: not changed, not labelled, never deleted.
  if (existing && !madeByWinK8s(existing)) return { name, action: 'not-ours' };
  try {
    if (!existing) {
      await cluster.node.createRuntimeClass({ body: want });
      return { name, action: 'created' };
    }
    if (matches(existing, want)) return { name, action: 'unchanged' };
    if (existing.handler !== want.handler) {
      // handler is immutable: a class pointing at another handler has to be recreated.
      await cluster.node.deleteRuntimeClass({ name });
      await cluster.node.createRuntimeClass({ body: want });
    } else {
      await cluster.node.replaceRuntimeClass({ name, body: { ...want, metadata: { ...want.metadata, resourceVersion: existing.metadata?.resourceVersion } } });
    }
    return { name, action: 'updated' };
  } catch (err) {
    throw apiError(err, what(existing ? 'update' : 'create'), cluster.resolved.server);
  }
}

function matches(existing: k8s.V1RuntimeClass, want: k8s.V1RuntimeClass): boolean {
  const labels = existing.metadata?.labels ?? {};
  const labelled = Object.entries(want.metadata?.labels ?? {}).every(([k, v]) => labels[k] === v);
  return labelled && existing.handler === want.handler && canonical(existing.scheduling) === canonical(want.scheduling) && existing.overhead === undefined;
}
