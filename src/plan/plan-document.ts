import type { WindowsVersion } from '../compat/windows.js';
import type { PlanStep } from './steps.js';
import type { ConfigFileInput } from '../config/schema.js';

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
  /** Everything the nodes are built from: join renders the bootstrap from this, not from options. */
  target: {
    cloud: string | null;
    region: string | null;
    windowsVersion: WindowsVersion;
    runtime: 'containerd' | 'docker';
    kubernetesVersion: string;
    containerdVersion: string | null;
    dockerVersion: string | null;
    hypervIsolation: boolean;
    image: string | null;
    cni: 'flannel' | 'calico' | 'none';
    pool: string;
    count: number;
  };
  /**
   * What the cloud said (plan and --dry-run ask it, reading only): where the nodes would go and
   * the image they would run. Null when the cloud was not asked or could not place them.
   */
  cloud: {
    region: string;
    zone: string | null;
    network: string;
    subnet: string;
    networkCidr: string;
    image: { id: string; name: string } | null;
  } | null;
  nodes: { name: string }[];
  checks: { id: string; status: string; message: string; hint: string | null }[];
  joinable: boolean;
  /** What join will do, in order (see steps.ts). */
  steps: PlanStep[];
  /** The resolved configuration as win-k8s.yaml takes it back with -c (config-document.ts). */
  config: ConfigFileInput;
}
