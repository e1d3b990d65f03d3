import type * as k8s from '@kubernetes/client-node';
import type { ClusterFacts } from '../cluster/discovery.js';
import type { NodeReport } from './node-report.js';
import type { KubeletConfig, KubeletDocument, KubeletSummary } from './kubelet-proxy.js';

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
  facts: Pick<ClusterFacts, 'cni'> & Partial<Pick<ClusterFacts, 'name' | 'endpoint' | 'clusterDomain'>>;
  /** The Windows nodes selected by --node/--pool. */
  windowsNodes: k8s.V1Node[];
  pods: k8s.V1Pod[];
  events: k8s.CoreV1Event[];
  dnsSlices: k8s.V1EndpointSlice[];
  /** Services of every namespace (load-balancer policies on the node are checked against them). */
  services?: k8s.V1Service[];
  /** What the on-node script reported, per node name (absent when node checks are not run). */
  nodeReports?: Map<string, NodeReportEntry>;
  /** Every node, Linux ones included (probes pick their Linux peer among them). */
  allNodes?: k8s.V1Node[];
  /** The API server's proxy to each selected node's kubelet (port 10250): ok, or the error. */
  kubelet?: Map<string, { ok: true; via?: string } | { ok: false; error: string }>;
  /** Each selected node's kubelet configuration (/configz through the node proxy), or why not. */
  kubeletConfig?: Map<string, KubeletDocument<KubeletConfig>>;
  /** Each selected node's kubelet stats summary (/stats/summary through the node proxy), or why not. */
  kubeletStats?: Map<string, KubeletDocument<KubeletSummary>>;
  /** In-cluster probe results (absent with --skip-probes). */
  probes?: ProbeReport;
}

/** What the in-cluster probes found (probes.ts runs them; probe-checks.ts judges them). */
export type ProbeKind = 'dns-udp' | 'dns-tcp' | 'egress' | 'pods' | 'from-linux' | 'services' | 'nodeport' | 'localhost' | 'udp' | 'mtu';

export interface Attempt {
  ok: boolean;
  label: string;
  detail: string;
}

export type ProbeOutcome =
  | { skipped: string }
  | { notStarted: string }
  | {
      exitCode: number;
      attempts: Attempt[];
      log: string;
      /** The labels the probe was given: one that printed nothing means the script stopped. */
      expected: string[];
      repeat: number;
      /** Set when the pod was still running at --probe-timeout: the attempts are the partial log. */
      timedOut?: string;
    };

export interface NodeProbes {
  /** Why the node's server pod did not become ready, if it did not (nothing else can run then). */
  serverNotStarted?: string;
  outcomes: Map<ProbeKind, ProbeOutcome>;
}

export interface ProbeReport {
  nodes: Map<string, NodeProbes>;
  /** Facts the probes used, shown as evidence. */
  dnsServiceIp?: string | undefined;
  corednsPodIp?: string | undefined;
  linuxNode?: string | undefined;
  externalTarget?: string | undefined;
  /** Set when the probes could not be set up at all (e.g. pods or Services refused). */
  setupError?: string;
}

/** Data that costs more than the snapshot's lists: gathered only when a selected check needs it. */
export type CheckNeed = 'kubelet' | 'kubeletConfig' | 'kubeletStats' | 'probes' | 'nodeReports';

/**
 * The on-node script's result for one node: its parsed report, or why there is none (the
 * checks that need it are skipped with `skipped`, or fail with `error`).
 */
export type NodeReportEntry = { report: NodeReport } | { skipped: string } | { error: string };

/**
 * What a run of checks reads. Node-scoped checks run once per node listed here; a kind of
 * facts that has no nodes (preflight, before any node exists) gives an empty list.
 */
export interface CheckFacts {
  windowsNodes: readonly k8s.V1Node[];
}

/**
 * One check, of diagnose (over a Snapshot) or of the join preflight (over its own facts):
 * a pure function of facts gathered beforehand, run by runner.ts.
 */
export interface CheckDefinition<F extends CheckFacts = Snapshot> {
  id: string;
  category: string;
  scope: CheckScope;
  title: string;
  dependsOn: string[];
  /** When it fails, its dependents are skipped (for the same node, or everywhere if cluster-scoped). */
  fatal: boolean;
  docs: string;
  needs?: CheckNeed[];
  /**
   * False when the check does not concern these facts at all (flannel's settings on a Calico
   * cluster): it is left out of the results, not reported as skipped.
   */
  appliesTo?(facts: F): boolean;
  run(facts: F, node: k8s.V1Node | undefined): CheckOutcome;
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
