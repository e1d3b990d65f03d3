import type { WizardChoices } from '../provider.js';
import { nestedVirtualizationProblem } from './nested.js';
import type { GceContext, Scope } from './operations.js';
import { DEFAULT_MACHINE_TYPE } from './placement.js';

/** Subnetworks of the zone's region (the cluster's network first) and general-purpose machine types of the zone. */
export async function wizardChoices(ctx: GceContext, s: Scope, clusterNetwork: string | undefined, nestedVirtualization: boolean | undefined): Promise<WizardChoices> {
  const [subnets] = await ctx.call('compute.subnetworks.list', (c) => c.subnetworks.list({ project: s.project, region: s.region }, { autoPaginate: true }));
  const [types] = await ctx.call('compute.machineTypes.list', (c) => c.machineTypes.list({ project: s.project, zone: s.zone }, { autoPaginate: true }));
  const rank = (network: string) => (network === clusterNetwork ? 0 : 1);
  return {
    subnets: subnets
      .filter((n) => n.selfLink && n.ipCidrRange && n.network)
      .map((n) => ({ id: n.selfLink!, cidr: n.ipCidrRange!, zone: s.zone, network: n.network! }))
      .sort((a, b) => rank(a.network) - rank(b.network) || a.id.localeCompare(b.id)),
    // Windows nodes need at least 2 vCPUs and 8 GB; shared-core and special-purpose types are left out.
    instanceTypes: types
      .filter((t) => /^(n2|n2d|n4|e2|c3|c3d|t2d)-(standard|highmem)-\d+$/.test(t.name ?? '') && (t.guestCpus ?? 0) >= 2 && (t.memoryMb ?? 0) >= 8192)
      // With --hyperv-isolation only what resolvePlacement would accept.
      .filter((t) => !nestedVirtualization || nestedVirtualizationProblem(t.name ?? '') === undefined)
      .sort((a, b) => Number(b.name === DEFAULT_MACHINE_TYPE) - Number(a.name === DEFAULT_MACHINE_TYPE) || (a.guestCpus ?? 0) - (b.guestCpus ?? 0) || (a.name ?? '').localeCompare(b.name ?? ''))
      .map((t) => t.name!),
  };
}
