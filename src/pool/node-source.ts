import type { CloudProvider, FirewallResult, PoolRef, ResolvedImage, ResolvedPlacement, VmResult } from '../cloud/provider.js';
import type { WindowsVersion } from '../compat/windows.js';
import type { NodeSourceKind } from '../plan/plan.js';
import type { Bootstrapper } from './bootstrapper.js';

/**
 * Where a pool's new nodes come from. Two kinds:
 * - a VM plus a bootstrapper: the executor creates VMs that run a first-boot script which
 *   joins them (kubeadm's token join today; the EKS-optimized AMI's bootstrap script later);
 * - a managed pool: one provider call makes the cloud create N nodes that join by themselves
 *   (EKS managed node groups, AKS and GKE Windows node pools).
 * The executor (runJoin) takes a NodeSource as a dependency, so a test or a future caller
 * (an upgrade's surge) hands it another one.
 */
export type NodeSource = VmBootstrapSource | ManagedPoolSource;

/** What the VM source is asked for: the names are chosen and the pool's firewall is ensured. */
export interface CreateNodesRequest {
  ref: PoolRef;
  names: string[];
  placement: ResolvedPlacement;
  image: ResolvedImage;
  firewall: FirewallResult;
  /** The run's bootstrap token, when `needsToken`. */
  token: string | undefined;
  concurrency: number;
  signal: AbortSignal;
}

export interface VmBootstrapSource {
  readonly kind: 'vm-bootstrapper';
  /** The executor creates a bootstrap token for the run (and deletes it afterwards). */
  readonly needsToken: boolean;
  /** Creates one VM per name with its bootstrap; one VM's failure is in its VmResult, not thrown. */
  createNodes(req: CreateNodesRequest): Promise<VmResult[]>;
}

export interface ManagedPoolRequest {
  ref: PoolRef;
  count: number;
  windowsVersion: WindowsVersion;
  kubernetesVersion: string;
  signal: AbortSignal;
}

export interface ManagedPoolResult {
  /** The cloud's id of the node pool. */
  poolId: string;
  /** The Node names the cloud gave the pool's nodes, once known. */
  nodeNames: string[];
}

/**
 * A node pool the cloud creates and joins itself. No implementation exists yet: the plan
 * refuses this kind (buildPlan), and so does the executor, before anything is created.
 */
export interface ManagedPoolSource {
  readonly kind: 'managed-pool';
  /** Creates the pool, or grows it, to `count` nodes. */
  ensurePool(req: ManagedPoolRequest): Promise<ManagedPoolResult>;
}

// The plan names the kinds without importing the pool layer; the two lists must be the same.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const kindsAgree: Same<NodeSource['kind'], NodeSourceKind> = true;
void kindsAgree;

/** What join does today: the provider creates the VMs, each running the bootstrapper's script. */
export function vmBootstrapSource(provider: Pick<CloudProvider, 'createVms'>, bootstrapper: Bootstrapper): VmBootstrapSource {
  return {
    kind: 'vm-bootstrapper',
    needsToken: bootstrapper.needsToken,
    createNodes: ({ ref, names, placement, image, firewall, token, concurrency, signal }) =>
      provider.createVms({ ref, placement, image, firewall, vms: names.map((nodeName) => ({ nodeName, script: bootstrapper.script(nodeName, token) })), concurrency, signal }),
  };
}
