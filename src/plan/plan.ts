import type { ClusterFacts } from '../cluster/discovery.js';
import type { Check } from '../cluster/preflight.js';
import type { ConfigFile } from '../config/schema.js';
import { defaultContainerdVersion } from '../compat/runtime.js';
import type { Target } from '../compat/matrix.js';
import { UsageError } from '../errors.js';
import type { PlanDocument } from './plan-document.js';
import { joinSteps } from './steps.js';
import { configDocument } from './config-document.js';
import { formatTaint, WINDOWS_TAINT } from '../cluster/nodes.js';

export interface PlanFacts {
  /** The cluster as read, with explicit values (--api-server, CIDRs) already applied. */
  cluster: ClusterFacts;
  /** Preflight results: read from the cluster, judged here as facts. */
  checks: Check[];
  /** Names for the nodes to create (random suffixes are chosen by the caller, not here). */
  nodeNames: string[];
  /** What the cloud said (read only), when it was asked: its region and image go into the target. */
  cloud?: PlanDocument['cloud'] | undefined;
}

/**
 * How the pool's nodes are made (the executor's NodeSource, src/pool/node-source.ts): VMs
 * that run a bootstrapper, or a managed pool the cloud creates. Only the first is implemented;
 * the CLI offers no way to choose, so this is for callers that build plans themselves.
 */
export type NodeSourceKind = 'vm-bootstrapper' | 'managed-pool';

/**
 * What the nodes are built from: the cloud, the versions (a Kubernetes version defaults to the
 * cluster's, containerd's to the one matched to it) and the pool. The one derivation: the
 * plan prints it, the matrix and preflight judge it (matrixTarget), join builds from it.
 */
export function planTarget(config: ConfigFile, cluster: ClusterFacts): PlanDocument['target'] {
  const pool = config.pool;
  const kubernetesVersion = pool.kubernetesVersion ?? cluster.version;
  const cloud = config.cloud ?? cluster.placement?.cloud ?? null;
  const region = cluster.placement && cluster.placement.cloud === cloud ? ('region' in cluster.placement ? cluster.placement.region : null) : null;
  return {
    cloud,
    region,
    windowsVersion: pool.windowsVersion,
    runtime: pool.runtime,
    kubernetesVersion,
    containerdVersion: pool.runtime === 'containerd' ? (pool.containerdVersion ?? defaultContainerdVersion(kubernetesVersion)) : null,
    dockerVersion: pool.runtime === 'docker' ? (pool.dockerVersion ?? null) : null,
    hypervIsolation: pool.hypervIsolation,
    image: null,
    cni: pool.cni,
    pool: pool.name,
    count: pool.count,
  };
}

/** The compatibility matrix's view of a plan's target. */
export function matrixTarget(t: PlanDocument['target']): Target {
  return {
    windowsVersion: t.windowsVersion,
    kubernetesVersion: t.kubernetesVersion,
    runtime: t.runtime,
    cni: t.cni,
    hypervIsolation: t.hypervIsolation,
    containerdVersion: t.containerdVersion ?? undefined,
  };
}

/** What the bootstrap is rendered from: the matrix's view plus the Docker version, when pinned. */
export function bootstrapTarget(t: PlanDocument['target']): Target & { dockerVersion?: string | undefined } {
  return { ...matrixTarget(t), dockerVersion: t.dockerVersion ?? undefined };
}

/**
 * The whole plan from the validated config and what was read: target, nodes, checks and the
 * steps join will take. Pure: no I/O, no clock, no randomness, so tests assert on plans with
 * no network at all, and `plan`, `--dry-run` and join see the same document.
 */
export function buildPlan(config: ConfigFile, facts: PlanFacts, mode: 'join' | 'provision' = 'join', nodeSource: NodeSourceKind = 'vm-bootstrapper'): PlanDocument {
  if (nodeSource === 'managed-pool') {
    throw new UsageError('win-k8s does not offer managed node pools (the cloud creating and joining the nodes): it creates VMs and joins them with its bootstrap', {
      hint: 'plan with the vm-bootstrapper node source, the only one there is',
    });
  }
  const c = facts.cluster;
  const pool = config.pool;
  const planned = planTarget(config, c);
  // The cloud's answer wins over the control plane's region: it honours --region as join does.
  const target = facts.cloud ? { ...planned, region: facts.cloud.region, image: facts.cloud.image?.id ?? null } : planned;
  const { cloud } = target;
  return {
    cluster: {
      name: c.name,
      version: c.version,
      endpoint: c.endpoint,
      caCertHash: c.caCertHash ?? null,
      flavor: c.flavor,
      cni: { type: c.cni.type, vni: c.cni.flannel?.vni ?? null, port: c.cni.flannel?.port ?? null },
      serviceCidr: c.serviceCidr ?? null,
      podCidr: c.podCidr ?? null,
      dnsIp: c.dnsIp ?? null,
    },
    target,
    cloud: facts.cloud ?? null,
    nodes: facts.nodeNames.map((name) => ({ name })),
    checks: facts.checks.map((ch) => ({ id: ch.id, status: ch.status, message: ch.message, hint: ch.hint ?? null })),
    joinable: !facts.checks.some((ch) => ch.status === 'fail'),
    steps: joinSteps({
      mode,
      cloud,
      cluster: c.name,
      pool: pool.name,
      nodes: facts.nodeNames,
      windowsVersion: pool.windowsVersion,
      cni: pool.cni,
      hypervIsolation: pool.hypervIsolation,
      windowsTaint: pool.taintWindows ? formatTaint(WINDOWS_TAINT) : undefined,
      tokenTtlSeconds: config.cluster.tokenTtl,
    }),
    config: configDocument(config),
  };
}
