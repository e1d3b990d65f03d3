import { array, boolean, literal, number, object, preprocess, string, type ZodType, type infer as zInfer } from 'zod';
import { psTable, type PsTable } from '../bootstrap/powershell.js';
import { readTemplate, TEMPLATES_DIR } from '../bootstrap/templates.js';
import type { CniType, FlannelFacts } from '../cluster/discovery.js';

/**
 * The on-node report printed by templates/diagnose/node-checks.ps1, and the parser that finds
 * it in a pod log or a run-command output. The script runs in Windows PowerShell 5.1, whose
 * ConvertTo-Json has quirks the schema undoes before it validates: arrays of one element may
 * arrive as the element, arrays may arrive wrapped as {"value": [...], "Count": n}, enums as
 * numbers, and objects nested deeper than -Depth as their ToString() text.
 */

export const NODE_REPORT_BEGIN = 'WIN-K8S-NODE-REPORT-BEGIN';
export const NODE_REPORT_END = 'WIN-K8S-NODE-REPORT-END';
export const NODE_REPORT_SCHEMA_VERSION = 1;
const SCRIPT = 'diagnose/node-checks.ps1';

function toArray(v: unknown): unknown {
  if (v === undefined) return undefined;
  if (v === null || v === '') return [];
  if (Array.isArray(v)) return v;
  if (typeof v === 'object') {
    const keys = Object.keys(v as object);
    const value = (v as Record<string, unknown>)['value'];
    if (keys.length === 2 && keys.includes('Count') && Array.isArray(value)) return value;
  }
  return [v];
}

/** A list that PowerShell may have collapsed to its only element, or wrapped. */
const list = <T extends ZodType>(item: T) => preprocess(toArray, array(item));
const optList = <T extends ZodType>(item: T) => preprocess(toArray, array(item).optional());

/** Enum values arrive as their numeric value when the script forgets .ToString(). */
const psEnum = (names: Record<number, string>) => preprocess((v) => (typeof v === 'number' ? (names[v] ?? String(v)) : v), string().nullish());

const SERVICE_STATUS: Record<number, string> = { 1: 'Stopped', 2: 'StartPending', 3: 'StopPending', 4: 'Running', 5: 'ContinuePending', 6: 'PausePending', 7: 'Paused' };
const START_TYPE: Record<number, string> = { 0: 'Boot', 1: 'System', 2: 'Automatic', 3: 'Manual', 4: 'Disabled' };

/** ConvertTo-Json writes DateTime as "\/Date(ms)\/". */
const psDate = preprocess((v) => {
  const m = typeof v === 'string' ? /^\/Date\((-?\d+)(?:[+-]\d{4})?\)\/$/.exec(v) : null;
  return m ? new Date(Number(m[1])).toISOString() : v;
}, string());

const str = string().nullish();
const num = number().nullish();
const bool = boolean().nullish();
const err = { error: str };

const HttpResult = object({ url: str, statusCode: num, body: str, ...err });

const OsSection = object({ productName: str, editionId: str, installationType: str, build: num, ubr: num, displayVersion: str, ...err });

const ServicesSection = object({
  items: optList(object({ name: string(), present: boolean(), status: psEnum(SERVICE_STATUS), startType: psEnum(START_TYPE) })),
  processes: optList(object({ name: string(), running: number() })),
  ...err,
});

const HealthSection = object({ kubelet: HttpResult.optional(), kubeProxy: HttpResult.optional(), ...err });

const HnsNetwork = object({
  id: str,
  name: string(),
  type: str,
  managementIp: str,
  subnets: optList(object({ addressPrefix: str, gatewayAddress: str })),
});
const HnsEndpoint = object({ id: str, name: str, ipAddress: str, state: num, virtualNetworkName: str, isRemote: bool });
const HnsLoadBalancer = object({
  id: str,
  state: num,
  vips: list(string()),
  /** IANA protocol number (6 TCP, 17 UDP); the HNS v1 API reports numbers. */
  protocol: preprocess((v) => (v === 'TCP' ? 6 : v === 'UDP' ? 17 : v), number()),
  internalPort: number(),
  externalPort: number(),
  isDsr: bool,
  localRoutedVip: bool,
  backends: number(),
});
const HnsSection = object({
  source: str,
  networks: optList(HnsNetwork),
  endpoints: optList(HnsEndpoint),
  loadBalancers: optList(HnsLoadBalancer),
  networksError: str,
  endpointsError: str,
  loadBalancersError: str,
  ...err,
});

const EphemeralPortsSection = object({ protocol: str, start: num, count: num, inUse: num, excluded: num, ...err });

const FirewallSection = object({
  profiles: optList(object({ name: string(), enabled: boolean() })),
  ports: optList(object({ port: number(), protocol: string(), allowRules: list(string()), blockRules: list(string()) })),
  ...err,
});

const DefenderSection = object({ present: bool, realTimeProtection: bool, exclusionPath: optList(string()), exclusionProcess: optList(string()), ...err });

const DiskSection = object({ drive: str, freeBytes: num, sizeBytes: num, ...err });

const ClockSection = object({ method: str, reference: str, skewSeconds: num, uncertaintySeconds: num, unsynchronised: bool, ...err });

const ContainerdSection = object({ configPath: str, configFound: bool, sandboxImage: str, version: str, ...err });

/**
 * The runtime through CRI (crictl against the kubelet's endpoint). `skipped`: no crictl on the
 * node; `unreachable`: crictl's error when the endpoint did not answer. The script shortens
 * container ids to 13 characters and image ids to 12, as crictl's tables do.
 */
const RuntimeSection = object({
  crictlPath: str,
  endpoint: str,
  /** parameter, kubelet (its command line or config), environment (CONTAINER_RUNTIME_ENDPOINT) or inferred. */
  endpointSource: str,
  skipped: str,
  unreachable: str,
  version: object({ version: str, runtimeName: str, runtimeVersion: str, runtimeApiVersion: str }).nullish(),
  conditions: optList(object({ type: string(), status: boolean(), reason: str, message: str })),
  lastCniLoadStatus: str,
  /** containerd 1.x's sandbox image, from crictl info (2.x does not show it there). */
  sandboxImage: str,
  cniConfDir: str,
  statusError: str,
  sandboxes: object({
    total: number(),
    ready: number(),
    notReady: list(object({ id: str, name: str, namespace: str, attempt: num, podHasReadySandbox: bool })),
  }).nullish(),
  sandboxesError: str,
  containers: object({
    total: number(),
    running: num,
    exited: num,
    unknown: num,
    created: num,
    /** Containers not running, and running ones that restarted. */
    notable: list(
      object({ id: str, name: str, podName: str, podNamespace: str, state: str, restartCount: num, exitCode: num, reason: str, message: str, finishedAt: psDate.nullish(), image: str }),
    ),
  }).nullish(),
  containersError: str,
  inspectError: str,
  images: optList(
    object({
      id: str,
      tags: list(string()),
      sizeBytes: num,
      pinned: bool,
      /** How far the image's containers got: created, unknown, exited or running (null: none uses it). */
      usedBy: str,
      os: str,
      osVersion: str,
    }),
  ),
  imagesError: str,
  inspectImagesError: str,
  /** The runtime's image filesystem and the volume holding it. */
  imageFs: object({ mountpoint: str, usedBytes: num, drive: str, freeBytes: num, sizeBytes: num }).nullish(),
  imageFsError: str,
  ...err,
});

const LogsSection = object({
  tailLines: num,
  files: optList(object({ source: string(), path: string(), lines: number(), error: str })),
  matches: optList(object({ source: string(), signature: string(), count: number(), lines: list(string()) })),
  ...err,
});

export const NodeReportSchema = object({
  schemaVersion: literal(NODE_REPORT_SCHEMA_VERSION),
  generatedAt: psDate.nullish(),
  hostname: str,
  parameters: object({ networkName: str, networkType: str, dnsServiceIp: str, podCidr: str, apiServerUrl: str }).nullish(),
  os: OsSection.optional(),
  services: ServicesSection.optional(),
  health: HealthSection.optional(),
  hns: HnsSection.optional(),
  ephemeralPorts: EphemeralPortsSection.optional(),
  firewall: FirewallSection.optional(),
  defender: DefenderSection.optional(),
  disk: DiskSection.optional(),
  clock: ClockSection.optional(),
  containerd: ContainerdSection.optional(),
  runtime: RuntimeSection.optional(),
  logs: LogsSection.optional(),
});

export type NodeReport = zInfer<typeof NodeReportSchema>;
export type HnsNetworkReport = zInfer<typeof HnsNetwork>;
export type HnsEndpointReport = zInfer<typeof HnsEndpoint>;
export type HnsLoadBalancerReport = zInfer<typeof HnsLoadBalancer>;
export type RuntimeReport = zInfer<typeof RuntimeSection>;

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur = root;
  for (const key of path) {
    // A list PowerShell collapsed to its only element: element 0 is the value itself.
    if (cur !== null && typeof cur !== 'object' && String(key) === '0') continue;
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

function describeIssue(doc: unknown, issue: { path: readonly PropertyKey[]; message: string }): string {
  const where = issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
  const got = valueAt(doc, issue.path);
  // Past -Depth, ConvertTo-Json writes an object's type name or @{...} text instead of it.
  if (typeof got === 'string' && /^(System\.[\w.`[\]]+|@\{.*\})$/.test(got)) {
    return `invalid field ${where}: ${JSON.stringify(got.slice(0, 60))} is PowerShell's text for an object, cut off by ConvertTo-Json's -Depth limit`;
  }
  return `invalid field ${where}: ${issue.message}`;
}

function tailOf(text: string, n = 200): string {
  const t = text.trim();
  return t.length > n ? `...${t.slice(-n)}` : t;
}

function parseJson(body: string): { value: unknown } | { error: string } {
  try {
    return { value: JSON.parse(body) as unknown };
  } catch (first) {
    // A transport that wraps long lines puts newlines inside the one-line JSON.
    const joined = body.split('\n').map((l) => l.trim()).join('');
    try {
      return { value: JSON.parse(joined) as unknown };
    } catch {
      const message = first instanceof Error ? first.message : String(first);
      if (!body.endsWith('}') || /end of (JSON )?input|Unterminated/i.test(message)) {
        return { error: `report truncated: its JSON stops early (${body.length} characters received)` };
      }
      return { error: `the report is not valid JSON: ${message}` };
    }
  }
}

/**
 * Finds the last complete report between the marker lines in `log` (a pod log or a cloud
 * run-command output, with whatever else the transport printed around it) and validates it.
 */
export function extractNodeReport(log: string): { report: NodeReport } | { error: string } {
  const text = log.replace(/\uFEFF/g, '').replace(/\r\n?/g, '\n');
  const begin = text.lastIndexOf(NODE_REPORT_BEGIN);
  if (begin < 0) {
    if (text.includes(NODE_REPORT_END)) return { error: `report truncated: ${NODE_REPORT_END} without ${NODE_REPORT_BEGIN}` };
    const said = tailOf(text);
    return { error: `no report in the output (no ${NODE_REPORT_BEGIN} line)${said ? `; the output ends with: ${said}` : '; the output is empty'}` };
  }
  const lineEnd = text.indexOf('\n', begin);
  const bodyStart = lineEnd < 0 ? text.length : lineEnd + 1;
  const end = text.indexOf(NODE_REPORT_END, bodyStart);
  if (end < 0) {
    return { error: `report truncated: the output ends before ${NODE_REPORT_END} (${text.length - bodyStart} characters after ${NODE_REPORT_BEGIN})` };
  }
  // What a transport put before the markers on their lines (kubectl --timestamps) is not JSON.
  const endLine = text.lastIndexOf('\n', end) + 1;
  const raw0 = text.slice(bodyStart, endLine > bodyStart ? endLine : end);
  const open = raw0.indexOf('{');
  if (open < 0) return { error: 'the report between the markers is empty or not a JSON object' };
  const parsed = parseJson(raw0.slice(open).trimEnd());
  if ('error' in parsed) return parsed;
  const doc = parsed.value;
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return { error: 'the report is not a JSON object' };
  const raw = doc as Record<string, unknown>;
  if (typeof raw['error'] === 'string' && raw['os'] === undefined) return { error: `the node script failed: ${raw['error']}` };
  if (typeof raw['schemaVersion'] === 'number' && raw['schemaVersion'] !== NODE_REPORT_SCHEMA_VERSION) {
    return { error: `the report has schema version ${raw['schemaVersion']}, this win-k8s reads version ${NODE_REPORT_SCHEMA_VERSION}: run the script this win-k8s ships` };
  }
  const result = NodeReportSchema.safeParse(doc);
  if (!result.success) {
    const issues = result.error.issues.slice(0, 3).map((i) => describeIssue(doc, i));
    const more = result.error.issues.length > 3 ? ` (and ${result.error.issues.length - 3} more)` : '';
    return { error: `${issues.join('; ')}${more}` };
  }
  return { report: result.data };
}

/** Where the script lives, both from src/ under tsx and from the bundle in dist/. */
export function nodeChecksScriptPath(): string {
  return `${TEMPLATES_DIR}${SCRIPT}`;
}

export interface NodeChecksParams {
  /** The HNS network the CNI creates (see expectedHnsNetwork). */
  networkName?: string;
  networkType?: 'Overlay' | 'L2Bridge';
  dnsServiceIp?: string;
  podCidr?: string;
  /** When set, the clock is measured against this server's Date header; otherwise with w32tm. */
  apiServerUrl?: string;
  /** The CRI endpoint crictl asks; unset: the one the kubelet uses (its command line or config). */
  criEndpoint?: string;
  /** How long one crictl command may take, in seconds. */
  crictlTimeoutSeconds?: number;
  logTailLines?: number;
  maxLinesPerSignature?: number;
}

/** The HNS network a CNI creates on a Windows node: a name, or, when only its form is known, a pattern. */
export interface ExpectedHnsNetwork {
  /** The exact name, or the form shown to people when only `pattern` is known (`flannel.<VNI>`). */
  name: string;
  /** Set when the exact name is unknown: any network whose name matches is the CNI's. */
  pattern?: RegExp;
  type?: 'Overlay' | 'L2Bridge';
}

/** flannel on Windows without a VNI in its net-conf uses 4096 (pkg/backend/vxlan/vxlan_windows.go defaultVNI), not Linux's 1. */
const FLANNEL_WINDOWS_DEFAULT_VNI = 4096;

/**
 * The HNS network each CNI creates on a Windows node; undefined when the CNI is unknown.
 * flannel names it from its net-conf's Backend (pkg/backend/vxlan/vxlan_windows.go,
 * hostgw/hostgw_windows.go): Backend.Name when set (old Microsoft guides set "vxlan0", which
 * is why that name still exists in the wild), else "flannel.<VNI>" for vxlan and "cbr0" for
 * host-gw. Without a readable net-conf the VNI is unknown, and any "flannel.<digits>" is
 * accepted rather than guessing one.
 */
export function expectedHnsNetwork(cni: { type: CniType; flannel?: FlannelFacts }): ExpectedHnsNetwork | undefined {
  if (cni.type === 'flannel') {
    const f = cni.flannel;
    const backend = (f?.backendType ?? 'vxlan').toLowerCase();
    if (backend === 'host-gw') return { name: f?.backendName || 'cbr0', type: 'L2Bridge' };
    if (f?.backendName) return { name: f.backendName, type: 'Overlay' };
    // A net-conf that was read but names no VNI: flannel's Windows default. Unread (no Backend
    // type either): the VNI is unknown.
    const vni = typeof f?.vni === 'number' ? f.vni : f?.backendType ? FLANNEL_WINDOWS_DEFAULT_VNI : undefined;
    return vni === undefined ? { name: 'flannel.<VNI>', pattern: /^flannel\.\d+$/i, type: 'Overlay' } : { name: `flannel.${vni}`, type: 'Overlay' };
  }
  // Calico names its network "Calico" for both VXLAN (Overlay) and BGP (L2Bridge).
  if (cni.type === 'calico') return { name: 'Calico' };
  return undefined;
}

/**
 * The script with its parameters bound, as one self-contained text for `powershell.exe
 * -Command -` or a file: the template runs as a script block called with a splatted table, so
 * the template itself stays a plain script that parses and runs on its own.
 */
/** The script's param() names with their values (undefined: the script's default), validated. */
export function nodeChecksArguments(params: NodeChecksParams = {}): Record<string, string | number | undefined> {
  const table = {
    NetworkName: params.networkName,
    NetworkType: params.networkType,
    DnsServiceIp: params.dnsServiceIp,
    PodCidr: params.podCidr,
    ApiServerUrl: params.apiServerUrl,
    CriEndpoint: params.criEndpoint,
    CrictlTimeoutSeconds: params.crictlTimeoutSeconds,
    LogTailLines: params.logTailLines,
    MaxLinesPerSignature: params.maxLinesPerSignature,
  };
  for (const [k, v] of Object.entries(table)) {
    if (typeof v === 'number' && (!Number.isSafeInteger(v) || v < 1)) throw new Error(`${k} must be a positive integer, got ${v}`);
  }
  return table;
}

export function renderNodeChecksScript(params: NodeChecksParams = {}): string {
  const table: PsTable = nodeChecksArguments(params);
  const script = readTemplate(SCRIPT).trimEnd();
  return [`$winK8sNodeChecks = ${psTable(table)}`, '& {', script, '} @winK8sNodeChecks', ''].join('\n');
}
