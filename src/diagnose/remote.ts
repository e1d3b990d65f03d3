import type * as k8s from '@kubernetes/client-node';
import type { CloudProvider, ManagedVm } from '../cloud/provider.js';
import { parseProviderId } from '../cluster/provider-id.js';
import { POOL_LABEL } from '../cluster/nodes.js';
import { runtimeOf, type RemoteRunner } from './node-exec.js';

/**
 * The cloud run-command path for nodes that cannot run HostProcess pods (Docker). Used only on
 * VMs win-k8s created — found by the same tags `list` and `remove` use — because running a
 * script through a cloud agent on somebody else's VM is not diagnose's call to make.
 */
export interface RemoteDeps {
  clusterName: string;
  loadProvider: (cloud: 'aws' | 'azure' | 'gcp', providerId: string) => Promise<CloudProvider>;
  signal?: AbortSignal | undefined;
}

export function remoteRunners(deps: RemoteDeps): (node: k8s.V1Node) => Promise<RemoteRunner> {
  const providers = new Map<string, Promise<CloudProvider>>();
  const vms = new Map<string, Promise<ManagedVm[]>>();
  return async (node) => {
    const name = node.metadata?.name ?? '';
    const runtime = runtimeOf(node);
    const why = `a ${runtime} node cannot run HostProcess pods (they need containerd)`;
    const pool = node.metadata?.labels?.[POOL_LABEL];
    if (!pool) return { skip: `${why}, and the cloud run-command is used only on VMs win-k8s created (no ${POOL_LABEL} label)` };
    const placement = parseProviderId(node.spec?.providerID ?? '');
    if (!placement) return { skip: `${why}, and the node has no providerID to find its VM by` };
    if (placement.cloud === 'gcp') return { skip: `${why}, and Compute Engine has no run-command agent win-k8s can use` };
    let provider: CloudProvider;
    let list: ManagedVm[];
    try {
      const key = placement.cloud;
      if (!providers.has(key)) providers.set(key, deps.loadProvider(placement.cloud, node.spec!.providerID!));
      provider = await providers.get(key)!;
      if (!provider.runPowerShell) return { skip: `${why}, and ${placement.cloud} offers no run-command here` };
      const vmKey = `${placement.cloud}/${pool}`;
      if (!vms.has(vmKey)) vms.set(vmKey, provider.listVms({ cluster: deps.clusterName, pool }));
      list = await vms.get(vmKey)!;
    } catch (err) {
      return { skip: `${why}, and the ${placement.cloud} API could not be used: ${err instanceof Error ? err.message : String(err)}` };
    }
    const vm = list.find((v) => v.nodeName === name);
    if (!vm) return { skip: `${why}, and no VM tagged for node ${name} in pool ${pool} of cluster ${deps.clusterName}` };
    const run = provider.runPowerShell!.bind(provider);
    return { run: (script, timeoutMs) => run(vm.instanceId, script, { timeoutMs, signal: deps.signal }) };
  };
}
