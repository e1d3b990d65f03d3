/**
 * Where the control plane runs, from a node's spec.providerID. The cloud providers use it to
 * place new VMs next to the cluster.
 *   aws:///us-east-1a/i-0123...
 *   azure:///subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Compute/virtualMachines/<vm>
 *     (or .../virtualMachineScaleSets/<vmss>/virtualMachines/<n>)
 *   gce://<project>/<zone>/<instance>
 */
export type Placement =
  | { cloud: 'aws'; providerId: string; zone: string; region: string; instanceId: string }
  | { cloud: 'azure'; providerId: string; subscription: string; resourceGroup: string; vmName: string; scaleSet?: string }
  | { cloud: 'gcp'; providerId: string; project: string; zone: string; region: string; instance: string };

export function parseProviderId(providerId: string): Placement | undefined {
  let m = /^aws:\/\/\/([a-z0-9-]+)\/(i-[0-9a-f]+)$/.exec(providerId);
  if (m) {
    const zone = m[1]!;
    // Local Zones and Wavelength zones add suffixes; the region is the part before the AZ letter.
    const region = /^([a-z]{2}(?:-gov)?-[a-z]+-\d+)/.exec(zone)?.[1] ?? zone.replace(/[a-z]$/, '');
    return { cloud: 'aws', providerId, zone, region, instanceId: m[2]! };
  }
  m = /^azure:\/\/\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/(?:virtualMachineScaleSets\/([^/]+)\/virtualMachines\/([^/]+)|virtualMachines\/([^/]+))$/i.exec(providerId);
  if (m) {
    return m[3]
      ? { cloud: 'azure', providerId, subscription: m[1]!, resourceGroup: m[2]!, scaleSet: m[3], vmName: m[4]! }
      : { cloud: 'azure', providerId, subscription: m[1]!, resourceGroup: m[2]!, vmName: m[5]! };
  }
  m = /^gce:\/\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(providerId);
  if (m) {
    const zone = m[2]!;
    return { cloud: 'gcp', providerId, project: m[1]!, zone, region: zone.replace(/-[a-z]$/, ''), instance: m[3]! };
  }
  return undefined;
}
