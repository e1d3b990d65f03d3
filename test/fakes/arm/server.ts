/**
 * A fake Azure Resource Manager over HTTPS: the operations the Azure provider uses, with ARM's
 * long-running-operation protocol (201/202 + Azure-AsyncOperation, polled InProgress then
 * Succeeded), ARM's error shape `{error:{code,message,target}}` and the validation rules that
 * make real creates fail (names, computerName, adminPassword, customData size, required fields).
 *
 * Two ways in: in-process tests give the SDK `https://fake.arm` and the HttpClient below, which
 * sends those requests here trusting the test CA; a spawned CLI uses the real URL
 * (https://127.0.0.1:<port>, a certificate with IP SAN 127.0.0.1) with NODE_EXTRA_CA_CERTS. The
 * SDK's bearer-token policy refuses http, hence HTTPS either way. Every URL the fake hands out
 * (Azure-AsyncOperation, Location, the serial log blob) is built from the base URL the request
 * came in on, so both ways keep working.
 *
 * Authentication: ARM accepts a bearer token the fake's App Service managed identity endpoint
 * (IDENTITY_ENDPOINT + IDENTITY_HEADER, plain http like the real one) issued for the audience of
 * the URL being called, or one of `staticTokens` (in-process tests with a fixed credential).
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { Agent } from 'node:https';
import type { AddressInfo } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import { createDefaultHttpClient, type HttpClient } from '@azure/core-rest-pipeline';
import { getKubePki } from '../../helpers/kube-pki.js';
import { scriptFromUserData } from '../node-agent/script.js';

export const FAKE_ARM_ENDPOINT = 'https://fake.arm';

type Json = Record<string, any>;

export interface ArmCall {
  method: string;
  path: string;
  status: number;
  /** When the request arrived (ms since the epoch). */
  at: number;
}

export interface ArmFaults {
  /** The next N requests (any) answer 429 with Retry-After: 1. */
  throttle: number;
  /** The next N requests (any) answer 403 AuthorizationFailed. */
  deny: number;
  /** Requests whose path matches answer 403 AuthorizationFailed (a role scoped to resource groups). */
  denyPath: RegExp | undefined;
  /** The next N requests (any) answer 503 ServiceUnavailable. */
  unavailable: number;
  /** VM name → ARM error code its create fails with (QuotaExceeded / OperationNotAllowed answer 409 at once; AllocationFailed fails the async operation). */
  failVm: Map<string, string>;
  /** The next VM creates, whatever their names, fail with these codes in turn (same rules as failVm). */
  failNext: string[];
}

/** What a Run Command produces on the simulated VM (the test computes it from the script). */
export type RunCommandHandler = (vmName: string, script: string) => { stdout: string; stderr: string } | Promise<{ stdout: string; stderr: string }>;

export interface FakeArm {
  /** The local https URL (https://127.0.0.1:port). */
  readonly url: string;
  /** PEM of the CA that signed the fake's certificate (for NODE_EXTRA_CA_CERTS). */
  readonly caPem: string;
  /** App Service managed identity endpoint (http) and the secret header value it requires. */
  readonly identity: { endpoint: string; header: string; issued: number };
  /** Answers Run Command (RunPowerShellScript); unset, the VM answers as if the agent were gone. */
  runCommand: RunCommandHandler | undefined;
  /** Resources by lower-cased ARM id, in wire form ({id,name,type,location,tags,properties}). */
  readonly resources: Map<string, Json>;
  readonly calls: ArmCall[];
  readonly faults: ArmFaults;
  /** Serial console text per VM name (what the bootstrap writes to COM1). */
  readonly serialLogs: Map<string, string>;
  /** An HttpClient sending https://fake.arm/... here and trusting the fake's CA. */
  readonly httpClient: HttpClient;
  /**
   * The run of a VM's Custom Script Extension command, as the VM agent reports it in the
   * extension's instance view; undefined until the extension exists.
   */
  customScript(vmName: string): CustomScriptRun | undefined;
  /**
   * Windows restarts on the VM. A command still running is cut off, and the extension reports
   * the run failed with CSE's "may have been interrupted by a VM restart"; a command that had
   * already ended keeps its status.
   */
  restartVm(vmName: string): void;
  /**
   * Compute quota limits by lower-cased `<location>/<usage name>` (cores, standardDSv5Family ...);
   * a name not set has DEFAULT_QUOTA_LIMIT. Usage is what the fake's VMs of that location use,
   * plus `quotaUsed` (the subscription's other workloads).
   */
  readonly quotaLimits: Map<string, number>;
  readonly quotaUsed: Map<string, number>;
  /** Resource SKU restrictions by VM size name, as the Resource SKUs API lists them. */
  readonly skuRestrictions: Map<string, Json[]>;
  /**
   * Marketplace image versions by lower-cased `<location>/<publisher>/<offer>/<sku>`: the
   * Windows Server SKUs win-k8s defaults to, in every location of `vmSizes`, unless the test
   * changes them.
   */
  readonly marketplace: Map<string, string[]>;
  /** Adds a resource as if it existed before the test (control plane VM, VNet ...). */
  seed(id: string, resource: Json): Json;
  get(id: string): Json | undefined;
  ofType(type: string): Json[];
  close(): Promise<void>;
}

const NAME_RULE = /^[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;
const NAME_MAX: Record<string, number> = { virtualmachines: 64, networkinterfaces: 80, networksecuritygroups: 80, extensions: 80, disks: 80 };

class ArmError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly target?: string) {
    super(message);
  }
}

function passwordClasses(p: string): number {
  return [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((r) => r.test(p)).length;
}

/**
 * The OS disk size of the marketplace images the fake knows: Windows Server images are 127 GB,
 * their smalldisk SKUs 30 GB (`az vm image show ... --query osDiskImage.sizeInGb`).
 */
export function imageOsDiskGb(image: Json): number | undefined {
  if (String(image.publisher ?? '').toLowerCase() !== 'microsoftwindowsserver') return undefined;
  return /smalldisk/i.test(String(image.sku ?? '')) ? 30 : 127;
}

function validateVm(name: string, body: Json, resources: Map<string, Json>): void {
  if (!body.location) throw new ArmError(400, 'LocationRequired', 'The location property is required for this definition.');
  const p = body.properties;
  if (!p || typeof p !== 'object') throw new ArmError(400, 'InvalidRequestContent', 'The request content was invalid: properties is required.');
  if (!p.hardwareProfile?.vmSize) throw new ArmError(400, 'InvalidParameter', 'Required parameter \'hardwareProfile.vmSize\' is missing (null).', 'hardwareProfile.vmSize');
  const image = p.storageProfile?.imageReference;
  if (!image || !(image.id || (image.publisher && image.offer && image.sku && image.version))) {
    throw new ArmError(400, 'InvalidParameter', 'Required parameter \'imageReference\' is missing (null).', 'imageReference');
  }
  const asked = p.storageProfile?.osDisk?.diskSizeGB;
  const imageGb = imageOsDiskGb(image);
  if (asked !== undefined && imageGb !== undefined && asked < imageGb) {
    throw new ArmError(409, 'OperationNotAllowed', `The specified disk size ${asked} GB is smaller than the size of the corresponding disk in the VM image: ${imageGb} GB. This is not allowed. Please choose equal or greater size or do not specify an explicit size.`, 'osDisk.diskSizeGB');
  }
  const os = p.osProfile;
  if (!os) throw new ArmError(400, 'InvalidParameter', 'Required parameter \'osProfile\' is missing (null).', 'osProfile');
  const computerName = os.computerName ?? name;
  if (computerName.length > 15 || !/^[A-Za-z0-9-]+$/.test(computerName) || /^\d+$/.test(computerName)) {
    throw new ArmError(400, 'InvalidParameter', 'Windows computer name cannot be more than 15 characters long, be entirely numeric, or contain the following characters: ` ~ ! @ # $ % ^ & * ( ) = + _ [ ] { } \\ | ; : . \' " , < > / ?.', 'computerName');
  }
  if (!os.adminUsername) throw new ArmError(400, 'InvalidParameter', 'Required parameter \'adminUsername\' is missing (null).', 'adminUsername');
  const pw: unknown = os.adminPassword;
  if (typeof pw !== 'string' || pw.length < 12 || pw.length > 123 || passwordClasses(pw) < 3) {
    throw new ArmError(400, 'InvalidParameter', 'The supplied password must be between 12-123 characters long and must satisfy at least 3 of password complexity requirements from the following: 1) Contains an uppercase character 2) Contains a lowercase character 3) Contains a numeric digit 4) Contains a special character 5) Control characters are not allowed', 'adminPassword');
  }
  if (os.customData !== undefined) {
    if (typeof os.customData !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(os.customData) || os.customData.length % 4 !== 0) {
      throw new ArmError(400, 'InvalidParameter', 'Custom data in OSProfile must be in Base64 encoding.', 'customData');
    }
    if (os.customData.length > 87380) {
      throw new ArmError(400, 'InvalidParameter', `Custom data in OSProfile must be in Base64 encoding and with a maximum length of 87380 characters.`, 'customData');
    }
  }
  const nics: Json[] = p.networkProfile?.networkInterfaces ?? [];
  if (nics.length === 0) throw new ArmError(400, 'InvalidParameter', 'Required parameter \'networkProfile\' is missing (null).', 'networkProfile');
  for (const nic of nics) {
    if (!resources.has(String(nic.id).toLowerCase())) throw new ArmError(404, 'NotFound', `Resource ${nic.id} not found.`);
  }
}

/**
 * Cores and memory of the sizes the fake knows (as virtualMachineSizes reports them), and whether
 * the size exposes the virtualization extensions to the guest (each size series page's "Nested
 * Virtualization" line: Bsv2, Dasv4 ... Not Supported; Dsv5, Dasv5, Esv5, Fsv2 Supported).
 */
const SIZE_SPECS: Record<string, { cores: number; memoryMb: number; nested: boolean; family: string }> = {
  Standard_B1s: { cores: 1, memoryMb: 1024, nested: false, family: 'standardBSFamily' },
  Standard_B2s: { cores: 2, memoryMb: 4096, nested: false, family: 'standardBSFamily' },
  Standard_B4s_v2: { cores: 4, memoryMb: 16384, nested: false, family: 'standardBsv2Family' },
  Standard_D4as_v4: { cores: 4, memoryMb: 16384, nested: false, family: 'standardDASv4Family' },
  Standard_D4as_v5: { cores: 4, memoryMb: 16384, nested: true, family: 'standardDASv5Family' },
  Standard_D2s_v5: { cores: 2, memoryMb: 8192, nested: true, family: 'standardDSv5Family' },
  Standard_D4s_v5: { cores: 4, memoryMb: 16384, nested: true, family: 'standardDSv5Family' },
  Standard_D8s_v5: { cores: 8, memoryMb: 32768, nested: true, family: 'standardDSv5Family' },
  Standard_E4s_v5: { cores: 4, memoryMb: 32768, nested: true, family: 'standardESv5Family' },
  Standard_F4s_v2: { cores: 4, memoryMb: 8192, nested: true, family: 'standardFSv2Family' },
};

/** A quota limit the test did not set: generous, so only tests about quota run into one. */
export const DEFAULT_QUOTA_LIMIT = 350;

/** Marketplace SKUs of MicrosoftWindowsServer:WindowsServer the fake offers by default, one version each. */
const DEFAULT_WINDOWS_SKUS: Record<string, string> = {
  '2016-Datacenter': '14393.7428.241004',
  '2016-Datacenter-Server-Core': '14393.7428.241004',
  '2019-Datacenter': '17763.6414.241004',
  '2019-Datacenter-Core': '17763.6414.241004',
  '2022-datacenter-g2': '20348.2762.241009',
  '2022-datacenter-core-g2': '20348.2762.241009',
  '2025-datacenter-g2': '26100.2033.241004',
  '2025-datacenter-core-g2': '26100.2033.241004',
  '2019-datacenter-smalldisk-g2': '17763.6414.241004',
  '2022-datacenter-smalldisk-g2': '20348.2762.241009',
  '2022-datacenter-core-smalldisk-g2': '20348.2762.241009',
  '2025-datacenter-smalldisk-g2': '26100.2033.241004',
};

/**
 * ARM answers a request without api-version, or with one the resource provider does not serve,
 * with 400 before anything else. The Resource SKUs API is served at the versions its spec lists;
 * other Compute paths here at dated versions from the provider's first (2015-06-15) on.
 */
const SKU_API_VERSIONS = ['2017-03-30', '2017-09-01', '2019-04-01', '2021-07-01'];
const COMPUTE_API_VERSION = /^(\d{4}-\d{2}-\d{2})(-preview)?$/;

function requireApiVersion(url: URL, allowed?: string[]): void {
  const v = url.searchParams.get('api-version');
  if (!v) throw new ArmError(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
  const dated = COMPUTE_API_VERSION.exec(v);
  const ok = allowed ? allowed.includes(v) : !!dated && dated[1]! >= '2015-06-15' && dated[1]! <= '2026-03-01';
  if (!ok) {
    throw new ArmError(400, 'InvalidApiVersionParameter', `The api-version '${v}' is invalid.${allowed ? ` The supported versions are '${allowed.join(',')}'.` : ''}`);
  }
}

/**
 * Whether a VM of this size can run the Hyper-V role. Azure has no API switch for it: a size
 * without it is created like any other, and Windows inside cannot install Hyper-V. Simulated
 * nodes ask this to fail their features phase as the real one would.
 */
export function sizeOffersNestedVirtualization(size: string): boolean {
  return SIZE_SPECS[size]?.nested ?? false;
}

/**
 * The Custom Script Extension (Windows) as its instance view shows it. While the command runs the
 * status is transitioning; when it ends, ProvisioningState/succeeded ("Command execution
 * finished") or failed with the exit code, and two substatuses, StdOut and StdErr, with the
 * command's streams (the last 4 KB each). A restart while the command runs ends it: the
 * extension then reports a failure whose message adds "Command execution may have been
 * interrupted by a VM restart" (the Custom Script Extension troubleshooting guide). The
 * extension's documentation says not to restart inside the script but to schedule it; a script
 * that exits 0 before the scheduled restart is reported as succeeded, and the restart leaves
 * that status as it is.
 */
export interface CustomScriptRun {
  readonly state: 'running' | 'exited' | 'interrupted';
  /** A line the command wrote to stdout. */
  stdout(line: string): void;
  stderr(text: string): void;
  /** The command ended with this exit code. */
  exit(code: number): void;
}

const CSE_OUTPUT_LIMIT = 4096;

function cseInstanceView(ext: Json, run: { state: CustomScriptRun['state']; stdout: string; stderr: string; code: number }): Json {
  const base = { name: ext.name, type: 'Microsoft.Compute.CustomScriptExtension', typeHandlerVersion: '1.10.18' };
  if (run.state === 'running') {
    return { ...base, statuses: [{ code: 'ProvisioningState/transitioning', level: 'Info', displayStatus: 'Transitioning', message: 'Command execution is in progress' }] };
  }
  const substatuses = [
    { code: 'ComponentStatus/StdOut/succeeded', level: 'Info', displayStatus: 'Provisioning succeeded', message: lastBytes(run.stdout, CSE_OUTPUT_LIMIT) },
    { code: 'ComponentStatus/StdErr/succeeded', level: 'Info', displayStatus: 'Provisioning succeeded', message: lastBytes(run.stderr, CSE_OUTPUT_LIMIT) },
  ];
  if (run.state === 'exited' && run.code === 0) {
    return { ...base, substatuses, statuses: [{ code: 'ProvisioningState/succeeded', level: 'Info', displayStatus: 'Provisioning succeeded', message: 'Command execution finished' }] };
  }
  const message = `Command execution finished, but failed because it returned a non-zero exit code of: '${run.code}'.${run.state === 'interrupted' ? ' Command execution may have been interrupted by a VM restart' : ''}`;
  return { ...base, substatuses, statuses: [{ code: 'ProvisioningState/failed/3', level: 'Error', displayStatus: 'Provisioning failed', message }] };
}

/** Azure keeps the last 4096 bytes of each Run Command stream. */
const RUN_COMMAND_OUTPUT_LIMIT = 4096;

function lastBytes(text: string, limit: number): string {
  const b = Buffer.from(text, 'utf8');
  return b.length <= limit ? text : b.subarray(b.length - limit).toString('utf8');
}

interface Operation {
  polls: number;
  error?: { code: string; message: string } | undefined;
  /** Runs when the operation completes (Run Command computes its output then). */
  complete?: (() => Promise<Json>) | undefined;
  result?: Json;
}

export interface FakeArmOptions {
  subscription: string;
  /** Location → VM size names offered there. */
  vmSizes?: Record<string, string[]>;
  /** Bearer tokens accepted without the identity endpoint (fixed credentials of in-process tests). */
  staticTokens?: string[];
}

export async function startFakeArm(options: FakeArmOptions = { subscription: 'sub' }): Promise<FakeArm> {
  const pki = getKubePki();
  const resources = new Map<string, Json>();
  const operations = new Map<string, Operation>();
  const staticTokens = new Set(options.staticTokens ?? ['fake']);
  /** token → the resource (audience) it was issued for. */
  const issuedTokens = new Map<string, string>();
  const identityHeader = randomBytes(16).toString('hex');
  const runningCommands = new Set<string>();
  const calls: ArmCall[] = [];
  const faults: ArmFaults = { throttle: 0, deny: 0, unavailable: 0, denyPath: undefined, failVm: new Map(), failNext: [] };
  const serialLogs = new Map<string, string>();
  const vmSizes = options.vmSizes ?? { eastus: ['Standard_D2s_v5', 'Standard_D4s_v5', 'Standard_D8s_v5'] };
  const quotaLimits = new Map<string, number>();
  const quotaUsed = new Map<string, number>();
  const skuRestrictions = new Map<string, Json[]>();
  const marketplace = new Map<string, string[]>();
  for (const location of Object.keys(vmSizes)) {
    for (const [sku, version] of Object.entries(DEFAULT_WINDOWS_SKUS)) marketplace.set(`${location}/microsoftwindowsserver/windowsserver/${sku}`.toLowerCase(), [version]);
  }
  /** vCPUs the fake's VMs use in a location, in total and by family. */
  const coresInUse = (location: string): Map<string, number> => {
    const used = new Map<string, number>();
    const add = (name: string, n: number) => used.set(name.toLowerCase(), (used.get(name.toLowerCase()) ?? 0) + n);
    for (const r of resources.values()) {
      if (String(r.type).toLowerCase() !== 'microsoft.compute/virtualmachines' || String(r.location).toLowerCase() !== location) continue;
      const spec = SIZE_SPECS[String(r.properties?.hardwareProfile?.vmSize)];
      if (!spec) continue;
      add('cores', spec.cores);
      add(spec.family, spec.cores);
      add('virtualMachines', 1);
    }
    return used;
  };

  const send = (res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', 'x-ms-request-id': randomUUID(), ...headers });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  };
  const asyncOp = (base: string, error?: { code: string; message: string }, complete?: () => Promise<Json>) => {
    const id = randomUUID();
    operations.set(id, { polls: 0, error, complete });
    return { id, url: `${base}/fake-operations/${id}` };
  };

  /**
   * What ARM refuses of a VM before creating it, as the subscription stands: a marketplace image
   * the location does not publish (404 PlatformImageNotFound), a size the subscription is barred
   * from there (409 SkuNotAvailable), vCPUs past the regional or the family's quota (409
   * QuotaExceeded). An existing VM (a PUT that updates it) takes no new vCPUs.
   */
  const refuseUnavailable = (id: string, body: Json) => {
    const location = String(body.location).toLowerCase();
    const image = body.properties.storageProfile.imageReference as Json;
    if (image.publisher && image.offer && image.sku) {
      const versions = marketplace.get(`${location}/${String(image.publisher)}/${String(image.offer)}/${String(image.sku)}`.toLowerCase());
      if (!versions || versions.length === 0 || (image.version !== 'latest' && !versions.includes(String(image.version)))) {
        throw new ArmError(404, 'PlatformImageNotFound', `The platform image '${String(image.publisher)}:${String(image.offer)}:${String(image.sku)}:${String(image.version)}' is not available. Verify that all fields in the storage profile are correct. For more details about storage profile information, please refer to https://aka.ms/storageprofile`, 'imageReference');
      }
    }
    const size = String(body.properties.hardwareProfile.vmSize);
    if ((skuRestrictions.get(size) ?? []).some((r) => r.type === 'Location')) {
      throw new ArmError(409, 'SkuNotAvailable', `The requested VM size for resource 'Following SKUs have failed for Capacity Restrictions: ${size}' is currently not available in location '${location}'. Please try another size or deploy to a different location or different zone. See https://aka.ms/azureskunotavailable for details.`);
    }
    const spec = SIZE_SPECS[size];
    if (!spec || resources.has(id.toLowerCase())) return;
    const used = coresInUse(location);
    for (const [quota, label] of [['cores', 'Total Regional'], [spec.family, spec.family]] as const) {
      const key = `${location}/${quota}`.toLowerCase();
      const usage = (used.get(quota.toLowerCase()) ?? 0) + (quotaUsed.get(key) ?? 0);
      const limit = quotaLimits.get(key) ?? DEFAULT_QUOTA_LIMIT;
      if (usage + spec.cores > limit) {
        throw new ArmError(409, 'QuotaExceeded', `Operation could not be completed as it results in exceeding approved ${label} Cores quota. Additional details - Deployment Model: Resource Manager, Location: ${location}, Current Limit: ${limit}, Current Usage: ${usage}, Additional Required: ${spec.cores}.`);
      }
    }
  };

  const put = (id: string, type: string, name: string, body: Json, extra: Json = {}) => {
    const existing = resources.get(id.toLowerCase());
    const resource: Json = {
      id,
      name,
      type,
      location: body.location,
      ...(body.tags ? { tags: body.tags } : {}),
      properties: { ...body.properties, ...extra, provisioningState: 'Succeeded' },
    };
    resources.set(id.toLowerCase(), resource);
    return { resource, created: !existing };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, text: string) => {
    // Whatever host the client used (fake.arm through the HttpClient arrives as 127.0.0.1).
    const base = `https://${req.headers.host ?? '127.0.0.1'}`;
    const url = new URL(req.url ?? '/', base);
    const method = req.method ?? 'GET';
    const path = url.pathname.replace(/\/+$/, '');
    const body: Json = text ? JSON.parse(text) : {};

    // The serial log blob is a SAS URL on storage: the signature authorizes, not a bearer token.
    if (!path.startsWith('/fake-blob/')) {
      const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
      if (!auth) throw new ArmError(401, 'AuthenticationFailed', 'Authentication failed. The \'Authorization\' header is missing.');
      const token = auth[1]!;
      const audience = issuedTokens.get(token);
      if (audience === undefined && !staticTokens.has(token)) throw new ArmError(401, 'InvalidAuthenticationToken', 'The access token is invalid.');
      if (audience !== undefined && audience.replace(/\/+$/, '') !== base) {
        throw new ArmError(401, 'InvalidAuthenticationTokenAudience', `The access token has been obtained for wrong audience or resource '${audience}'. It should exactly match with one of the allowed audiences '${base}', '${base}/'.`);
      }
    }
    if (faults.throttle > 0) {
      faults.throttle--;
      send(res, 429, { error: { code: 'TooManyRequests', message: 'The request is being throttled.' } }, { 'retry-after': '1' });
      return 429;
    }
    if (faults.deny > 0 || faults.denyPath?.test(path)) {
      if (faults.deny > 0) faults.deny--;
      throw new ArmError(403, 'AuthorizationFailed', `The client 'test' does not have authorization to perform action over scope '${path}' or the scope is invalid.`);
    }
    if (faults.unavailable > 0) {
      faults.unavailable--;
      send(res, 503, { error: { code: 'ServiceUnavailable', message: 'The service is temporarily unavailable.' } });
      return 503;
    }
    let m = /^\/fake-operations\/([^/]+)$/.exec(path);
    if (m) {
      const op = operations.get(m[1]!);
      if (!op) throw new ArmError(404, 'NotFound', 'operation not found');
      op.polls++;
      if (op.polls < 2) {
        send(res, 200, { status: 'InProgress' });
        return 200;
      }
      if (op.complete && !op.result && !op.error) {
        try {
          op.result = await op.complete();
        } catch (err) {
          op.error = { code: 'VMAgentStatusCommunicationError', message: String(err) };
        }
      }
      if (op.error) send(res, 200, { status: 'Failed', error: op.error });
      else send(res, 200, { status: 'Succeeded' });
      return 200;
    }
    m = /^\/fake-operations\/([^/]+)\/result$/.exec(path);
    if (m) {
      const op = operations.get(m[1]!);
      if (!op) throw new ArmError(404, 'NotFound', 'operation not found');
      // Before completion ARM answers the Location URL with 202 (still running).
      if (!op.result) {
        send(res, 202, undefined, { location: `${base}/fake-operations/${m[1]}/result` });
        return 202;
      }
      send(res, 200, op.result);
      return 200;
    }
    m = /^\/fake-blob\/([^/]+)\/serial\.log$/.exec(path);
    if (m) {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(serialLogs.get(m[1]!) ?? '');
      return 200;
    }
    m = /^\/subscriptions\/([^/]+)(.*)$/i.exec(path);
    if (!m || m[1] !== options.subscription) throw new ArmError(404, 'SubscriptionNotFound', `The subscription '${m?.[1] ?? ''}' could not be found.`);
    const rest = m[2]!;
    m = /^\/providers\/Microsoft\.Compute\/locations\/([^/]+)\/vmSizes$/i.exec(rest);
    if (m && method === 'GET') {
      requireApiVersion(url);
      send(res, 200, {
        value: (vmSizes[m[1]!.toLowerCase()] ?? []).map((name) => {
          const spec = SIZE_SPECS[name] ?? { cores: 4, memoryMb: 16384 };
          return { name, numberOfCores: spec.cores, memoryInMB: spec.memoryMb, maxDataDiskCount: spec.cores * 2, osDiskSizeInMB: 1047552, resourceDiskSizeInMB: 0 };
        }),
      });
      return 200;
    }
    // Compute usages of a location (Usage_List): the regional vCPUs, the VM count and each family's vCPUs.
    m = /^\/providers\/Microsoft\.Compute\/locations\/([^/]+)\/usages$/i.exec(rest);
    if (m && method === 'GET') {
      requireApiVersion(url);
      const location = m[1]!.toLowerCase();
      const used = coresInUse(location);
      const families = [...new Set(Object.values(SIZE_SPECS).map((z) => z.family))];
      const entry = (name: string, localized: string) => {
        const key = `${location}/${name}`.toLowerCase();
        return { unit: 'Count', currentValue: (used.get(name.toLowerCase()) ?? 0) + (quotaUsed.get(key) ?? 0), limit: quotaLimits.get(key) ?? DEFAULT_QUOTA_LIMIT, name: { value: name, localizedValue: localized } };
      };
      send(res, 200, {
        value: [
          entry('availabilitySets', 'Availability Sets'),
          entry('cores', 'Total Regional vCPUs'),
          entry('virtualMachines', 'Virtual Machines'),
          ...families.map((f) => entry(f, `${f.replace(/^standard/, 'Standard ').replace(/Family$/, ' Family')} vCPUs`)),
        ],
      });
      return 200;
    }
    // Resource SKUs (ResourceSkus_List): only the location filter is supported, and each SKU says
    // where it is offered (locationInfo) and what keeps this subscription from it (restrictions).
    m = /^\/providers\/Microsoft\.Compute\/skus$/i.exec(rest);
    if (m && method === 'GET') {
      requireApiVersion(url, SKU_API_VERSIONS);
      const filter = url.searchParams.get('$filter');
      let only: string | undefined;
      if (filter !== null) {
        const f = /^\s*location\s+eq\s+'([^']+)'\s*$/i.exec(filter);
        if (!f) throw new ArmError(400, 'InvalidParameter', `The filter '${filter}' is not supported. Only the 'location' filter is supported.`, '$filter');
        only = f[1]!.toLowerCase();
      }
      const value: Json[] = [];
      for (const [location, names] of Object.entries(vmSizes)) {
        if (only && location.toLowerCase() !== only) continue;
        for (const name of names) {
          const spec = SIZE_SPECS[name] ?? { cores: 4, memoryMb: 16384, nested: false, family: 'standardDSv5Family' };
          value.push({
            resourceType: 'virtualMachines',
            name,
            tier: 'Standard',
            size: name.replace(/^Standard_/, ''),
            family: spec.family,
            locations: [location],
            locationInfo: [{ location, zones: ['1', '2', '3'], zoneDetails: [] }],
            capabilities: [
              { name: 'vCPUs', value: String(spec.cores) },
              { name: 'MemoryGB', value: String(spec.memoryMb / 1024) },
            ],
            restrictions: (skuRestrictions.get(name) ?? []).map((r) => ({ ...r, values: r.type === 'Location' ? [location] : r.values ?? [location], restrictionInfo: { ...(r.type === 'Location' ? { locations: [location] } : { locations: [location], zones: r.zones ?? ['1', '2', '3'] }) } })),
          });
        }
      }
      send(res, 200, { value });
      return 200;
    }
    // Marketplace image versions of a SKU in a location (VirtualMachineImages_List): 404 where
    // the location does not offer the SKU.
    m = /^\/providers\/Microsoft\.Compute\/locations\/([^/]+)\/publishers\/([^/]+)\/artifacttypes\/vmimage\/offers\/([^/]+)\/skus\/([^/]+)\/versions$/i.exec(rest);
    if (m && method === 'GET') {
      requireApiVersion(url);
      const [, location, publisher, offer, sku] = m;
      const versions = marketplace.get(`${location}/${publisher}/${offer}/${sku}`.toLowerCase());
      if (!versions) throw new ArmError(404, 'NotFound', 'Artifact: VMImage was not found.');
      const top = Number(url.searchParams.get('$top') ?? versions.length);
      const ordered = url.searchParams.get('$orderby')?.toLowerCase() === 'name desc' ? [...versions].reverse() : versions;
      send(res, 200, ordered.slice(0, top).map((v) => ({ location, name: v, id: `/Subscriptions/${options.subscription}/Providers/Microsoft.Compute/Locations/${location}/Publishers/${publisher}/ArtifactTypes/VMImage/Offers/${offer}/Skus/${sku}/Versions/${v}` })));
      return 200;
    }
    // Subscription-wide lists (listAll): every top-level resource of the type, in any resource group.
    m = /^\/providers\/(Microsoft\.(?:Compute|Network))\/([A-Za-z]+)$/i.exec(rest);
    if (m && method === 'GET') {
      const type = `${m[1]}/${m[2]}`.toLowerCase();
      const items = [...resources.values()].filter((r) => String(r.type).toLowerCase() === type && String(r.id).split('/').length === 9);
      send(res, 200, { value: type === 'microsoft.network/virtualnetworks' ? items.map(withSubnets) : items });
      return 200;
    }
    m = /^\/resourceGroups\/([^/]+)\/providers\/(Microsoft\.(?:Compute|Network))\/([A-Za-z]+)(?:\/([^/]+))?(?:\/([A-Za-z]+)(?:\/([^/]+))?)?$/i.exec(rest);
    if (!m) throw new ArmError(400, 'InvalidResourceType', `The resource type could not be found for ${path}.`);
    const [, , ns, typeName, name, subType, subName] = m;
    const rtype = typeName!.toLowerCase();
    const collectionPath = `/subscriptions/${options.subscription}${rest.split('/').slice(0, 6).join('/')}`;
    const armType = `${ns}/${typeName}`;

    if (!name) {
      if (method !== 'GET') throw new ArmError(405, 'MethodNotAllowed', 'method not allowed');
      const prefix = `${collectionPath}/`.toLowerCase();
      const items = [...resources.values()].filter((r) => String(r.id).toLowerCase().startsWith(prefix) && String(r.id).split('/').length === 9);
      send(res, 200, { value: rtype === 'virtualnetworks' ? items.map(withSubnets) : items });
      return 200;
    }
    const id = `${collectionPath}/${name}`;
    const key = id.toLowerCase();

    if (subType) {
      const parent = resources.get(key);
      if (!parent) throw new ArmError(404, 'ParentResourceNotFound', `Can not perform requested operation on nested resource. Parent resource '${name}' not found.`);
      if (subType.toLowerCase() === 'retrievebootdiagnosticsdata' && method === 'POST') {
        if (!parent.properties?.diagnosticsProfile?.bootDiagnostics?.enabled) throw new ArmError(409, 'OperationNotAllowed', 'Boot diagnostics are not enabled for this VM.');
        send(res, 200, { serialConsoleLogBlobUri: `${base}/fake-blob/${name}/serial.log?sig=fake` });
        return 200;
      }
      if (subType.toLowerCase() === 'instanceview' && method === 'GET') {
        const power = (parent as { __power?: string }).__power;
        const state = String(parent.properties?.provisioningState ?? 'Succeeded');
        send(res, 200, {
          computerName: parent.properties?.osProfile?.computerName,
          statuses: [
            { code: `ProvisioningState/${state.toLowerCase()}`, level: state === 'Failed' ? 'Error' : 'Info', displayStatus: `Provisioning ${state.toLowerCase()}` },
            ...(power ? [{ code: `PowerState/${power}`, level: 'Info', displayStatus: `VM ${power}` }] : []),
          ],
        });
        return 200;
      }
      if (subType.toLowerCase() === 'runcommand' && method === 'POST') {
        if (body.commandId !== 'RunPowerShellScript') throw new ArmError(400, 'InvalidParameter', `The value ${String(body.commandId)} of parameter 'commandId' is not allowed. Allowed values are RunPowerShellScript, EnableRemotePS, IPConfig, RDPSettings, ResetRDPCert, SetRDPPort, DisableNLA, EnableAdminAccount, DisableWindowsUpdate, EnableWindowsUpdate.`, 'commandId');
        if (!Array.isArray(body.script) || body.script.length === 0) throw new ArmError(400, 'InvalidParameter', 'Required parameter \'script\' is missing (null).', 'script');
        if ((parent as { __power?: string }).__power !== 'running') throw new ArmError(409, 'OperationNotAllowed', 'Cannot perform operation since the VM is not running.');
        if (runningCommands.has(key)) throw new ArmError(409, 'Conflict', 'Run command extension execution is in progress. Please wait for completion before invoking a run command.');
        runningCommands.add(key);
        const script = (body.script as string[]).join('\n');
        const op = asyncOp(base, undefined, async () => {
          try {
            if (!fakeArm.runCommand) throw new Error('the VM agent did not respond');
            const out = await fakeArm.runCommand(name, script);
            return {
              value: [
                { code: 'ComponentStatus/StdOut/succeeded', level: 'Info', displayStatus: 'Provisioning succeeded', message: lastBytes(out.stdout, RUN_COMMAND_OUTPUT_LIMIT) },
                { code: 'ComponentStatus/StdErr/succeeded', level: 'Info', displayStatus: 'Provisioning succeeded', message: lastBytes(out.stderr, RUN_COMMAND_OUTPUT_LIMIT) },
              ],
            };
          } finally {
            runningCommands.delete(key);
          }
        });
        send(res, 202, undefined, { 'azure-asyncoperation': op.url, location: `${op.url}/result` });
        return 202;
      }
      if (subType.toLowerCase() === 'extensions' && subName && method === 'GET') {
        const ext = resources.get(`${key}/extensions/${subName.toLowerCase()}`);
        if (!ext) throw new ArmError(404, 'NotFound', `The entity was not found in this Azure location.`);
        const { protectedSettings: _hidden, ...properties } = ext.properties;
        send(res, 200, { ...ext, properties: url.searchParams.get('$expand') === 'instanceView' ? properties : { ...properties, instanceView: undefined } });
        return 200;
      }
      if (subType.toLowerCase() === 'extensions' && subName && method === 'DELETE') {
        const k = `${key}/extensions/${subName.toLowerCase()}`;
        if (!resources.has(k)) {
          send(res, 204);
          return 204;
        }
        resources.delete(k);
        send(res, 202, undefined, { 'azure-asyncoperation': asyncOp(base).url });
        return 202;
      }
      if (subType.toLowerCase() === 'extensions' && subName && method === 'PUT') {
        if (!NAME_RULE.test(subName)) throw new ArmError(400, 'InvalidResourceName', `Resource name ${subName} is invalid.`);
        const s = body.properties ?? {};
        if (!s.publisher || !s.type || !s.typeHandlerVersion) throw new ArmError(400, 'InvalidParameter', 'publisher, type and typeHandlerVersion are required.');
        const cmd = s.protectedSettings?.commandToExecute ?? s.settings?.commandToExecute;
        if (s.type === 'CustomScriptExtension' && (typeof cmd !== 'string' || cmd.length > 8192)) {
          throw new ArmError(400, 'InvalidParameter', 'commandToExecute is required and limited to 8 KB.', 'commandToExecute');
        }
        const { resource } = put(`${id}/extensions/${subName}`, `${armType}/extensions`, subName, body);
        if (s.type === 'CustomScriptExtension') {
          // The agent starts the command once the extension is there; its status follows the run.
          const run = { state: 'running' as CustomScriptRun['state'], stdout: '', stderr: '', code: 0 };
          Object.defineProperty(resource, '__cse', { value: run, enumerable: false });
          resource.properties.instanceView = cseInstanceView(resource, run);
          resource.properties.provisioningState = 'Creating';
        }
        send(res, 201, resource, { 'azure-asyncoperation': asyncOp(base).url });
        return 201;
      }
      throw new ArmError(400, 'InvalidResourceType', `unsupported ${method} ${subType}`);
    }

    if (method === 'GET') {
      const r = resources.get(key);
      if (!r) throw new ArmError(404, 'ResourceNotFound', `The Resource '${armType}/${name}' under resource group was not found.`);
      send(res, 200, rtype === 'virtualnetworks' ? withSubnets(r) : r);
      return 200;
    }
    if (method === 'DELETE') {
      const r = resources.get(key);
      if (!r) {
        send(res, 204);
        return 204;
      }
      if (rtype === 'networksecuritygroups') {
        const inUse = [...resources.values()].some((x) => String(x.type).toLowerCase() === 'microsoft.network/networkinterfaces' && String(x.properties?.networkSecurityGroup?.id ?? '').toLowerCase() === key);
        if (inUse) throw new ArmError(400, 'InUseNetworkSecurityGroupCannotBeDeleted', `Network security group ${id} cannot be deleted because it is in use.`);
      }
      if (rtype === 'networkinterfaces' && r.properties?.virtualMachine) {
        throw new ArmError(400, 'NicInUse', `Network Interface ${id} is used by existing resource ${r.properties.virtualMachine.id}.`);
      }
      resources.delete(key);
      for (const k of [...resources.keys()]) if (k.startsWith(`${key}/`)) resources.delete(k);
      if (rtype === 'virtualmachines') {
        for (const nic of r.properties?.networkProfile?.networkInterfaces ?? []) {
          const n = resources.get(String(nic.id).toLowerCase());
          if (!n) continue;
          delete n.properties.virtualMachine;
          if (nic.properties?.deleteOption === 'Delete') resources.delete(String(nic.id).toLowerCase());
        }
        const disk = r.properties?.storageProfile?.osDisk;
        if (disk?.deleteOption === 'Delete' && disk.managedDisk?.id) resources.delete(String(disk.managedDisk.id).toLowerCase());
      }
      send(res, 202, undefined, { 'azure-asyncoperation': asyncOp(base).url });
      return 202;
    }
    if (method === 'PATCH' && rtype === 'disks') {
      const r = resources.get(key);
      if (!r) throw new ArmError(404, 'ResourceNotFound', `The Resource 'Microsoft.Compute/disks/${name}' was not found.`);
      if (body.tags) r.tags = body.tags;
      send(res, 200, r);
      return 200;
    }
    if (method !== 'PUT') throw new ArmError(405, 'MethodNotAllowed', `${method} is not supported`);
    if (name.length > (NAME_MAX[rtype] ?? 80) || !NAME_RULE.test(name)) {
      throw new ArmError(400, 'InvalidResourceName', `Resource name ${name} is invalid. The name can be up to ${NAME_MAX[rtype] ?? 80} characters long. It must begin with a word character, and it must end with a word character or with '_'. The name may contain word characters or '.', '-', '_'.`);
    }
    if (!body.location) throw new ArmError(400, 'LocationRequired', 'The location property is required for this definition.');

    if (rtype === 'networksecuritygroups') {
      for (const rule of body.properties?.securityRules ?? []) {
        const p = rule.properties ?? {};
        if (!rule.name || !p.priority || !p.direction || !p.access || !p.protocol) throw new ArmError(400, 'InvalidRequestFormat', `Security rule ${rule.name} is missing required properties.`);
        if (p.priority < 100 || p.priority > 4096) throw new ArmError(400, 'SecurityRuleInvalidPriority', `Security rule ${rule.name} has invalid priority.`);
      }
      const rules = (body.properties?.securityRules ?? []).map((r: Json) => ({ ...r, id: `${id}/securityRules/${r.name}` }));
      const { resource, created } = put(id, armType, name, { ...body, properties: { ...body.properties, securityRules: rules } });
      send(res, created ? 201 : 200, resource, { 'azure-asyncoperation': asyncOp(base).url });
      return created ? 201 : 200;
    }
    if (rtype === 'networkinterfaces') {
      const ipcs: Json[] = body.properties?.ipConfigurations ?? [];
      if (ipcs.length === 0) throw new ArmError(400, 'InvalidRequestFormat', 'Network interface must have at least one IP configuration.');
      const nsgId = body.properties?.networkSecurityGroup?.id;
      if (nsgId && !resources.has(String(nsgId).toLowerCase())) throw new ArmError(400, 'InvalidResourceReference', `Resource ${nsgId} referenced by resource ${id} was not found.`);
      let n = resources.size;
      const ipConfigurations = ipcs.map((c) => {
        const subnetId = c.properties?.subnet?.id;
        const subnet = subnetId ? resources.get(String(subnetId).toLowerCase()) : undefined;
        if (!subnet) throw new ArmError(400, 'InvalidResourceReference', `Resource ${subnetId} referenced by resource ${id} was not found.`);
        const base = String(subnet.properties?.addressPrefix ?? '10.0.0.0/24').split('/')[0]!.split('.');
        return { ...c, id: `${id}/ipConfigurations/${c.name}`, properties: { ...c.properties, privateIPAddress: `${base[0]}.${base[1]}.${base[2]}.${10 + (n++ % 200)}` } };
      });
      const { resource, created } = put(id, armType, name, { ...body, properties: { ...body.properties, ipConfigurations } });
      send(res, created ? 201 : 200, resource, { 'azure-asyncoperation': asyncOp(base).url });
      return created ? 201 : 200;
    }
    if (rtype === 'virtualmachines') {
      validateVm(name, body, resources);
      refuseUnavailable(id, body);
      const failure = faults.failVm.get(name) ?? faults.failNext.shift();
      faults.failVm.delete(name);
      if (failure && failure !== 'AllocationFailed') {
        throw new ArmError(409, failure, failure === 'QuotaExceeded'
            ? 'Operation could not be completed as it results in exceeding approved standardDSv5Family Cores quota. Additional details - Deployment Model: Resource Manager, Location: eastus, Current Limit: 8, Current Usage: 8, Additional Required: 4.'
            : failure === 'SkuNotAvailable'
              ? `The requested VM size for resource 'Following SKUs have failed for Capacity Restrictions: ${String(body.properties.hardwareProfile.vmSize)}' is currently not available in location '${String(body.location)}'. Please try another size or deploy to a different location or different zone.`
              : `${failure}: the request was refused.`);
      }
      const osDisk = body.properties.storageProfile.osDisk ?? {};
      const diskName = osDisk.name ?? `${name}_OsDisk_1_${randomUUID().replace(/-/g, '')}`;
      const diskId = `${collectionPath.replace(/virtualMachines$/i, 'disks')}/${diskName}`.replace('Microsoft.Compute/virtualMachines', 'Microsoft.Compute/disks');
      const vmId = id;
      // Azure creates the OS disk from the VM definition, without the VM's tags.
      resources.set(diskId.toLowerCase(), { id: diskId, name: diskName, type: 'Microsoft.Compute/disks', location: body.location, properties: { diskSizeGB: osDisk.diskSizeGB ?? imageOsDiskGb(body.properties.storageProfile.imageReference) ?? 127, osType: 'Windows', provisioningState: 'Succeeded', sku: osDisk.managedDisk?.storageAccountType } });
      const storageProfile = { ...body.properties.storageProfile, osDisk: { ...osDisk, name: diskName, osType: 'Windows', managedDisk: { ...osDisk.managedDisk, id: diskId } } };
      // ARM never returns customData or adminPassword on GET.
      const { customData: _c, adminPassword: _p, ...osProfile } = body.properties.osProfile;
      const { resource } = put(id, armType, name, body, { storageProfile, osProfile, vmId: randomUUID() });
      resource.__secret = { customData: body.properties.osProfile.customData, adminPassword: body.properties.osProfile.adminPassword };
      Object.defineProperty(resource, '__secret', { enumerable: false });
      // The power state lives in the instance view, not in the resource.
      Object.defineProperty(resource, '__power', { value: 'running', enumerable: false, writable: true });
      for (const nic of body.properties.networkProfile.networkInterfaces) {
        const n = resources.get(String(nic.id).toLowerCase());
        if (n) n.properties.virtualMachine = { id: vmId };
      }
      let error: { code: string; message: string } | undefined;
      if (failure === 'AllocationFailed') {
        error = { code: 'AllocationFailed', message: 'Allocation failed. We do not have sufficient capacity for the requested VM size in this region.' };
        resource.properties.provisioningState = 'Failed';
        (resource as { __power?: string }).__power = undefined;
      }
      send(res, 201, resource, { 'azure-asyncoperation': asyncOp(base, error).url });
      return 201;
    }
    throw new ArmError(400, 'InvalidResourceType', `unsupported PUT ${armType}`);
  };

  const server: Server = createServer({ key: pki.server.keyPem, cert: pki.server.certPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    const at = Date.now();
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'https://fake.arm').pathname;
      handle(req, res, Buffer.concat(chunks).toString('utf8'))
        .then((status) => calls.push({ method: req.method ?? '', path, status, at }))
        .catch((err: unknown) => {
          const e = err instanceof ArmError ? err : new ArmError(500, 'InternalServerError', String(err));
          calls.push({ method: req.method ?? '', path, status: e.status, at });
          send(res, e.status, { error: { code: e.code, message: e.message, ...(e.target ? { target: e.target } : {}) } });
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // App Service's managed identity protocol (api-version 2019-08-01), which MSAL's
  // ManagedIdentityApplication uses when IDENTITY_ENDPOINT and IDENTITY_HEADER are set.
  let identityCalls = 0;
  const identityServer = createHttpServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    const reply = (status: number, body: Json) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET' || u.pathname !== '/msi/token') return reply(404, { error: 'not_found' });
    if (req.headers['x-identity-header'] !== identityHeader) return reply(401, { error: 'unauthorized', error_description: 'X-IDENTITY-HEADER is missing or wrong' });
    const resource = u.searchParams.get('resource');
    if (u.searchParams.get('api-version') !== '2019-08-01' || !resource) return reply(400, { error: 'invalid_request', error_description: 'api-version 2019-08-01 and resource are required' });
    identityCalls++;
    const token = `mi-${randomBytes(24).toString('hex')}`;
    issuedTokens.set(token, resource);
    reply(200, { access_token: token, expires_on: String(Math.floor(Date.now() / 1000) + 3600), resource, token_type: 'Bearer' });
  });
  await new Promise<void>((resolve) => identityServer.listen(0, '127.0.0.1', resolve));
  const identityEndpoint = `http://127.0.0.1:${(identityServer.address() as AddressInfo).port}/msi/token`;
  const agent = new Agent({ ca: pki.ca.certPem, keepAlive: true });
  const inner = createDefaultHttpClient();
  const httpClient: HttpClient = {
    sendRequest: (request) => {
      if (request.url.startsWith(FAKE_ARM_ENDPOINT)) request.url = url + request.url.slice(FAKE_ARM_ENDPOINT.length);
      request.agent = agent;
      return inner.sendRequest(request);
    },
  };

  const fakeArm: FakeArm = {
    url,
    caPem: pki.ca.certPem,
    identity: {
      endpoint: identityEndpoint,
      header: identityHeader,
      get issued() {
        return identityCalls;
      },
    },
    runCommand: undefined,
    resources,
    calls,
    faults,
    serialLogs,
    httpClient,
    quotaLimits,
    quotaUsed,
    skuRestrictions,
    marketplace,
    seed(id, resource) {
      const r = { id, name: id.split('/').pop(), ...resource };
      resources.set(id.toLowerCase(), r);
      return r;
    },
    customScript(vmName) {
      const ext = [...resources.values()].find((r) => String(r.type).toLowerCase() === 'microsoft.compute/virtualmachines/extensions' && String(r.id).split('/')[8] === vmName && (r as { __cse?: unknown }).__cse);
      const run = (ext as { __cse?: { state: CustomScriptRun['state']; stdout: string; stderr: string; code: number } } | undefined)?.__cse;
      if (!ext || !run) return undefined;
      const report = () => {
        ext.properties.instanceView = cseInstanceView(ext, run);
        if (run.state !== 'running') ext.properties.provisioningState = run.state === 'exited' && run.code === 0 ? 'Succeeded' : 'Failed';
      };
      return {
        get state() {
          return run.state;
        },
        stdout(line) {
          if (run.state === 'running') run.stdout += `${line}\r\n`;
        },
        stderr(text) {
          if (run.state === 'running') run.stderr += text;
        },
        exit(code) {
          if (run.state !== 'running') return;
          run.state = 'exited';
          run.code = code;
          report();
        },
      };
    },
    restartVm(vmName) {
      const vm = [...resources.values()].find((r) => String(r.type).toLowerCase() === 'microsoft.compute/virtualmachines' && r.name === vmName);
      if (!vm) throw new Error(`no VM ${vmName} in the fake ARM`);
      const ext = [...resources.values()].find((r) => String(r.type).toLowerCase() === 'microsoft.compute/virtualmachines/extensions' && String(r.id).split('/')[8] === vmName);
      const run = (ext as { __cse?: { state: CustomScriptRun['state']; stdout: string; stderr: string; code: number } } | undefined)?.__cse;
      if (ext && run?.state === 'running') {
        run.state = 'interrupted';
        run.code = 1;
        ext.properties.instanceView = cseInstanceView(ext, run);
        ext.properties.provisioningState = 'Failed';
      }
    },
    get: (id) => resources.get(id.toLowerCase()),
    ofType: (type) => [...resources.values()].filter((r) => String(r.type).toLowerCase() === type.toLowerCase()),
    close: async () => {
      agent.destroy();
      server.closeAllConnections();
      await Promise.all([new Promise<void>((resolve) => server.close(() => resolve())), new Promise<void>((resolve) => identityServer.close(() => resolve()))]);
    },
  };
  return fakeArm;

  /** ARM returns a VNet with its subnets inline. */
  function withSubnets(vnet: Json): Json {
    const prefix = `${String(vnet.id).toLowerCase()}/subnets/`;
    const subnets = [...resources.values()].filter((r) => String(r.id).toLowerCase().startsWith(prefix)).map((r) => ({ id: r.id, name: r.name, properties: r.properties ?? {} }));
    return { ...vnet, properties: { ...vnet.properties, subnets } };
  }
}

export interface DeliveredBootstrap {
  /** C:\AzureData\CustomData.bin as the VM would see it (decoded). */
  customDataBin: string;
  /** The script customData carries (the stub unpacked), before the stub puts the token in. */
  customDataScript: string;
  /** The Custom Script Extension's commandToExecute (from protectedSettings, or settings). */
  commandToExecute: string;
  /** Whether the command came in protectedSettings (encrypted to the VM, never returned by ARM). */
  protectedCommand: boolean;
  /** The full bootstrap script as the node finally runs it: the stub's token slot filled from -Token. */
  script: string;
}

/**
 * What a simulated node reads back, as a real one would: its customData file and the command
 * the Custom Script Extension runs, and what the stub makes of them (the token the command hands
 * over put in the slot the stub names). Throws when the VM or its extension is missing.
 */
export function readBootstrap(fake: FakeArm, vmName: string): DeliveredBootstrap {
  const vm = fake.ofType('Microsoft.Compute/virtualMachines').find((r) => r.name === vmName);
  if (!vm) throw new Error(`no VM ${vmName} in the fake ARM`);
  const secret = (vm as { __secret?: { customData?: string } }).__secret;
  if (!secret?.customData) throw new Error(`VM ${vmName} has no customData`);
  const ext = fake.ofType('Microsoft.Compute/virtualMachines/extensions').find((r) => String(r.id).toLowerCase().startsWith(`${String(vm.id).toLowerCase()}/extensions/`));
  const hidden = ext?.properties?.protectedSettings?.commandToExecute;
  const cmd = hidden ?? ext?.properties?.settings?.commandToExecute;
  if (typeof cmd !== 'string') throw new Error(`VM ${vmName} has no Custom Script Extension command`);
  const customDataBin = Buffer.from(secret.customData, 'base64').toString('utf8');
  const customDataScript = scriptFromUserData(customDataBin);
  let script = customDataScript;
  const slot = /^\$slot = "`\$BootstrapToken = '([^']+)'"$/m.exec(customDataBin)?.[1];
  const token = /-Token '([^']*)'/.exec(cmd)?.[1];
  if (slot && token) script = script.replace(`$BootstrapToken = '${slot}'`, `$BootstrapToken = '${token}'`);
  return { customDataBin, customDataScript, commandToExecute: cmd, protectedCommand: typeof hidden === 'string', script };
}

/** The admin password ARM received for a VM (never returned by ARM's GET). */
export function adminPasswordOf(fake: FakeArm, vmName: string): string | undefined {
  const vm = fake.ofType('Microsoft.Compute/virtualMachines').find((r) => r.name === vmName);
  return (vm as { __secret?: { adminPassword?: string } } | undefined)?.__secret?.adminPassword;
}
