import { Document, isMap, isScalar } from 'yaml';
import type { ClusterFacts } from '../cluster/discovery.js';
import type { Placement } from '../cluster/provider-id.js';
import { checkPoolName, normaliseApiServer } from '../config/validators.js';
import { AzureSection, ConfigFile, GcpSection, PoolSection } from '../config/schema.js';
import { SCHEMA_FILE_NAME, fieldDescription } from '../config/json-schema.js';
import { isLoopbackEndpoint } from '../cluster/endpoint.js';
import { PARTITIONS, regionStatus } from '../cloud/aws/region.js';
import type { WizardChoices } from '../cloud/provider.js';
import { DEFAULT_WINDOWS_VERSION, WINDOWS_RELEASES, WINDOWS_VERSIONS, type WindowsVersion } from '../compat/windows.js';
import { evaluate, refusedFindings } from '../compat/matrix.js';
import { EnvironmentError } from '../errors.js';
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
  /** AWS region or Azure location; empty: the control plane's. */
  region: string;
  /** Compute Engine zone (GCP places VMs by zone); empty: the control plane's. */
  zone?: string;
  pool: string;
  count: number;
  windowsVersion: WindowsVersion;
  runtime: 'containerd' | 'docker';
  /** SHA-256 of Docker's static zip, which Docker publishes no checksum for. */
  dockerSha256?: string;
  cni: 'flannel' | 'calico' | 'none';
  instanceType: string;
  subnetId?: string;
  /** Asked only when cluster-info holds a loopback address, which new nodes cannot reach. */
  apiServer?: string;
}

/** Reads the chosen cloud's subnets and instance types when credentials allow; undefined otherwise. */
export type ChoicesLoader = (cloud: 'aws' | 'azure' | 'gcp', where: { region?: string; zone?: string; controlPlane?: Placement }) => Promise<WizardChoices | undefined>;

/** The first message of a zod check, or true: the wizard checks an answer by the rule the file is checked by. */
function bySchema(schema: { safeParse(v: unknown): { success: boolean; error?: { issues: { message: string }[] } } }, value: unknown): string | true {
  const r = schema.safeParse(value);
  return r.success ? true : r.error?.issues[0]?.message ?? 'invalid';
}

/** Regions init offers on AWS: the SDK partitions' lists, the control plane's first. */
export function awsRegionChoices(placed: string | undefined): string[] {
  const all = PARTITIONS.flatMap((p) => p.regions);
  return placed && regionStatus(placed) !== 'invalid' ? [placed, ...all.filter((r) => r !== placed)] : all;
}

/** The target the matrix judges, from what was answered so far (the rest at init's defaults). */
type Partial = { windowsVersion: WindowsVersion; runtime?: 'containerd' | 'docker'; cni?: 'flannel' | 'calico' | 'none' };

function matrixTarget(kubernetesVersion: string, t: Partial) {
  return { windowsVersion: t.windowsVersion, kubernetesVersion, runtime: t.runtime ?? 'containerd', cni: t.cni ?? 'flannel', hypervIsolation: false, containerdVersion: defaultContainerdVersion(kubernetesVersion) } as const;
}

function refused(kubernetesVersion: string | undefined, t: Partial): boolean {
  if (!kubernetesVersion) return false;
  return refusedFindings(evaluate(matrixTarget(kubernetesVersion, t)).findings, false).length > 0;
}

/** Asks the questions, offering what the cluster (and cloud) told us as defaults; each answer is checked as it is given. */
export async function askInit(p: Prompter, facts: ClusterFacts | undefined, loadChoices?: ChoicesLoader, given: { apiServer?: string } = {}): Promise<WizardAnswers> {
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
  const placement = facts?.placement?.cloud === cloud ? facts.placement : undefined;
  const fromControlPlane = placement !== undefined;
  const emptyNote = " (empty: the control plane's)";
  let region = '';
  let zone: string | undefined;
  if (cloud === 'aws') {
    // The partitions' lists are what --region is checked against; a region opened after them can be typed into the file.
    const regions = awsRegionChoices(placement && 'region' in placement ? placement.region : undefined);
    region = await p.select('Region', regions.map((r) => ({ value: r })), regions[0]);
  } else if (cloud === 'azure') {
    region = await p.input(`Location${fromControlPlane ? emptyNote : ''}`, '', (v) =>
      v === '' ? (fromControlPlane ? true : 'a location such as eastus') : bySchema(AzureSection.shape.location, v) === true ? true : `"${v}" is not an Azure location name: lowercase letters and digits, such as eastus`,
    );
  } else {
    const placedZone = placement && 'zone' in placement ? placement.zone : '';
    zone = await p.input(`Zone${fromControlPlane && !placedZone ? emptyNote : ''}`, placedZone, (v) =>
      v === '' ? (fromControlPlane ? true : 'a zone such as us-central1-a') : bySchema(GcpSection.shape.zone, v) === true ? true : `"${v}" is not a Compute Engine zone: <region>-<letter>, such as us-central1-a`,
    );
  }
  const pool = await p.input('Pool name (nodes are <pool>-xxxxx)', 'win', (v) => checkPoolName(v) ?? true);
  // The schema's own rule, so the wizard and the file agree on the limit.
  const countText = await p.input('Number of Windows nodes', '2', (v) => (/^\d+$/.test(v.trim()) ? bySchema(PoolSection.shape.count, Number(v)) : 'a whole number >= 1'));
  const k8s = facts?.version;
  const versions = offeredVersions(k8s);
  const windowsVersion = await p.select<WindowsVersion>(
    'Windows Server version',
    versions.map((v) => ({ value: v, name: WINDOWS_RELEASES[v].label })),
    versions.includes(DEFAULT_WINDOWS_VERSION) ? DEFAULT_WINDOWS_VERSION : versions[0],
  );
  const runtimes = (
    [
      { value: 'containerd', name: 'containerd (recommended)' },
      { value: 'docker', name: 'Docker (cri-dockerd on 1.24+; asks for the SHA-256 of its zip)' },
    ] as const
  ).filter((r) => !refused(k8s, { windowsVersion, runtime: r.value }));
  const runtime = await p.select<'containerd' | 'docker'>('Container runtime', [...runtimes], 'containerd');
  let dockerSha256: string | undefined;
  if (runtime === 'docker') {
    dockerSha256 = (
      await p.input('SHA-256 of the Docker static zip (Docker publishes none; win-k8s refuses an unpinned download)', '', (v) => (/^[a-fA-F0-9]{64}$/.test(v.trim()) ? true : '64 hex digits'))
    ).trim().toLowerCase();
  }
  const detected = facts?.cni.type === 'flannel' || facts?.cni.type === 'calico' ? facts.cni.type : undefined;
  const cnis = (
    [
      { value: 'flannel', name: `flannel (VXLAN)${detected === 'flannel' ? ' - detected' : ''}` },
      { value: 'calico', name: `Calico (Tigera operator)${detected === 'calico' ? ' - detected' : ''}` },
      { value: 'none', name: "none (the cluster's plugin handles Windows itself)" },
    ] as const
  ).filter((c) => !refused(k8s, { windowsVersion, runtime, cni: c.value }));
  const cni = await p.select<'flannel' | 'calico' | 'none'>('Network plugin the cluster runs', [...cnis], detected && cnis.some((c) => c.value === detected) ? detected : cnis[0]!.value);
  const choices = await loadChoices?.(cloud, { ...(region ? { region } : {}), ...(zone ? { zone } : {}), ...(facts?.placement ? { controlPlane: facts.placement } : {}) }).catch(() => undefined);
  let subnetId: string | undefined;
  if (choices && choices.subnets.length > 0) {
    const keep = '(the control plane\'s subnet)';
    const picked = await p.select('Subnet', [{ value: keep }, ...choices.subnets.map((s) => ({ value: s.id, name: `${s.id} ${s.cidr} ${s.zone} (${s.network})` }))], keep);
    if (picked !== keep) subnetId = picked;
  }
  const types = choices && choices.instanceTypes.length > 0 ? choices.instanceTypes : INSTANCE_TYPES[cloud];
  const instanceType = await p.select('Instance type', types.map((t) => ({ value: t })), types[0]);
  let apiServer: string | undefined;
  if (facts && isLoopbackEndpoint(facts.endpoint) && !given.apiServer) {
    // plan and render refuse such an endpoint: the file must name one the nodes can reach.
    apiServer = await p.input(`API server endpoint the Windows nodes join (${facts.endpointSource} says ${facts.endpoint}, a loopback address)`, '', (v) => checkJoinEndpoint(v));
    apiServer = normaliseApiServer(apiServer).value ?? apiServer;
  }
  return {
    cloud,
    region,
    ...(zone ? { zone } : {}),
    pool,
    count: Number(countText),
    windowsVersion,
    runtime,
    ...(dockerSha256 ? { dockerSha256 } : {}),
    cni,
    instanceType,
    ...(subnetId ? { subnetId } : {}),
    ...(apiServer ? { apiServer } : {}),
  };
}

/** host:port the nodes can reach: --api-server's rule, and not loopback. */
export function checkJoinEndpoint(v: string): string | true {
  if (v.trim() === '') return 'host:port of the API server as the Windows nodes reach it, e.g. 10.0.0.10:6443';
  const r = normaliseApiServer(v);
  if (r.error) return r.error;
  if (isLoopbackEndpoint(r.value!)) return `${r.value} is a loopback address: the nodes cannot reach it`;
  return true;
}

/** What `init --defaults` writes: the wizard's defaults, without asking. */
export function defaultAnswers(facts: ClusterFacts | undefined): WizardAnswers {
  const cloud = facts?.placement?.cloud ?? 'aws';
  const k8s = facts?.version;
  const versions = offeredVersions(k8s);
  const windowsVersion = versions.includes(DEFAULT_WINDOWS_VERSION) ? DEFAULT_WINDOWS_VERSION : versions[0]!;
  const detected = facts?.cni.type === 'flannel' || facts?.cni.type === 'calico' ? facts.cni.type : 'flannel';
  const cni = refused(k8s, { windowsVersion, cni: detected }) ? 'flannel' : detected;
  return {
    cloud,
    // Not written: join takes --region, then AWS_REGION, the control plane's, the profile's.
    region: '',
    pool: 'win',
    count: 2,
    windowsVersion,
    runtime: 'containerd',
    cni,
    instanceType: INSTANCE_TYPES[cloud][0]!,
  };
}

/**
 * A win-k8s.yaml with a comment above every field (its description in the JSON Schema) and a
 * first line that points YAML editors at the schema. Validated against the schema before it is
 * returned.
 */
export function renderInitConfig(a: WizardAnswers, facts: ClusterFacts | undefined, schemaRef: string | null = `./${SCHEMA_FILE_NAME}`): string {
  const doc = {
    apiVersion: 'win-k8s.io/v1alpha1',
    kind: 'Config',
    cloud: a.cloud,
    ...(a.apiServer ? { cluster: { apiServer: a.apiServer } } : {}),
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
      ...(a.dockerSha256 ? { checksums: { docker: a.dockerSha256 } } : {}),
    },
    ...(a.zone ? { gcp: { zone: a.zone } } : {}),
  };
  const parsed = ConfigFile.safeParse(doc);
  if (!parsed.success) throw new Error(`init produced an invalid config: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const yaml = new Document(doc);
  const describe = (node: unknown, path: string) => {
    if (!isMap(node)) return;
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const full = path ? `${path}.${key}` : key;
      const text = fieldDescription(full);
      if (text && isScalar(pair.key)) pair.key.commentBefore = ` ${text}`;
      describe(pair.value, full);
    }
  };
  describe(yaml.contents, '');
  return [
    // Only a schema that is really there: an editor given an address that does not answer checks nothing.
    ...(schemaRef ? [`# yaml-language-server: $schema=${schemaRef}`] : []),
    '# win-k8s configuration, written by `win-k8s init`.',
    '# Its JSON Schema: `win-k8s schema`. Flags and WIN_K8S_* variables override these values.',
    '# Next: `win-k8s plan` checks the cluster; `win-k8s join --yes` creates and joins the nodes.',
    facts ? `# Cluster: ${facts.name} (${facts.flavor}), Kubernetes ${facts.version}, CNI ${facts.cni.type}.` : '# No cluster was reachable when this was written: check the values below.',
    yaml.toString({ lineWidth: 0 }).trimEnd(),
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
  // Empty when the cluster supports none: offering them all would write a file plan refuses.
  return order.filter((v) => !refused(kubernetesVersion, { windowsVersion: v }));
}

/** The releases to offer, or why there are none (the matrix's reason for the default release). */
function offeredVersions(kubernetesVersion: string | undefined): WindowsVersion[] {
  const versions = windowsChoices(kubernetesVersion);
  if (versions.length > 0) return versions;
  const why = refusedFindings(evaluate(matrixTarget(kubernetesVersion!, { windowsVersion: DEFAULT_WINDOWS_VERSION })).findings, false)[0];
  throw new EnvironmentError(`the cluster runs Kubernetes ${kubernetesVersion}, which no Windows Server release win-k8s joins supports${why ? `: ${why.message}` : ''}`, {
    hint: why?.instead ? `instead: ${why.instead}` : 'upgrade the cluster',
  });
}
