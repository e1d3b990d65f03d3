/** What `plan`, `join --dry-run` and `-o json` print: the cluster as read, the target, the nodes and the checks. */
export interface PlanDocument {
  cluster: {
    name: string;
    version: string;
    endpoint: string;
    caCertHash: string | null;
    flavor: string;
    cni: { type: string; vni: number | null; port: number | null };
    serviceCidr: string | null;
    podCidr: string | null;
    dnsIp: string | null;
  };
  target: { cloud: string | null; region: string | null; windowsVersion: string; runtime: string; kubernetesVersion: string; image: string | null; cni: string; pool: string; count: number };
  nodes: { name: string }[];
  checks: { id: string; status: string; message: string; hint: string | null }[];
  joinable: boolean;
}
