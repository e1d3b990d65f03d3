import type * as k8s from '@kubernetes/client-node';
import type { ClusterFacts } from '../cluster/discovery.js';

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';
export type CheckScope = 'cluster' | 'node';

export interface CheckOutcome {
  status: CheckStatus;
  message: string;
  hint?: string;
  evidence?: string[];
}

/** Everything the checks read, fetched once per round so checks are pure functions of it. */
export interface Snapshot {
  serverVersion: string;
  facts: Pick<ClusterFacts, 'cni'>;
  /** The Windows nodes selected by --node/--pool. */
  windowsNodes: k8s.V1Node[];
  pods: k8s.V1Pod[];
  events: k8s.CoreV1Event[];
  dnsSlices: k8s.V1EndpointSlice[];
}

export interface CheckDefinition {
  id: string;
  category: string;
  scope: CheckScope;
  title: string;
  dependsOn: string[];
  /** When it fails, its dependents are skipped (for the same node, or everywhere if cluster-scoped). */
  fatal: boolean;
  docs: string;
  run(snap: Snapshot, node: k8s.V1Node | undefined): CheckOutcome;
}

export interface CheckResult extends CheckOutcome {
  id: string;
  category: string;
  node?: string;
  title: string;
  docs?: string;
}

export interface DiagnoseDocument {
  summary: { pass: number; warn: number; fail: number; skip: number };
  checks: CheckResult[];
}
