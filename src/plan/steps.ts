// No runtime imports here: the plan's renderer, loaded for every `--help`, imports this file.

/**
 * What join (or provision) will do, in order, as data: `plan`, `--dry-run` and `-o json` show
 * it before anything happens (as eksctl prints its task tree), and join reports progress
 * against the same ids. A step's children are its per-node parts.
 */
export interface PlanStep {
  /** Stable id (`vms`, `vms/win-abcde`): progress events and results refer to it. */
  id: string;
  /** What the step does, in words, for people. */
  describe: string;
  children?: PlanStep[];
}

export interface StepInput {
  mode: 'join' | 'provision';
  cloud: string | null;
  cluster: string;
  pool: string;
  nodes: string[];
  windowsVersion: string;
  cni: string;
  hypervIsolation: boolean;
  /** The taint --taint-windows puts on the nodes (kubectl syntax), when asked. */
  windowsTaint?: string | undefined;
  tokenTtlSeconds: number;
}

/** The steps of one join or provision run; pure, so a test reads the plan with no network at all. */
export function joinSteps(i: StepInput): PlanStep[] {
  const where = i.cloud ?? 'the cloud';
  const steps: PlanStep[] = [
    { id: 'firewall', describe: `ensure the pool's firewall on ${where} (node ports from the network only)` },
  ];
  if (i.mode === 'join') steps.push({ id: 'token', describe: `create a bootstrap token for pool ${i.pool} (expires after ${formatSeconds(i.tokenTtlSeconds)})` });
  steps.push({
    id: 'vms',
    describe: `create ${i.nodes.length} Windows Server ${i.windowsVersion} VM(s) with the bootstrap`,
    children: i.nodes.map((n) => ({ id: `vms/${n}`, describe: `create ${n}` })),
  });
  if (i.mode === 'provision') {
    steps.push({ id: 'provisioned', describe: 'wait until each bootstrap reports it is complete (no join)' });
    return steps;
  }
  steps.push(
    { id: 'ready', describe: `wait until each Node registers and is Ready`, children: i.nodes.map((n) => ({ id: `ready/${n}`, describe: `wait for ${n}` })) },
    { id: 'label', describe: `label the Nodes win-k8s.io/pool=${i.pool}${i.windowsTaint ? ` and taint them ${i.windowsTaint}` : ''}` },
    { id: 'runtimeclasses', describe: `ensure RuntimeClass windows-${i.windowsVersion}${i.hypervIsolation ? ' and windows-hyperv' : ''}` },
  );
  if (i.cni === 'flannel') steps.push({ id: 'rbac', describe: 'apply the RBAC kube-proxy and flannel on Windows nodes need' });
  if (i.cni === 'calico') steps.push({ id: 'calico', describe: 'apply kube-proxy for Windows (Calico)' });
  steps.push({ id: 'delete-token', describe: 'delete the bootstrap token (always, also on failure or Ctrl-C)' });
  return steps;
}

/** The tree as lines, indented by depth: `1. ...`, `   - ...`. */
export function describeSteps(steps: PlanStep[]): string[] {
  return steps.flatMap((s, n) => [`${n + 1}. ${s.describe}`, ...(s.children ?? []).map((c) => `   - ${c.describe}`)]);
}

function formatSeconds(s: number): string {
  if (s % 3600 === 0) return `${s / 3600}h`;
  if (s % 60 === 0) return `${s / 60}m`;
  return `${s}s`;
}
