import { createPublicKey, randomBytes, verify, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { assertMatchesProto } from './proto-check.js';

/**
 * A fake Compute Engine REST API (the subset win-k8s uses) with real operation semantics:
 * an insert returns a RUNNING Operation and only a later wait or get says DONE, possibly with
 * error.errors[] (which the SDK does not throw). Every response body is checked against the
 * package's compute.proto types before it is sent; a mismatch is recorded in `violations`
 * and answered with a 500 so that the test fails.
 */

type Json = Record<string, unknown>;

export interface FakeOperation extends Json {
  name: string;
  status: 'PENDING' | 'RUNNING' | 'DONE';
}

interface PendingOp {
  op: FakeOperation;
  scope: { zone?: string };
  /** Runs when the operation completes; returns the operation's errors, if any. */
  complete: () => Array<{ code: string; message: string }> | undefined;
  /** Waits or gets still answered RUNNING before the operation completes. */
  remaining: number;
}

export interface FakeImage {
  project: string;
  name: string;
  family: string;
  diskSizeGb: number;
  windows: boolean;
  status?: string;
}

export interface GceFakeSeed {
  project: string;
  zones: Record<string, string[]>;
  images: FakeImage[];
  networks: Array<{ name: string; subnetworks: Array<{ name: string; region: string; ipCidrRange: string; secondaryIpRanges?: Array<{ rangeName: string; ipCidrRange: string }> }> }>;
  instances?: Array<{ name: string; zone: string; subnetwork: string; networkIP: string; labels?: Record<string, string> }>;
  /**
   * Answer 401 UNAUTHENTICATED, as the real API does, unless a request carries a bearer JWT
   * signed by this service account's key (a self-signed JWT: google-auth-library makes one from
   * a key file without calling a token endpoint). Off by default: the provider tests use an
   * anonymous client.
   */
  requireAuth?: { publicKeyPem: string; clientEmail: string };
}

export interface GceFake {
  url: string;
  port: number;
  /** Stored instances by "zone/name", as the API holds them (metadata included). */
  instances: Map<string, Json>;
  firewalls: Map<string, Json>;
  /** Every request the fake answered: method and path with query, and who signed it (requireAuth). */
  requests: Array<{ method: string; path: string; body?: unknown; principal?: string }>;
  /** Responses that failed the proto check: the test must fail on any of these. */
  violations: string[];
  /** The last body sent of each proto type, for the proto-check tests. */
  samples: Map<string, unknown>;
  faults: {
    /** The next `count` API calls fail with this rate-limit error. */
    rateLimit(count: number, status?: 403 | 429, reason?: 'rateLimitExceeded' | 'userRateLimitExceeded'): void;
    /** The next calls fail with this 5xx. */
    serverError(count: number, status?: 500 | 503): void;
    /**
     * The insert of this instance (or firewall rule) ends in a DONE operation carrying this
     * error. A pattern fails the first insert whose name matches (for names chosen at random).
     */
    operationError(resource: string | RegExp, code: string, message: string): void;
    /**
     * The next `count` requests matching are refused with this HTTP error before anything is
     * done, as the API refuses a call it will not start (a 403 quotaExceeded on an insert).
     */
    refuse(method: string, path: RegExp, status: number, reason: string, message: string, count?: number): void;
    /** The next request matching is carried out, but its answer is lost: the client sees a 503. */
    loseResponse(method: string, path: RegExp): void;
    /** Operations created from now on answer `polls` waits or gets with RUNNING before DONE. */
    slowOperations(polls: number): void;
    /** The next response of this proto type gets this change before it is checked and sent. */
    mutateNext(typeName: string, mutate: (body: Json) => void): void;
    /**
     * Just before the next `count` setMetadata calls are handled, something else (the guest
     * agent, another tool) writes this key into the instance's metadata: its fingerprint changes,
     * so a call carrying the fingerprint read before is refused as stale.
     */
    metadataWrittenBehind(key: string, value: string, count?: number): void;
  };
  /**
   * Everything written to serial port 1 of an instance; a simulated node appends its
   * `win-k8s: ...` lines here. The API serves only the newest SERIAL_BUFFER_BYTES of it.
   */
  serialPort: Map<string, string>;
  /** The value of a metadata key of a stored instance (e.g. windows-startup-script-ps1). */
  metadataValue(zone: string, name: string, key: string): string | undefined;
  /** The metadata keys of a stored instance, in order. */
  metadataKeys(zone: string, name: string): string[];
  /**
   * Whether the guest of a stored instance sees virtualization extensions (VT-x): only when it
   * was created with advancedMachineFeatures.enableNestedVirtualization on a series that has it.
   */
  nestedVirtualization(zone: string, name: string): boolean;
  /**
   * Regional quota limits by `<region>/<METRIC>` (CPUS, N2_CPUS, SSD_TOTAL_GB, IN_USE_ADDRESSES
   * ...); unset ones have QUOTA_DEFAULTS. Usage is what the fake's instances in the region use,
   * plus `quotaUsed` (the project's other workloads). reset() clears both.
   */
  quotaLimits: Map<string, number>;
  quotaUsed: Map<string, number>;
  reset(seed: GceFakeSeed): void;
  stop(): Promise<void>;
}

/**
 * Machine series with a vCPU quota of their own (N2_CPUS ...): their VMs do not count against
 * CPUS, which E2, N1 and the other general-purpose series share.
 */
export const SERIES_CPU_QUOTA = new Set(['N2', 'N2D', 'C2', 'C2D', 'C3', 'C3D', 'T2D', 'M1', 'M2', 'M3', 'A2']);

/** Limits of a new project where the test set none (CPUS and the series' vCPUs: 24). */
export const QUOTA_DEFAULTS: Record<string, number> = { CPUS: 24, DISKS_TOTAL_GB: 4096, SSD_TOTAL_GB: 500, IN_USE_ADDRESSES: 8, INSTANCES: 960 };

const NAME_RE = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const LABEL_KEY_RE = /^[a-z][a-z0-9_-]{0,62}$/;
const LABEL_VALUE_RE = /^[a-z0-9_-]{0,63}$/;
const METADATA_VALUE_LIMIT = 256 * 1024;
/** What a self-signed JWT must name instead of a token endpoint: the service, or a scope that covers Compute. */
const COMPUTE_AUDIENCE = 'https://compute.googleapis.com/';
const COMPUTE_SCOPES = new Set(['https://www.googleapis.com/auth/compute', 'https://www.googleapis.com/auth/cloud-platform']);
const MISSING_CREDENTIALS = 'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.';
const INVALID_CREDENTIALS = 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.';

/**
 * Machine series on which Compute Engine offers nested virtualization (kept here apart from the
 * provider's own table, so that a shared mistake does not pass both): Intel series only; not
 * E2, not the AMD series (N2D, C2D, C3D, T2D, C4D), not Arm (T2A, C4A), not the memory-optimized
 * M series (the "About nested virtualization" restrictions).
 */
const NESTED_SERIES = new Set(['n1', 'n2', 'n4', 'c2', 'c3', 'c4']);

/** A new metadata fingerprint: opaque base64, changed on every write, as the API's is. */
function newFingerprint(): string {
  return randomBytes(8).toString('base64');
}

/** Compute Engine keeps the newest 1 MB of a serial port and returns at most that per call. */
export const SERIAL_BUFFER_BYTES = 1024 * 1024;

/**
 * instances.getSerialPortOutput as documented: `start` (int64, default 0) is a byte position
 * in all the output ever written; a negative one counts back from the newest byte. Output older
 * than the buffer is gone: a start inside it is moved to the oldest byte still held, and that
 * adjusted position is what `start` says. `next` is the position after the returned bytes, the
 * `start` of the following call.
 */
function serialWindow(written: string, startParam: string | null): { contents: string; start: string; next: string } {
  if (startParam !== null && !/^-?\d+$/.test(startParam)) throw new ApiError(400, 'invalid', `Invalid value '${startParam}'. Values must match the following regular expression: '-?\\d+'`);
  const bytes = Buffer.from(written, 'utf8');
  const total = bytes.length;
  const oldest = Math.max(0, total - SERIAL_BUFFER_BYTES);
  const asked = startParam === null ? 0 : Number(startParam);
  const from = Math.min(total, Math.max(oldest, asked < 0 ? total + asked : asked));
  const to = Math.min(total, from + SERIAL_BUFFER_BYTES);
  return { contents: bytes.subarray(from, to).toString('utf8'), start: String(from), next: String(to) };
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Checks a self-signed service-account JWT the way Google's front end does: RS256 signature by
 * the account's key, iss = sub = the account, a live exp/iat of at most an hour, and either the
 * service as audience or a scope that covers Compute. Returns the account, or throws a 401.
 */
export function verifyServiceAccountJwt(authorization: string | undefined, key: KeyObject, clientEmail: string, now = Date.now()): string {
  if (!authorization) throw new ApiError(401, 'required', MISSING_CREDENTIALS);
  const m = /^Bearer ([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(authorization);
  if (!m) throw new ApiError(401, 'authError', INVALID_CREDENTIALS);
  const [, h, p, sig] = m as unknown as [string, string, string, string];
  let header: Json;
  let claims: Json;
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as Json;
    claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Json;
  } catch {
    throw new ApiError(401, 'authError', INVALID_CREDENTIALS);
  }
  if (header.alg !== 'RS256' || !verify('RSA-SHA256', Buffer.from(`${h}.${p}`), key, Buffer.from(sig, 'base64url'))) throw new ApiError(401, 'authError', INVALID_CREDENTIALS);
  const seconds = Math.floor(now / 1000);
  const iat = Number(claims.iat);
  const exp = Number(claims.exp);
  if (claims.iss !== clientEmail || claims.sub !== clientEmail) throw new ApiError(401, 'authError', INVALID_CREDENTIALS);
  if (!Number.isFinite(iat) || !Number.isFinite(exp) || iat > seconds + 300 || exp <= seconds || exp - iat > 3600) throw new ApiError(401, 'authError', INVALID_CREDENTIALS);
  const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ') : [];
  if (claims.aud !== COMPUTE_AUDIENCE && !scopes.some((s) => COMPUTE_SCOPES.has(s))) throw new ApiError(401, 'authError', INVALID_CREDENTIALS);
  return clientEmail;
}

export async function startGceFake(seed: GceFakeSeed): Promise<GceFake> {
  let state = freshState(seed);
  const quotaLimits = new Map<string, number>();
  const quotaUsed = new Map<string, number>();
  let auth = authOf(seed);
  const requests: GceFake['requests'] = [];
  const violations: string[] = [];
  const samples = new Map<string, unknown>();
  const serialPort = new Map<string, string>();
  let rateLimited: { count: number; status: number; reason: string } | undefined;
  let serverErrors: { count: number; status: number } | undefined;
  const opErrors: Array<{ resource: string | RegExp; code: string; message: string }> = [];
  /** The first queued operation error for this resource, used up by the insert it fails. */
  function takeOpError(name: string): { code: string; message: string } | undefined {
    const i = opErrors.findIndex((e) => (typeof e.resource === 'string' ? e.resource === name : e.resource.test(name)));
    if (i < 0) return undefined;
    const [e] = opErrors.splice(i, 1);
    return { code: e!.code, message: e!.message };
  }
  const mutations = new Map<string, (body: Json) => void>();
  let opCounter = 0;
  let slowPolls = 0;
  let lose: { method: string; path: RegExp } | undefined;
  const behind: Array<{ key: string; value: string; count: number }> = [];
  const refusals: Array<{ method: string; path: RegExp; error: ApiError; count: number }> = [];
  let idCounter = 1000;

  const base = () => `http://127.0.0.1:${port}/compute/v1`;
  function selfLink(path: string): string {
    return `https://www.googleapis.com/compute/v1/${path}`;
  }

  function newOp(kind: string, target: string, scope: { zone?: string }, complete: PendingOp['complete']): FakeOperation {
    const name = `operation-${++opCounter}-${kind}`;
    const op: FakeOperation = {
      kind: 'compute#operation',
      id: String(++idCounter),
      name,
      operationType: kind,
      targetLink: target,
      status: 'RUNNING',
      progress: 0,
      insertTime: new Date().toISOString(),
      ...(scope.zone ? { zone: selfLink(`projects/${state.project}/zones/${scope.zone}`) } : {}),
      selfLink: selfLink(`projects/${state.project}/${scope.zone ? `zones/${scope.zone}` : 'global'}/operations/${name}`),
    };
    state.ops.set(name, { op, scope, complete, remaining: slowPolls });
    return op;
  }

  /** An operation becomes DONE the first time someone waits for or reads it after the insert. */
  function finish(name: string): FakeOperation {
    const pending = state.ops.get(name);
    if (!pending) throw new ApiError(404, 'notFound', `The resource 'operations/${name}' was not found`);
    if (pending.op.status !== 'DONE' && pending.remaining > 0) {
      pending.remaining--;
      pending.op.progress = 50;
      return pending.op;
    }
    if (pending.op.status !== 'DONE') {
      const errors = pending.complete();
      pending.op.status = 'DONE';
      pending.op.progress = 100;
      pending.op.endTime = new Date().toISOString();
      if (errors) {
        pending.op.error = { errors: errors.map((e) => ({ code: e.code, message: e.message })) };
        pending.op.httpErrorStatusCode = 403;
        pending.op.httpErrorMessage = 'FORBIDDEN';
      }
    }
    return pending.op;
  }

  function validateLabels(labels: unknown): void {
    if (labels === undefined) return;
    for (const [k, v] of Object.entries(labels as Record<string, unknown>)) {
      if (!LABEL_KEY_RE.test(k)) throw new ApiError(400, 'invalid', `Invalid value for field 'resource.labels': label key '${k}' violates format constraints.`);
      if (typeof v !== 'string' || !LABEL_VALUE_RE.test(v)) throw new ApiError(400, 'invalid', `Invalid value for field 'resource.labels': label value '${String(v)}' violates format constraints.`);
    }
  }

  function insertInstance(zone: string, body: Json): FakeOperation {
    assertMatchesProto('Instance', body);
    const name = String(body.name ?? '');
    if (!NAME_RE.test(name)) throw new ApiError(400, 'invalid', `Invalid value for field 'resource.name': '${name}'. Must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'`);
    if (state.instances.has(`${zone}/${name}`)) throw new ApiError(409, 'alreadyExists', `The resource 'projects/${state.project}/zones/${zone}/instances/${name}' already exists`);
    validateLabels(body.labels);
    const mt = String(body.machineType ?? '');
    const mtName = mt.split('/').pop() ?? '';
    if (!(state.zones[zone] ?? []).includes(mtName)) throw new ApiError(400, 'invalid', `Invalid value for field 'resource.machineType': '${mt}'. Machine type with name '${mtName}' does not exist in zone '${zone}'.`);
    const items = ((body.metadata as Json | undefined)?.items as Array<{ key: string; value: string }> | undefined) ?? [];
    validateMetadataItems(items, 'resource.metadata');
    // The API's wording for this refusal was not found; it is assumed to read like its refusal of
    // an unsupported threadsPerCore ("The selected machine type (...) does not support SMT
    // settings.", 400 badRequest). What matters is that the insert is refused, not created.
    const nested = (body.advancedMachineFeatures as Json | undefined)?.enableNestedVirtualization === true;
    if (nested && !NESTED_SERIES.has(mtName.split('-')[0] ?? '')) throw new ApiError(400, 'badRequest', `The selected machine type (${mtName}) does not support nested virtualization.`);
    const nic = ((body.networkInterfaces as Json[] | undefined) ?? [])[0];
    const subnet = state.subnetworks.get(String(nic?.subnetwork ?? '').replace(/^.*\/projects\//, 'projects/'));
    if (!subnet) throw new ApiError(400, 'invalid', `Invalid value for field 'resource.networkInterfaces[0].subnetwork': '${String(nic?.subnetwork)}'. The referenced subnetwork resource cannot be found.`);
    const disk = ((body.disks as Json[] | undefined) ?? [])[0];
    const sourceImage = String((disk?.initializeParams as Json | undefined)?.sourceImage ?? '');
    if (!state.images.some((i) => sourceImage.endsWith(`projects/${i.project}/global/images/${i.name}`))) throw new ApiError(400, 'invalid', `Invalid value for field 'resource.disks[0].initializeParams.sourceImage': '${sourceImage}'. The referenced image resource cannot be found.`);
    const target = selfLink(`projects/${state.project}/zones/${zone}/instances/${name}`);
    const ip = `${String(subnet.ipCidrRange).split('/')[0]!.split('.').slice(0, 3).join('.')}.${++state.nextIp}`;
    const failure = takeOpError(name);
    const op = newOp('insert', target, { zone }, () => {
      if (failure) return [failure];
      const stored = state.instances.get(`${zone}/${name}`);
      if (stored) stored.status = 'RUNNING';
      return undefined;
    });
    if (!failure) {
      state.instances.set(`${zone}/${name}`, {
        ...body,
        kind: 'compute#instance',
        id: String(++idCounter),
        status: 'PROVISIONING',
        zone: selfLink(`projects/${state.project}/zones/${zone}`),
        selfLink: target,
        machineType: selfLink(`projects/${state.project}/zones/${zone}/machineTypes/${mtName}`),
        networkInterfaces: [{ ...nic, name: 'nic0', networkIP: ip, network: subnet.network, subnetwork: subnet.selfLink }],
        metadata: { kind: 'compute#metadata', fingerprint: newFingerprint(), items },
        creationTimestamp: new Date().toISOString(),
      });
      serialPort.set(`${zone}/${name}`, '');
    }
    return op;
  }

  function validateMetadataItems(items: Array<{ key: string; value: string }>, field: string): void {
    const keys = new Set<string>();
    for (const item of items) {
      if (keys.has(item.key)) throw new ApiError(400, 'invalid', `Invalid value for field '${field}': duplicate metadata key '${item.key}'`);
      keys.add(item.key);
      if (Buffer.byteLength(item.value ?? '', 'utf8') > METADATA_VALUE_LIMIT) throw new ApiError(400, 'invalid', `Invalid value for field '${field}': metadata value for key '${item.key}' exceeds 262144 bytes`);
    }
  }

  /**
   * instances.setMetadata as the Metadata message documents it: the whole item list is replaced,
   * and only with the current fingerprint (optimistic locking). A missing or stale one is
   * refused with 412 conditionNotMet, and every accepted change gets a new fingerprint.
   */
  function setMetadata(zone: string, key: string, instance: Json, body: Json): FakeOperation {
    assertMatchesProto('Metadata', body);
    if (behind.length > 0) {
      const b = behind[0]!;
      if (--b.count <= 0) behind.shift();
      writeMetadataItem(instance, b.key, b.value);
    }
    const current = instance.metadata as { fingerprint: string; items: Array<{ key: string; value: string }> };
    if (body.fingerprint !== current.fingerprint) throw new ApiError(412, 'conditionNotMet', 'Supplied fingerprint does not match current metadata fingerprint.');
    const items = ((body.items as Array<{ key: string; value: string }> | undefined) ?? []).map((i) => ({ key: i.key, value: i.value }));
    validateMetadataItems(items, 'resource.metadata');
    instance.metadata = { kind: 'compute#metadata', fingerprint: newFingerprint(), items };
    return newOp('setMetadata', String(instance.selfLink), { zone }, () => (state.instances.has(key) ? undefined : [{ code: 'RESOURCE_NOT_FOUND', message: `The resource '${String(instance.selfLink)}' was not found` }]));
  }

  function writeMetadataItem(instance: Json, key: string, value: string): void {
    const current = instance.metadata as { items: Array<{ key: string; value: string }> };
    const items = current.items.filter((i) => i.key !== key);
    items.push({ key, value });
    instance.metadata = { kind: 'compute#metadata', fingerprint: newFingerprint(), items };
  }

  function matchesFilter(instance: Json, filter: string | null): boolean {
    if (!filter) return true;
    const labels = (instance.labels ?? {}) as Record<string, string>;
    const terms = [...filter.matchAll(/labels\.([a-z0-9_-]+)\s*=\s*"([^"]*)"/g)];
    if (terms.length === 0) throw new ApiError(400, 'invalid', `Invalid list filter expression '${filter}'`);
    return terms.every((t) => labels[t[1]!] === t[2]);
  }

  function route(method: string, path: string, query: URLSearchParams, body: Json | undefined): { type: string; body: Json } {
    const p = state.project;
    let m: RegExpExecArray | null;
    const proj = '/compute/v1/projects/([^/]+)';
    const requireProject = (x: string) => {
      if (x !== p && x !== 'windows-cloud' && !state.images.some((i) => i.project === x)) throw new ApiError(404, 'notFound', `The resource 'projects/${x}' was not found`);
    };

    if ((m = new RegExp(`^${proj}/global/images/family/([^/]+)$`).exec(path)) && method === 'GET') {
      requireProject(m[1]!);
      const candidates = state.images.filter((i) => i.project === m![1] && i.family === m![2]);
      const image = candidates.at(-1);
      if (!image) throw new ApiError(404, 'notFound', `The resource 'projects/${m[1]}/global/images/family/${m[2]}' was not found`);
      return { type: 'Image', body: imageBody(image) };
    }
    if ((m = new RegExp(`^${proj}/global/images/([^/]+)$`).exec(path)) && method === 'GET') {
      const image = state.images.find((i) => i.project === m![1] && i.name === m![2]);
      if (!image) throw new ApiError(404, 'notFound', `The resource 'projects/${m[1]}/global/images/${m[2]}' was not found`);
      return { type: 'Image', body: imageBody(image) };
    }
    if ((m = new RegExp(`^${proj}/zones/([^/]+)/machineTypes$`).exec(path)) && method === 'GET') {
      const zone = m[2]!;
      if (!state.zones[zone]) throw new ApiError(404, 'notFound', `The resource 'projects/${m[1]}/zones/${zone}' was not found`);
      return { type: 'MachineTypeList', body: { kind: 'compute#machineTypeList', id: `projects/${m[1]}/zones/${zone}/machineTypes`, items: state.zones[zone]!.map((t) => machineTypeBody(m![1]!, zone, t)), selfLink: selfLink(`projects/${m[1]}/zones/${zone}/machineTypes`) } };
    }
    if ((m = new RegExp(`^${proj}/regions/([^/]+)/subnetworks$`).exec(path)) && method === 'GET') {
      const prefix = `projects/${m[1]}/regions/${m[2]}/subnetworks/`;
      const items = [...state.subnetworks.entries()].filter(([k]) => k.startsWith(prefix)).map(([, v]) => v);
      return { type: 'SubnetworkList', body: { kind: 'compute#subnetworkList', id: prefix.slice(0, -1), items, selfLink: selfLink(prefix.slice(0, -1)) } };
    }
    if ((m = new RegExp(`^${proj}/regions/([^/]+)$`).exec(path)) && method === 'GET') {
      if (m[1] !== p) throw new ApiError(404, 'notFound', `The resource 'projects/${m[1]}' was not found`);
      const region = m[2]!;
      const zones = Object.keys(state.zones).filter((z) => z.replace(/-[a-z]$/, '') === region);
      if (zones.length === 0) throw new ApiError(404, 'notFound', `The resource 'projects/${p}/regions/${region}' was not found`);
      return {
        type: 'Region',
        body: { kind: 'compute#region', id: String(1000 + region.length), name: region, description: region, status: 'UP', zones: zones.map((z) => selfLink(`projects/${p}/zones/${z}`)), quotas: regionQuotas(region, zones), selfLink: selfLink(`projects/${p}/regions/${region}`), supportsPzs: false },
      };
    }
    if ((m = new RegExp(`^${proj}/zones/([^/]+)/machineTypes/([^/]+)$`).exec(path)) && method === 'GET') {
      if (!(state.zones[m[2]!] ?? []).includes(m[3]!)) throw new ApiError(404, 'notFound', `The resource 'projects/${m[1]}/zones/${m[2]}/machineTypes/${m[3]}' was not found`);
      return { type: 'MachineType', body: machineTypeBody(m[1]!, m[2]!, m[3]!) };
    }
    if ((m = new RegExp(`^${proj}/regions/([^/]+)/subnetworks/([^/]+)$`).exec(path)) && method === 'GET') {
      const s = state.subnetworks.get(`projects/${m[1]}/regions/${m[2]}/subnetworks/${m[3]}`);
      if (!s) throw new ApiError(404, 'notFound', `The resource 'projects/${m[1]}/regions/${m[2]}/subnetworks/${m[3]}' was not found`);
      return { type: 'Subnetwork', body: s };
    }
    if ((m = new RegExp(`^${proj}/global/firewalls$`).exec(path)) && method === 'POST') {
      const fw = body ?? {};
      assertMatchesProto('Firewall', fw);
      const name = String(fw.name ?? '');
      if (!NAME_RE.test(name)) throw new ApiError(400, 'invalid', `Invalid value for field 'resource.name': '${name}'`);
      if (state.firewalls.has(name)) throw new ApiError(409, 'alreadyExists', `The resource 'projects/${p}/global/firewalls/${name}' already exists`);
      validateFirewall(fw);
      const target = selfLink(`projects/${p}/global/firewalls/${name}`);
      const failure = takeOpError(name);
      if (failure) return { type: 'Operation', body: newOp('insert', target, {}, () => [failure]) };
      state.firewalls.set(name, { ...fw, kind: 'compute#firewall', id: String(++idCounter), selfLink: target, creationTimestamp: new Date().toISOString() });
      return { type: 'Operation', body: newOp('insert', target, {}, () => undefined) };
    }
    if ((m = new RegExp(`^${proj}/global/firewalls/([^/]+)$`).exec(path))) {
      const name = m[2]!;
      const fw = state.firewalls.get(name);
      if (!fw) throw new ApiError(404, 'notFound', `The resource 'projects/${p}/global/firewalls/${name}' was not found`);
      if (method === 'GET') return { type: 'Firewall', body: fw };
      if (method === 'PUT' || method === 'PATCH') {
        assertMatchesProto('Firewall', body ?? {});
        validateFirewall(body ?? {});
        state.firewalls.set(name, method === 'PUT' ? { ...body, kind: fw.kind, id: fw.id, selfLink: fw.selfLink, creationTimestamp: fw.creationTimestamp, name } : { ...fw, ...body });
        return { type: 'Operation', body: newOp('update', String(fw.selfLink), {}, () => undefined) };
      }
      if (method === 'DELETE') {
        state.firewalls.delete(name);
        return { type: 'Operation', body: newOp('delete', String(fw.selfLink), {}, () => undefined) };
      }
    }
    if ((m = new RegExp(`^${proj}/global/operations/([^/]+)(/wait)?$`).exec(path))) {
      if ((m[3] && method === 'POST') || (!m[3] && method === 'GET')) return { type: 'Operation', body: finish(m[2]!) };
    }
    if ((m = new RegExp(`^${proj}/zones/([^/]+)/operations/([^/]+)(/wait)?$`).exec(path))) {
      if ((m[4] && method === 'POST') || (!m[4] && method === 'GET')) return { type: 'Operation', body: finish(m[3]!) };
    }
    if ((m = new RegExp(`^${proj}/zones/([^/]+)/instances$`).exec(path))) {
      const zone = m[2]!;
      if (!state.zones[zone]) throw new ApiError(404, 'notFound', `The resource 'projects/${m[1]}/zones/${zone}' was not found`);
      if (method === 'POST') return { type: 'Operation', body: insertInstance(zone, body ?? {}) };
      if (method === 'GET') {
        const items = [...state.instances.entries()].filter(([k, i]) => k.startsWith(`${zone}/`) && matchesFilter(i, query.get('filter'))).map(([, i]) => i);
        const max = Number(query.get('maxResults') ?? 500);
        const start = Number(query.get('pageToken') ?? 0);
        const page = items.slice(start, start + max);
        return {
          type: 'InstanceList',
          body: { kind: 'compute#instanceList', id: `projects/${m[1]}/zones/${zone}/instances`, items: page, ...(start + max < items.length ? { nextPageToken: String(start + max) } : {}), selfLink: selfLink(`projects/${m[1]}/zones/${zone}/instances`) },
        };
      }
    }
    if ((m = new RegExp(`^${proj}/zones/([^/]+)/instances/([^/]+)(/serialPort|/setMetadata)?$`).exec(path))) {
      const key = `${m[2]}/${m[3]}`;
      const instance = state.instances.get(key);
      if (!instance) throw new ApiError(404, 'notFound', `The resource 'projects/${m[1]}/zones/${m[2]}/instances/${m[3]}' was not found`);
      if (m[4] === '/setMetadata' && method === 'POST') return { type: 'Operation', body: setMetadata(m[2]!, key, instance, body ?? {}) };
      if (m[4] === '/serialPort' && method === 'GET') {
        const window = serialWindow(serialPort.get(key) ?? '', query.get('start'));
        return { type: 'SerialPortOutput', body: { kind: 'compute#serialPortOutput', ...window, selfLink: `${String(instance.selfLink)}/serialPort?port=${query.get('port') ?? 1}` } };
      }
      if (!m[4] && method === 'GET') return { type: 'Instance', body: instance };
      if (!m[4] && method === 'DELETE') {
        instance.status = 'STOPPING';
        const op = newOp('delete', String(instance.selfLink), { zone: m[2]! }, () => {
          state.instances.delete(key);
          serialPort.delete(key);
          return undefined;
        });
        return { type: 'Operation', body: op };
      }
    }
    throw new ApiError(404, 'notFound', `fake GCE: no route for ${method} ${path}`);
  }

  function validateFirewall(fw: Json): void {
    for (const range of (fw.sourceRanges as string[] | undefined) ?? []) {
      if (!/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(range) && !range.includes(':')) throw new ApiError(400, 'invalid', `Invalid value for field 'resource.sourceRanges': '${range}'`);
    }
    const network = String(fw.network ?? '');
    if (!state.networks.has(network.replace(/^.*\/projects\//, 'projects/'))) throw new ApiError(400, 'invalid', `Invalid value for field 'resource.network': '${network}'. The referenced network resource cannot be found.`);
  }

  /** What the region's instances use of each quota, against its limit. */
  function regionQuotas(region: string, zones: string[]): Json[] {
    const used = new Map<string, number>();
    const add = (metric: string, n: number) => used.set(metric, (used.get(metric) ?? 0) + n);
    for (const [key, instance] of state.instances) {
      if (!zones.includes(key.split('/')[0]!)) continue;
      const mt = String(instance.machineType ?? '').split('/').pop() ?? '';
      const series = (mt.split('-')[0] ?? '').toUpperCase();
      add(SERIES_CPU_QUOTA.has(series) ? `${series}_CPUS` : 'CPUS', Number(/-(\d+)$/.exec(mt)?.[1] ?? 2));
      add('INSTANCES', 1);
      for (const disk of (instance.disks as Json[] | undefined) ?? []) {
        const init = (disk.initializeParams as Json | undefined) ?? {};
        const type = String(init.diskType ?? 'pd-standard').split('/').pop();
        add(type === 'pd-standard' ? 'DISKS_TOTAL_GB' : 'SSD_TOTAL_GB', Number(init.diskSizeGb ?? disk.diskSizeGb ?? 0));
      }
      const nic = ((instance.networkInterfaces as Json[] | undefined) ?? [])[0];
      if (((nic?.accessConfigs as Json[] | undefined) ?? []).length > 0) add('IN_USE_ADDRESSES', 1);
    }
    const metrics = [...Object.keys(QUOTA_DEFAULTS), ...[...SERIES_CPU_QUOTA].map((s) => `${s}_CPUS`)];
    return metrics.map((metric) => ({
      metric,
      limit: quotaLimits.get(`${region}/${metric}`) ?? QUOTA_DEFAULTS[metric] ?? 24,
      usage: (used.get(metric) ?? 0) + (quotaUsed.get(`${region}/${metric}`) ?? 0),
    }));
  }

  function machineTypeBody(project: string, zone: string, name: string): Json {
    const cpus = Number(/-(\d+)$/.exec(name)?.[1] ?? 2);
    return { kind: 'compute#machineType', id: String(2000 + cpus), name, zone, guestCpus: cpus, memoryMb: cpus * 4096, selfLink: selfLink(`projects/${project}/zones/${zone}/machineTypes/${name}`) };
  }

  function imageBody(i: FakeImage): Json {
    return {
      kind: 'compute#image',
      id: String(1_000_000 + state.images.indexOf(i)),
      name: i.name,
      family: i.family,
      status: i.status ?? 'READY',
      diskSizeGb: String(i.diskSizeGb),
      selfLink: selfLink(`projects/${i.project}/global/images/${i.name}`),
      ...(i.windows
        ? { guestOsFeatures: [{ type: 'WINDOWS' }, { type: 'UEFI_COMPATIBLE' }], licenses: [selfLink(`projects/windows-cloud/global/licenses/${i.family.replace(/-core$/, '')}-dc`)] }
        : { guestOsFeatures: [{ type: 'UEFI_COMPATIBLE' }], licenses: [selfLink('projects/debian-cloud/global/licenses/debian-12-bookworm')] }),
      architecture: 'X86_64',
    };
  }

  function send(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
    res.end(text);
  }

  function sendError(res: ServerResponse, e: ApiError): void {
    if (e.status === 401) {
      // Google's front end, not Compute, answers these: with a status name and a challenge.
      res.setHeader('www-authenticate', 'Bearer realm="https://accounts.google.com/"');
      return send(res, 401, { error: { code: 401, message: e.message, errors: [{ message: e.message, domain: 'global', reason: e.reason, ...(e.reason === 'required' ? { location: 'Authorization', locationType: 'header' } : {}) }], status: 'UNAUTHENTICATED' } });
    }
    send(res, e.status, { error: { code: e.status, message: e.message, errors: [{ message: e.message, domain: e.status === 403 || e.status === 429 ? 'usageLimits' : 'global', reason: e.reason }] } });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    let body: Json | undefined;
    try {
      body = raw ? (JSON.parse(raw) as Json) : undefined;
    } catch {
      return sendError(res, new ApiError(400, 'parseError', 'This API does not support parsing form-encoded input.'));
    }
    const entry: GceFake['requests'][number] = { method, path: `${url.pathname}${url.search}`, ...(body !== undefined ? { body } : {}) };
    requests.push(entry);
    // Authentication comes before everything else, quotas and rate limits included.
    if (auth) {
      try {
        entry.principal = verifyServiceAccountJwt(req.headers.authorization, auth.key, auth.clientEmail);
      } catch (err) {
        return sendError(res, err as ApiError);
      }
    }
    if (rateLimited && rateLimited.count > 0) {
      rateLimited.count--;
      return sendError(res, new ApiError(rateLimited.status, rateLimited.reason, rateLimited.reason === 'userRateLimitExceeded' ? 'User Rate Limit Exceeded' : 'Rate Limit Exceeded'));
    }
    const refusal = refusals.find((r) => r.count > 0 && r.method === method && r.path.test(url.pathname));
    if (refusal) {
      refusal.count--;
      return sendError(res, refusal.error);
    }
    if (serverErrors && serverErrors.count > 0) {
      serverErrors.count--;
      return sendError(res, new ApiError(serverErrors.status, 'backendError', 'Internal error. Please try again or contact Google Support.'));
    }
    let result: { type: string; body: Json };
    // Like the real API, a mutation repeated with the same requestId returns the first one's operation.
    const requestId = method === 'GET' ? null : url.searchParams.get('requestId');
    try {
      const seen = requestId ? state.requestIds.get(requestId) : undefined;
      result = seen ? { type: 'Operation', body: seen } : route(method, url.pathname, url.searchParams, body);
      if (requestId && !seen && result.type === 'Operation') state.requestIds.set(requestId, result.body as FakeOperation);
    } catch (err) {
      if (err instanceof ApiError) return sendError(res, err);
      // A request the real API would reject for its shape (unknown field in what we were sent).
      return sendError(res, new ApiError(400, 'invalid', `Invalid JSON payload received. ${(err as Error).message}`));
    }
    if (lose && lose.method === method && lose.path.test(url.pathname)) {
      lose = undefined;
      return sendError(res, new ApiError(503, 'backendError', 'The service is currently unavailable.'));
    }
    const out = structuredClone(result.body);
    const mutate = mutations.get(result.type);
    if (mutate) {
      mutations.delete(result.type);
      mutate(out);
    }
    try {
      assertMatchesProto(result.type, out);
    } catch (err) {
      const text = `${method} ${url.pathname}: response is not a valid ${result.type}: ${(err as Error).message}`;
      violations.push(text);
      return send(res, 500, { error: { code: 500, message: `fake GCE: ${text}`, errors: [{ reason: 'fakeProtoViolation', message: text, domain: 'global' }] } });
    }
    samples.set(result.type, out);
    send(res, 200, out);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      violations.push(`fake GCE crashed: ${String(err)}`);
      if (!res.headersSent) send(res, 500, { error: { code: 500, message: String(err) } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: base(),
    port,
    get instances() {
      return state.instances;
    },
    get firewalls() {
      return state.firewalls;
    },
    requests,
    violations,
    samples,
    serialPort,
    faults: {
      rateLimit(count, status = 429, reason = 'rateLimitExceeded') {
        rateLimited = { count, status, reason };
      },
      serverError(count, status = 503) {
        serverErrors = { count, status };
      },
      operationError(resource, code, message) {
        opErrors.push({ resource, code, message });
      },
      refuse(method, path, status, reason, message, count = 1) {
        refusals.push({ method, path, error: new ApiError(status, reason, message), count });
      },
      loseResponse(method, path) {
        lose = { method, path };
      },
      slowOperations(polls) {
        slowPolls = polls;
      },
      mutateNext(typeName, mutate) {
        mutations.set(typeName, mutate);
      },
      metadataWrittenBehind(key, value, count = 1) {
        behind.push({ key, value, count });
      },
    },
    metadataValue(zone, name, key) {
      const items = ((state.instances.get(`${zone}/${name}`)?.metadata as Json | undefined)?.items as Array<{ key: string; value: string }> | undefined) ?? [];
      return items.find((i) => i.key === key)?.value;
    },
    metadataKeys(zone, name) {
      const items = ((state.instances.get(`${zone}/${name}`)?.metadata as Json | undefined)?.items as Array<{ key: string }> | undefined) ?? [];
      return items.map((i) => i.key);
    },
    nestedVirtualization(zone, name) {
      const i = state.instances.get(`${zone}/${name}`);
      const series = String(i?.machineType ?? '').split('/').pop()?.split('-')[0] ?? '';
      return (i?.advancedMachineFeatures as Json | undefined)?.enableNestedVirtualization === true && NESTED_SERIES.has(series);
    },
    quotaLimits,
    quotaUsed,
    reset(next) {
      state = freshState(next);
      quotaLimits.clear();
      quotaUsed.clear();
      auth = authOf(next);
      requests.length = 0;
      violations.length = 0;
      samples.clear();
      serialPort.clear();
      rateLimited = undefined;
      serverErrors = undefined;
      opErrors.length = 0;
      mutations.clear();
      slowPolls = 0;
      lose = undefined;
      refusals.length = 0;
      behind.length = 0;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  function authOf(s: GceFakeSeed): { key: KeyObject; clientEmail: string } | undefined {
    return s.requireAuth ? { key: createPublicKey(s.requireAuth.publicKeyPem), clientEmail: s.requireAuth.clientEmail } : undefined;
  }

  function freshState(s: GceFakeSeed) {
    const subnetworks = new Map<string, Json>();
    const networks = new Map<string, Json>();
    for (const n of s.networks) {
      const network = selfLink(`projects/${s.project}/global/networks/${n.name}`);
      networks.set(`projects/${s.project}/global/networks/${n.name}`, { name: n.name, selfLink: network });
      for (const sub of n.subnetworks) {
        const path = `projects/${s.project}/regions/${sub.region}/subnetworks/${sub.name}`;
        subnetworks.set(path, { kind: 'compute#subnetwork', id: String(5000 + subnetworks.size), name: sub.name, region: selfLink(`projects/${s.project}/regions/${sub.region}`), network, ipCidrRange: sub.ipCidrRange, gatewayAddress: sub.ipCidrRange.replace(/\d+\/\d+$/, '1'), selfLink: selfLink(path), stackType: 'IPV4_ONLY', ...(sub.secondaryIpRanges ? { secondaryIpRanges: sub.secondaryIpRanges } : {}) });
      }
    }
    const instances = new Map<string, Json>();
    for (const i of s.instances ?? []) {
      const sub = subnetworks.get(i.subnetwork);
      instances.set(`${i.zone}/${i.name}`, {
        kind: 'compute#instance',
        id: String(900 + instances.size),
        name: i.name,
        status: 'RUNNING',
        zone: selfLink(`projects/${s.project}/zones/${i.zone}`),
        machineType: selfLink(`projects/${s.project}/zones/${i.zone}/machineTypes/e2-standard-2`),
        labels: i.labels ?? {},
        networkInterfaces: [{ name: 'nic0', network: sub?.network, subnetwork: sub?.selfLink, networkIP: i.networkIP }],
        metadata: { kind: 'compute#metadata', fingerprint: newFingerprint(), items: [] },
        selfLink: selfLink(`projects/${s.project}/zones/${i.zone}/instances/${i.name}`),
      });
    }
    return {
      project: s.project,
      zones: s.zones,
      images: s.images,
      subnetworks,
      networks,
      instances,
      firewalls: new Map<string, Json>(),
      ops: new Map<string, PendingOp>(),
      requestIds: new Map<string, FakeOperation>(),
      nextIp: 10,
    };
  }
}
