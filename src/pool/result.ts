import type { ClusterObjectRef } from '../cluster/managed-objects.js';
import type { PoolFirewallDescription } from '../cloud/provider.js';
import type { StepOutcome } from './step-runner.js';

export type NodeStatus = 'Ready' | 'Failed' | 'TimedOut' | 'Provisioned';

/** One node of a join/provision result, in the shape DESIGN.md promises. */
export interface NodeOutcome {
  name: string;
  instanceId: string | null;
  privateIp: string | null;
  status: NodeStatus;
  /** Seconds per phase: provision (create -> running), boot (-> first console line), register, ready. */
  phases: Record<string, number>;
  error?: string;
  /** The node existed before this run (a re-run tops the pool up). */
  existing?: boolean;
}

export interface JoinResult {
  pool: string;
  cluster: string;
  nodes: NodeOutcome[];
  /** The plan's steps as they went; the token's deletion comes last, after the summary was taken. */
  steps: StepOutcome[];
  durationSeconds: number;
}

/** What `remove` did: the document `-o json` prints. */
/** What `remove --dry-run` would delete; nothing is deleted. */
export interface RemovePlan {
  dryRun: true;
  cluster: string;
  nodes: { name: string; node: 'present' | 'absent'; instanceId: string | null; pool: string | null }[];
  /** Bootstrap tokens of the pool (a token left by a run that died). */
  tokens: string[];
  /** The firewall of each pool left without VMs: deleted once its last VM is gone. */
  poolFirewalls: { pool: string; cloud: string; firewalls?: PoolFirewallDescription[] }[];
  /** The cluster-wide objects join made, deleted with the last pool. */
  clusterObjects: ClusterObjectsPlan;
}

/** What remove does with the cluster-wide objects join made (RuntimeClasses, bindings). */
export interface ClusterObjectsPlan {
  wouldDelete: ClusterObjectRef[];
  /** Why they stay: another pool is left, or --keep-cluster-objects. */
  kept?: string;
  /** What could not be looked at, with the command that deletes it by hand. */
  left: ClusterObjectLeft[];
}

export interface ClusterObjectLeft {
  what: string;
  error: string;
  command: string;
}

export interface ClusterObjectsOutcome {
  deleted: ClusterObjectRef[];
  kept?: string;
  /** What could not be listed or deleted, with the command that deletes it by hand. */
  left: ClusterObjectLeft[];
}

export interface RemoveResult {
  removed: { name: string; instanceId: string | null; node: 'deleted' | 'absent'; vm: 'terminated' | 'absent' }[];
  deletedResources: string[];
  /** Bootstrap tokens of a removed pool: nothing may join a pool being removed. */
  deletedTokens: string[];
  /** The cluster-wide objects join made, deleted with the last pool. */
  clusterObjects: ClusterObjectsOutcome;
  failed: { name: string; error: string }[];
}
