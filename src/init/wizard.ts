import { stringify } from 'yaml';
import type { ClusterFacts } from '../cluster/discovery.js';
import { checkPoolName } from '../config/validators.js';
import { ConfigFile } from '../config/schema.js';
import type { WizardChoices } from '../cloud/provider.js';
import { DEFAULT_WINDOWS_VERSION, WINDOWS_RELEASES, WINDOWS_VERSIONS, type WindowsVersion } from '../compat/windows.js';
import { evaluate, refusedFindings } from '../compat/matrix.js';
import { defaultContainerdVersion } from '../compat/runtime.js';

/** Every question init asks goes through this, so tests can answer without a terminal. */
export interface Prompter {
  select<T extends string>(message: string, choices: { value: T; name?: string }[], defaultValue?: T): Promise<T>;
  input(message: string, defaultValue: string, validate?: (v: string) => string | true): Promise<string>;
}

const INSTANCE_TYPES: Record<'aws' | 'azure' | 'gcp', string[]> = {
  aws: ['m5.large', 'm5.xlarge', 'm6i.large', 'm6i.xlarge', 'c6i.xlarge', 'r6i.large'],
  azure: ['Standard_D4s_v5', 'Standard_D2s_v5', 'Standard_D8s_v5', 'Standard_E4s_v5'],
  gcp: ['n2-standard-4', 'n2-standard-2', 'n2-standard-8', 'e2-standard-4'],
};

export interface WizardAnswers {
  cloud: 'aws' | 'azure' | 'gcp';
  region: string;
  pool: string;
  count: number;
  windowsVersion: WindowsVersion;
  runtime: 'containerd' | 'docker';
  cni: 'flannel' | 'calico' | 'none';
  instanceType: string;
  subnetId?: string;
}

/** Reads the chosen cloud's subnets and instance types when credentials allow; undefined otherwise. */
export type ChoicesLoader = (cloud: 'aws' | 'azure' | 'gcp') => Promise<WizardChoices | undefined>;

/** Asks the questions, offering what the cluster (and cloud) told us as defaults. */
export async function askInit(p: Prompter, facts: ClusterFacts | undefined, regions: string[], loadChoices?: ChoicesLoader): Promise<WizardAnswers> {
  const placedCloud = facts?.placement?.cloud;
  const cloud = await p.select<'aws' | 'azure' | 'gcp'>(
    'Cloud for the Windows VMs',
    [
      { value: 'aws', name: 'AWS (EC2)' },
      { value: 'azure', name: 'Azure' },
      { value: 'gcp', name: 'Google Cloud' },
    ],
    placedCloud,
  );
  const placedRegion = facts?.placement && facts.placement.cloud === cloud && 'region' in facts.placement ? facts.placement.region : undefined;
  // Azure names its regions "locations"; a control plane on the same cloud supplies it when left empty.
  const example = { aws: 'us-east-1', azure: 'eastus', gcp: 'us-central1' }[cloud];
  const fromControlPlane = placedCloud === cloud;
  const label = `${cloud === 'azure' ? 'Location' : 'Region'}${fromControlPlane && !placedRegion ? " (empty: the control plane's)" : ''}`;
  const region =
    regions.length > 0
      ? await p.select(label, regions.map((r) => ({ value: r })), placedRegion)
      : await p.input(label, placedRegion ?? '', (v) => (/^[a-z0-9-]+$/.test(v) || (v === '' && fromControlPlane) ? true : `a ${cloud === 'azure' ? 'location' : 'region'} such as ${example}`));
  const pool = await p.input('Pool name (nodes are <pool>-xxxxx)', 'win', (v) => checkPoolName(v) ?? true);
  const countText = await p.input('Number of Windows nodes', '2', (v) => (/^[1-9]\d*$/.test(v) ? true : 'a whole number >= 1'));
  const versions = windowsChoices(facts?.version);
  const windowsVersion = await p.select<WindowsVersion>(
    'Windows Server version',
    versions.map((v) => ({ value: v, name: WINDOWS_RELEASES[v].label })),
    versions.includes(DEFAULT_WINDOWS_VERSION) ? DEFAULT_WINDOWS_VERSION : versions[0],
  );
  const runtime = await p.select<'containerd' | 'docker'>(
    'Container runtime',
    [
      { value: 'containerd', name: 'containerd (recommended)' },
      { value: 'docker', name: 'Docker (cri-dockerd on 1.24+; needs --checksum docker=<sha256>)' },
    ],
    'containerd',
  );
  const detected = facts?.cni.type === 'flannel' || facts?.cni.type === 'calico' ? facts.cni.type : undefined;
  const cni = await p.select<'flannel' | 'calico' | 'none'>(
    'Network plugin the cluster runs',
    [
      { value: 'flannel', name: `flannel (VXLAN)${detected === 'flannel' ? ' - detected' : ''}` },
      { value: 'calico', name: `Calico (Tigera operator)${detected === 'calico' ? ' - detected' : ''}` },
      { value: 'none', name: "none (the cluster's plugin handles Windows itself)" },
    ],
    detected ?? 'flannel',
  );
  const choices = await loadChoices?.(cloud).catch(() => undefined);
  let subnetId: string | undefined;
  if (choices && choices.subnets.length > 0) {
    const keep = '(the control plane\'s subnet)';
    const picked = await p.select('Subnet', [{ value: keep }, ...choices.subnets.map((s) => ({ value: s.id, name: `${s.id} ${s.cidr} ${s.zone} (${s.network})` }))], keep);
    if (picked !== keep) subnetId = picked;
  }
  const types = choices && choices.instanceTypes.length > 0 ? choices.instanceTypes : INSTANCE_TYPES[cloud];
  const instanceType = await p.select('Instance type', types.map((t) => ({ value: t })), types[0]);
  return { cloud, region, pool, count: Number(countText), windowsVersion, runtime, cni, instanceType, ...(subnetId ? { subnetId } : {}) };
}

/** A commented win-k8s.yaml, validated against the schema before it is returned. */
export function renderInitConfig(a: WizardAnswers, facts: ClusterFacts | undefined): string {
  const doc = {
    apiVersion: 'win-k8s.io/v1alpha1',
    kind: 'Config',
    cloud: a.cloud,
    pool: {
      name: a.pool,
      count: a.count,
      windowsVersion: a.windowsVersion,
      runtime: a.runtime,
      cni: a.cni,
      ...(a.region ? { region: a.region } : {}),
      instanceType: a.instanceType,
      ...(a.subnetId ? { subnetId: a.subnetId } : {}),
      ...(facts ? { kubernetesVersion: facts.version } : {}),
    },
  };
  const parsed = ConfigFile.safeParse(doc);
  if (!parsed.success) throw new Error(`init produced an invalid config: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return [
    '# win-k8s configuration, written by `win-k8s init`.',
    '# Its JSON Schema: `win-k8s schema`. Flags and WIN_K8S_* variables override these values.',
    '# Next: `win-k8s plan` checks the cluster; `win-k8s join --yes` creates and joins the nodes.',
    facts ? `# Cluster: ${facts.name} (${facts.flavor}), Kubernetes ${facts.version}, CNI ${facts.cni.type}.` : '# No cluster was reachable when this was written: check the values below.',
    stringify(doc).trimEnd(),
    '',
  ].join('\n');
}

/**
 * The releases init offers, newest LTSC default first: containerd-capable ones (2016 is
 * Docker-only and refused), and of those only what the cluster's Kubernetes supports with
 * the default runtime, so a newcomer cannot pick a combination plan would then refuse.
 */
export function windowsChoices(kubernetesVersion: string | undefined): WindowsVersion[] {
  const order = [...WINDOWS_VERSIONS].filter((v) => WINDOWS_RELEASES[v].containerd).sort((a, b) => (a === DEFAULT_WINDOWS_VERSION ? -1 : b === DEFAULT_WINDOWS_VERSION ? 1 : Number(b) - Number(a)));
  if (!kubernetesVersion) return order;
  const supported = order.filter(
    (v) => refusedFindings(evaluate({ windowsVersion: v, kubernetesVersion, runtime: 'containerd', cni: 'flannel', hypervIsolation: false, containerdVersion: defaultContainerdVersion(kubernetesVersion) }).findings, false).length === 0,
  );
  return supported.length > 0 ? supported : order;
}
