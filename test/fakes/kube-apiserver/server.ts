/**
 * FakeKubeApiServer: a wire-level fake of kube-apiserver for tests (HTTPS on 127.0.0.1, port 0).
 * See README.md in this folder for what it implements and how to use it.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { getKubePki, readCsrSubject } from '../../helpers/kube-pki.js';
import type { KubePki } from '../../helpers/kube-pki.js';
import { authenticate, Authorizer, BOOTSTRAP_TOKEN_RE, forbiddenMessage } from './auth.js';
import type { PeerCert } from './auth.js';
import { writeKubeconfig } from './kubeconfig.js';
import type { KubeconfigOptions } from './kubeconfig.js';
import { decodeKubernetesProtobuf, isKubernetesProtobuf } from './protobuf.js';
import { applyJsonPatch, jsonMergePatch, strategicMergePatch } from './patch.js';
import { defaultResourceTypes, ResourceRegistry } from './resources.js';
import { compileFilter, labelSelectorObjectToRequirements, matchesFilter, matchesLabelRequirements } from './selectors.js';
import type { ObjectFilter } from './selectors.js';
import {
  alreadyExists,
  ApiError,
  badRequest,
  conflict,
  genericError,
  invalid,
  methodNotAllowed,
  notFound,
  statusBody,
  successStatus,
  unauthorized,
} from './status.js';
import { normalizeObject, ObjectStore } from './store.js';
import { toTable, wantsTable } from './table.js';
import type {
  AuthzAttributes,
  ChangeEvent,
  Grant,
  KubeObject,
  PolicyRule,
  ResourceType,
  TokenEntry,
  UserInfo,
  WatchEventType,
} from './types.js';
import { apiVersionOf } from './types.js';
import { clone, deepEqual, isRecord, rfc3339 } from './util.js';

export interface VersionInfo {
  major: string;
  minor: string;
  gitVersion: string;
  gitCommit: string;
  gitTreeState: string;
  buildDate: string;
  goVersion: string;
  compiler: string;
  platform: string;
  emulationMajor?: string;
  emulationMinor?: string;
  minCompatibilityMajor?: string;
  minCompatibilityMinor?: string;
}

export interface SeedContext {
  /** https://127.0.0.1:<port> */
  url: string;
  /** host:port */
  hostPort: string;
  caPem: string;
  /** The CA PEM, base64 (certificate-authority-data). */
  caData: string;
  server: FakeKubeApiServer;
  store: ObjectStore;
}

export interface FakeKubeApiServerOptions {
  /** Fixture name, for messages. */
  name?: string;
  /** e.g. "v1.33.2" or "v1.33.5-eks-3025e55" (default v1.33.2). */
  gitVersion?: string;
  /** Overrides of the /version body. */
  version?: Partial<VersionInfo>;
  /** Bearer token -> user. */
  tokens?: Record<string, TokenEntry>;
  /** Rule table (in addition to RBAC objects in the store). */
  grants?: Grant[];
  /** Groups allowed everything (default ["system:masters"]). */
  superGroups?: string[];
  /** Allow requests without credentials as system:anonymous (default true). */
  anonymousAuth?: boolean;
  /** Evaluate ClusterRole/ClusterRoleBinding/Role/RoleBinding objects in the store (default true). */
  rbacFromStore?: boolean;
  /** Let system:node:<name> (group system:nodes) do what a kubelet does (default true). */
  nodeAuthorizer?: boolean;
  /** Replace the served resource types (default: defaultResourceTypes()). */
  resources?: ResourceType[];
  /** Add resource types to the default set. */
  extraResources?: ResourceType[];
  /** Delay before every response. */
  latencyMs?: number;
  /** PKI to serve with (default: the process-wide getKubePki()). */
  pki?: KubePki;
  /** Auto-approve kubelet client CSRs whose requester may create certificatesigningrequests/nodeclient (default true). */
  autoApproveNodeCsrs?: boolean;
  /** Sign approved CSRs for kube-apiserver-client(-kubelet) signers with the CA (default true). */
  signApprovedCsrs?: boolean;
  /**
   * Pods bound to a node get deletionTimestamp on DELETE and stay until deleted with
   * gracePeriodSeconds=0 (as a kubelet would); default false = delete at once.
   */
  podGracefulDeletion?: boolean;
  /** Pod logs: "ns/pod" or "ns/pod/container" -> text. */
  podLogs?: Record<string, string>;
  /** Service cluster IP range used to allocate clusterIPs (default 10.96.0.0/12). */
  serviceCidr?: string;
  /** Called by start() once the URL is known, to seed objects. */
  seed?: (ctx: SeedContext) => void | Promise<void>;
}

export interface RequestLogEntry {
  time: string;
  method: string;
  path: string;
  query: Record<string, string>;
  user?: string;
  groups?: string[];
  verb?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  /** HTTP status; for a watch, 200 once the stream starts. */
  status?: number;
  durationMs?: number;
  /** Set when an injected fault answered this request. */
  fault?: boolean;
}

export interface FaultRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  user?: UserInfo;
  verb?: string;
  apiGroup?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

export interface FaultSpec {
  /** Predicate on the request; combined (AND) with the simple matchers below. */
  match?: (req: FaultRequest) => boolean;
  method?: string;
  verb?: string;
  /** Plural resource name, e.g. "nodes". */
  resource?: string;
  pathPrefix?: string;
  /** How many matching requests fail (default 1; Infinity for all). */
  count?: number;
  /** "status" answers with a Status (default); "reset" destroys the socket; "delay" only waits delayMs and then serves normally. */
  action?: 'status' | 'reset' | 'delay';
  /** HTTP status for action "status" (default 500). */
  status?: number;
  reason?: string;
  message?: string;
  retryAfterSeconds?: number;
  delayMs?: number;
}

export interface FaultHandle {
  readonly spec: FaultSpec;
  /** Requests this fault has answered. */
  hits: number;
  remaining: number;
  remove(): void;
}

export interface ServerEvents {
  change: [ChangeEvent];
  request: [RequestLogEntry];
}

interface RequestInfo {
  path: string;
  isResourceRequest: boolean;
  verb: string;
  apiGroup: string;
  apiVersion: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
  /** Path segments beyond name/subresource (means 404). */
  extra: boolean;
  /** /apis/<group> (group discovery). */
  groupOnly?: string;
}

const MAX_BODY = 3 * 1024 * 1024;
const NAME_MSG_LABEL =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const NAME_MSG_SUBDOMAIN =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const NAME_MSG_1035 =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function parseVersion(gitVersion: string): { major: string; minor: string } {
  const m = gitVersion.match(/^v?(\d+)\.(\d+)\.\d+(.*)$/);
  if (!m) return { major: '1', minor: '33' };
  const provider = /^-[a-z]/.test(m[3] ?? '') || /^\+/.test(m[3] ?? '');
  return { major: m[1] ?? '1', minor: `${m[2] ?? '0'}${provider ? '+' : ''}` };
}

function ipToInt(ip: string): number {
  return ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
}
function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

function generateSuffix(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let s = '';
  for (const b of randomBytes(5)) s += alphabet[b % alphabet.length];
  return s;
}

export class FakeKubeApiServer extends EventEmitter<ServerEvents> {
  readonly registry: ResourceRegistry;
  readonly store: ObjectStore;
  readonly authorizer: Authorizer;
  readonly pki: KubePki;
  readonly tokens = new Map<string, TokenEntry>();
  /** Every request served, in order (never bodies). */
  readonly requests: RequestLogEntry[] = [];
  latencyMs: number;
  gitVersion: string;
  readonly podLogs = new Map<string, string>();
  /**
   * Answers /api/v1/nodes/<name>/proxy/<path> as the node's kubelet would; undefined (or no
   * handler) means the kubelet cannot be reached, answered as the real apiserver's proxy does.
   */
  nodeProxy: ((node: string, path: string) => { status: number; body: string; contentType?: string } | undefined) | undefined;

  private server: Server | undefined;
  private baseUrl: string | undefined;
  private readonly faults: FaultHandle[] = [];
  private readonly watchers = new Set<ServerResponse>();
  private nextClusterIp: number | undefined;

  constructor(readonly options: FakeKubeApiServerOptions = {}) {
    super();
    this.setMaxListeners(0);
    this.registry = new ResourceRegistry([...(options.resources ?? defaultResourceTypes()), ...(options.extraResources ?? [])]);
    this.store = new ObjectStore(this.registry);
    this.authorizer = new Authorizer(this.store, {
      superGroups: options.superGroups ?? ['system:masters'],
      grants: [...(options.grants ?? [])],
      rbacFromStore: options.rbacFromStore ?? true,
      nodeAuthorizer: options.nodeAuthorizer ?? true,
    });
    this.pki = options.pki ?? getKubePki();
    this.latencyMs = options.latencyMs ?? 0;
    this.gitVersion = options.gitVersion ?? 'v1.33.2';
    for (const [t, e] of Object.entries(options.tokens ?? {})) this.tokens.set(t, e);
    for (const [k, v] of Object.entries(options.podLogs ?? {})) this.podLogs.set(k, v);
    this.store.on('change', (ev) => {
      this.emit('change', ev);
      this.onCsrChange(ev);
    });
  }

  // -------------------------------------------------------------------------------------------
  // Lifecycle

  async start(): Promise<{ url: string; port: number; caPem: string; caFile: string }> {
    if (this.server) throw new Error('fake kube-apiserver already started');
    const server = createServer(
      {
        key: this.pki.server.keyPem,
        cert: this.pki.server.certPem,
        ca: this.pki.ca.certPem,
        requestCert: true,
        rejectUnauthorized: false,
      },
      (req, res) => {
        void this.handle(req, res);
      },
    );
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const port = (server.address() as AddressInfo).port;
    this.baseUrl = `https://127.0.0.1:${port}`;
    if (this.options.seed) {
      await this.options.seed({
        url: this.baseUrl,
        hostPort: `127.0.0.1:${port}`,
        caPem: this.pki.ca.certPem,
        caData: Buffer.from(this.pki.ca.certPem).toString('base64'),
        server: this,
        store: this.store,
      });
    }
    return { url: this.baseUrl, port, caPem: this.pki.ca.certPem, caFile: this.pki.ca.certFile };
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const w of this.watchers) w.end();
    this.watchers.clear();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** https://127.0.0.1:<port> (after start()). */
  get url(): string {
    if (!this.baseUrl) throw new Error('fake kube-apiserver not started');
    return this.baseUrl;
  }

  get caPem(): string {
    return this.pki.ca.certPem;
  }

  // -------------------------------------------------------------------------------------------
  // Test hooks

  addToken(token: string, entry: TokenEntry): void {
    this.tokens.set(token, entry);
  }

  removeToken(token: string): void {
    this.tokens.delete(token);
  }

  /** Add rules to the rule table for a user or group. */
  grant(subject: { user?: string; group?: string }, rules: PolicyRule[]): void {
    this.authorizer.grant(subject, rules);
  }

  /** Decide a request the way the server would. */
  can(user: UserInfo, attrs: AuthzAttributes): boolean {
    return this.authorizer.authorize(user, attrs).allowed;
  }

  setPodLog(namespace: string, pod: string, text: string, container?: string): void {
    this.podLogs.set(container ? `${namespace}/${pod}/${container}` : `${namespace}/${pod}`, text);
  }

  injectFault(spec: FaultSpec): FaultHandle {
    const handle: FaultHandle = {
      spec,
      hits: 0,
      remaining: spec.count ?? 1,
      remove: () => {
        const i = this.faults.indexOf(handle);
        if (i >= 0) this.faults.splice(i, 1);
      },
    };
    this.faults.push(handle);
    return handle;
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  clearRequests(): void {
    this.requests.length = 0;
  }

  /** Resolve with the first change matching `predicate` (from now on). */
  waitFor(predicate: (ev: ChangeEvent) => boolean, timeoutMs = 5000): Promise<ChangeEvent> {
    return new Promise((resolve, reject) => {
      const onChange = (ev: ChangeEvent): void => {
        if (!predicate(ev)) return;
        clearTimeout(timer);
        this.off('change', onChange);
        resolve(ev);
      };
      const timer = setTimeout(() => {
        this.off('change', onChange);
        reject(new Error(`fake kube-apiserver: no matching change within ${timeoutMs} ms`));
      }, timeoutMs);
      this.on('change', onChange);
    });
  }

  /**
   * Create a kube-system bootstrap token Secret as `kubeadm token create` does and return
   * "<id>.<secret>". Default groups: system:bootstrappers:kubeadm:default-node-token; TTL 24h.
   */
  createBootstrapToken(opts: { id?: string; secret?: string; ttlSeconds?: number; expiration?: string; extraGroups?: string[]; usages?: string[]; description?: string } = {}): string {
    const rand = (n: number): string => {
      const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
      let s = '';
      for (const b of randomBytes(n)) s += alphabet[b % alphabet.length];
      return s;
    };
    const id = opts.id ?? rand(6);
    const secret = opts.secret ?? rand(16);
    const expiration = opts.expiration ?? rfc3339(new Date(Date.now() + (opts.ttlSeconds ?? 86400) * 1000));
    this.store.put(bootstrapTokenSecret({ id, secret, expiration, extraGroups: opts.extraGroups, usages: opts.usages, description: opts.description }));
    return `${id}.${secret}`;
  }

  /**
   * Issue node credentials without the CSR dance: a bearer token for system:node:<name> in
   * system:nodes (the Node authorizer then lets it create/patch its own Node and status).
   */
  approveAndIssueNodeCredentials(nodeName: string): { token: string; user: string; groups: string[] } {
    const token = `node-${nodeName}-${randomBytes(8).toString('hex')}`;
    const user = `system:node:${nodeName}`;
    const groups = ['system:nodes'];
    this.tokens.set(token, { user, groups });
    return { token, user, groups };
  }

  /** A client certificate signed by the cluster CA (CN = user, O = groups). */
  issueClientCertificate(user: string, groups: string[] = []): { certPem: string; keyPem: string; certFile: string; keyFile: string } {
    return this.pki.issueClientCert(user, groups);
  }

  /** Write a kubeconfig for this server (CA embedded) and return its path. */
  writeKubeconfig(opts: Omit<KubeconfigOptions, 'server' | 'caPem'> & { path?: string }): string {
    return writeKubeconfig({ ...opts, server: this.url, caPem: this.caPem });
  }

  // -------------------------------------------------------------------------------------------
  // Request handling

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const url = new URL(req.url ?? '/', 'https://fake.invalid');
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    const method = (req.method ?? 'GET').toUpperCase();
    const info = this.parseRequestInfo(method, url.pathname, query);
    const entry: RequestLogEntry = { time: new Date(started).toISOString(), method, path: url.pathname, query };
    if (info.isResourceRequest) {
      entry.verb = info.verb;
      entry.resource = info.resource;
      if (info.subresource) entry.subresource = info.subresource;
      if (info.namespace) entry.namespace = info.namespace;
      if (info.name) entry.name = info.name;
    } else {
      entry.verb = info.verb;
    }
    this.requests.push(entry);
    let logged = false;
    const finish = (): void => {
      if (logged) return;
      logged = true;
      entry.status = res.statusCode;
      entry.durationMs = Date.now() - started;
      this.emit('request', entry);
    };
    res.on('finish', finish);
    res.on('close', finish);

    try {
      if (this.latencyMs > 0) await sleep(this.latencyMs);
      const socket = req.socket as TLSSocket;
      let peerCert: PeerCert | undefined;
      const pc = typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate() : undefined;
      if (pc && Object.keys(pc).length > 0 && pc.subject) {
        peerCert = { authorized: socket.authorized, subject: pc.subject as PeerCert['subject'] & object };
      }
      const authn = authenticate({
        store: this.store,
        tokens: this.tokens,
        authorization: req.headers.authorization,
        peerCert,
        anonymousAuth: this.options.anonymousAuth ?? true,
      });
      if (authn.ok) {
        entry.user = authn.user.name;
        entry.groups = authn.user.groups;
      }

      const fault = this.matchFault({
        method,
        path: url.pathname,
        query,
        ...(authn.ok ? { user: authn.user } : {}),
        ...(info.isResourceRequest
          ? { verb: info.verb, apiGroup: info.apiGroup, resource: info.resource, subresource: info.subresource, namespace: info.namespace, name: info.name }
          : { verb: info.verb }),
      });
      if (fault) {
        if (fault.spec.delayMs) await sleep(fault.spec.delayMs);
        const action = fault.spec.action ?? 'status';
        if (action === 'reset') {
          entry.fault = true;
          req.socket.destroy();
          return;
        }
        if (action === 'status') {
          entry.fault = true;
          const code = fault.spec.status ?? 500;
          const err = genericError(code, fault.spec.message, fault.spec.reason);
          const headers: Record<string, string> = {};
          if (fault.spec.retryAfterSeconds !== undefined) headers['Retry-After'] = String(fault.spec.retryAfterSeconds);
          throw new ApiError(err.code, err.reason, err.message, fault.spec.retryAfterSeconds !== undefined ? { retryAfterSeconds: fault.spec.retryAfterSeconds } : undefined, headers);
        }
      }

      if (!authn.ok) throw unauthorized();
      const user = authn.user;
      const attrs = this.attributesOf(info);
      const decision = this.authorizer.authorize(user, attrs);
      if (!decision.allowed) {
        throw new ApiError(403, 'Forbidden', forbiddenMessage(user, attrs), info.isResourceRequest
          ? { ...(info.name ? { name: info.name } : {}), ...(info.apiGroup ? { group: info.apiGroup } : {}), kind: info.resource }
          : {});
      }
      await this.dispatch(req, res, info, query, user);
    } catch (e) {
      this.sendError(res, e);
    }
  }

  private attributesOf(info: RequestInfo): AuthzAttributes {
    if (!info.isResourceRequest) return { verb: info.verb, isResourceRequest: false, path: info.path };
    const a: AuthzAttributes = {
      verb: info.verb,
      isResourceRequest: true,
      path: info.path,
      apiGroup: info.apiGroup,
      apiVersion: info.apiVersion,
      resource: info.resource,
    };
    if (info.subresource) a.subresource = info.subresource;
    if (info.name) a.name = info.name;
    if (info.namespace) a.namespace = info.namespace;
    // As the real RequestInfo does: a request on namespaces/<name> is "in" that namespace.
    if (info.apiGroup === '' && info.resource === 'namespaces' && info.name) a.namespace = info.name;
    return a;
  }

  private matchFault(r: FaultRequest): FaultHandle | undefined {
    for (const f of this.faults) {
      if (f.remaining <= 0) continue;
      const s = f.spec;
      if (s.method && s.method.toUpperCase() !== r.method) continue;
      if (s.verb && s.verb !== r.verb) continue;
      if (s.resource && s.resource !== r.resource) continue;
      if (s.pathPrefix && !r.path.startsWith(s.pathPrefix)) continue;
      if (s.match && !s.match(r)) continue;
      f.remaining--;
      f.hits++;
      if (f.remaining <= 0) f.remove();
      return f;
    }
    return undefined;
  }

  private parseRequestInfo(method: string, pathname: string, query: Record<string, string>): RequestInfo {
    const segs = pathname.split('/').filter((s) => s.length > 0).map((s) => decodeURIComponent(s));
    const base: RequestInfo = {
      path: pathname,
      isResourceRequest: false,
      verb: method.toLowerCase() === 'head' ? 'get' : method.toLowerCase(),
      apiGroup: '',
      apiVersion: '',
      resource: '',
      subresource: '',
      namespace: '',
      name: '',
      extra: false,
    };
    let group: string;
    let version: string;
    let rest: string[];
    if (segs[0] === 'api' && segs.length >= 3) {
      group = '';
      version = segs[1] ?? '';
      rest = segs.slice(2);
    } else if (segs[0] === 'apis' && segs.length >= 4) {
      group = segs[1] ?? '';
      version = segs[2] ?? '';
      rest = segs.slice(3);
    } else {
      if (segs[0] === 'apis' && segs.length === 2) base.groupOnly = segs[1];
      return base;
    }
    const info: RequestInfo = { ...base, isResourceRequest: true, apiGroup: group, apiVersion: version };
    if (rest[0] === 'namespaces' && rest.length >= 3 && !['status', 'finalize'].includes(rest[2] ?? '')) {
      info.namespace = rest[1] ?? '';
      rest = rest.slice(2);
    }
    info.resource = rest[0] ?? '';
    info.name = rest[1] ?? '';
    info.subresource = rest[2] ?? '';
    info.extra = rest.length > 3;
    const watch = query['watch'] === 'true' || query['watch'] === '1';
    switch (method) {
      case 'GET':
      case 'HEAD':
        info.verb = watch ? 'watch' : info.name ? 'get' : 'list';
        break;
      case 'POST':
        info.verb = 'create';
        break;
      case 'PUT':
        info.verb = 'update';
        break;
      case 'PATCH':
        info.verb = 'patch';
        break;
      case 'DELETE':
        info.verb = info.name ? 'delete' : 'deletecollection';
        break;
      default:
        info.verb = method.toLowerCase();
    }
    return info;
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse, info: RequestInfo, query: Record<string, string>, user: UserInfo): Promise<void> {
    if (!info.isResourceRequest) return this.serveNonResource(req, res, info);
    const rt = this.registry.find(info.apiGroup, info.apiVersion, info.resource);
    if (rt?.resource === 'nodes' && rt.group === '' && info.subresource === 'proxy') return this.serveNodeProxy(res, info);
    if (!rt || info.extra) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    if (rt.namespaced && info.namespace === '' && (info.name || info.verb === 'create')) {
      if (info.verb === 'create') throw methodNotAllowed();
      throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    }
    if (!rt.namespaced && info.namespace) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    const ns = rt.namespaced ? info.namespace || undefined : undefined;
    const dryRun = query['dryRun'] === 'All';

    if (rt.virtual) {
      if (info.verb !== 'create' || info.name) throw methodNotAllowed();
      const body = await this.readJson(req);
      return this.send(res, 201, this.review(rt, body, user));
    }

    if (info.subresource) {
      if (!(rt.subresources ?? []).includes(info.subresource)) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
      switch (info.subresource) {
        case 'log':
          if (info.verb !== 'get') throw methodNotAllowed();
          return this.servePodLog(res, rt, ns ?? '', info.name, query);
        case 'eviction': {
          if (info.verb !== 'create') throw methodNotAllowed();
          const body = await this.readJson(req);
          return this.send(res, 201, this.evict(rt, ns ?? '', info.name, body, dryRun));
        }
        case 'scale':
          return this.serveScale(req, res, rt, ns ?? '', info.name, info.verb, user, dryRun);
        case 'status':
        case 'approval':
        case 'finalize':
          if (info.verb === 'get') return this.send(res, 200, this.getObject(rt, ns, info.name));
          if (info.verb === 'update') {
            const body = await this.readJson(req);
            return this.send(res, 200, this.updateObject(rt, ns, info.name, body, user, { subresource: info.subresource, dryRun }));
          }
          if (info.verb === 'patch') {
            const body = await this.readBody(req);
            return this.send(res, 200, this.patchObject(rt, ns, info.name, body, req.headers['content-type'] ?? '', user, { subresource: info.subresource, dryRun }));
          }
          throw methodNotAllowed();
        default:
          throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
      }
    }

    const table = wantsTable(req.headers.accept);
    switch (info.verb) {
      case 'get': {
        const obj = this.getObject(rt, ns, info.name);
        if (table) return this.send(res, 200, toTable(rt, [obj], { resourceVersion: obj.metadata?.resourceVersion }, query['includeObject']));
        return this.send(res, 200, obj);
      }
      case 'list': {
        const list = this.listObjects(rt, ns, query);
        if (table) return this.send(res, 200, toTable(rt, list['items'] as KubeObject[], list.metadata as Record<string, unknown>, query['includeObject']));
        return this.send(res, 200, list);
      }
      case 'watch':
        return this.serveWatch(res, rt, ns, info.name, query);
      case 'create': {
        if (info.name) throw methodNotAllowed();
        const body = await this.readJson(req);
        return this.send(res, 201, this.createObject(rt, ns, body, user, { dryRun, generateNameRetry: true }));
      }
      case 'update': {
        const body = await this.readJson(req);
        return this.send(res, 200, this.updateObject(rt, ns, info.name, body, user, { dryRun }));
      }
      case 'patch': {
        const body = await this.readBody(req);
        const ct = req.headers['content-type'] ?? '';
        if (ct.startsWith('application/apply-patch') && !this.store.getRef(rt, ns, info.name)) {
          const obj = this.parseJson(body);
          if (isRecord(obj)) {
            const md = ((obj as KubeObject).metadata ??= {});
            md.name ??= info.name;
          }
          return this.send(res, 201, this.createObject(rt, ns, obj, user, { dryRun }));
        }
        return this.send(res, 200, this.patchObject(rt, ns, info.name, body, ct, user, { dryRun }));
      }
      case 'delete': {
        const body = await this.readBody(req);
        const opts = body.length > 0 ? (this.parseJson(body) as Record<string, unknown>) : {};
        const gp = query['gracePeriodSeconds'];
        if (gp !== undefined) opts['gracePeriodSeconds'] = Number(gp);
        if (query['propagationPolicy']) opts['propagationPolicy'] = query['propagationPolicy'];
        return this.send(res, 200, this.deleteObject(rt, ns, info.name, opts, { dryRun }));
      }
      case 'deletecollection': {
        const body = await this.readBody(req);
        const opts = body.length > 0 ? (this.parseJson(body) as Record<string, unknown>) : {};
        const items: KubeObject[] = [];
        for (const o of [...this.store.listType(rt, this.listOpts(ns, query))]) {
          items.push(this.deleteObject(rt, o.metadata?.namespace, o.metadata?.name ?? '', opts, { dryRun }));
        }
        return this.send(res, 200, { kind: `${rt.kind}List`, apiVersion: apiVersionOf(rt), metadata: { resourceVersion: String(this.store.resourceVersion) }, items });
      }
      default:
        throw methodNotAllowed();
    }
  }

  // -------------------------------------------------------------------------------------------
  // Non-resource endpoints

  private versionInfo(): VersionInfo {
    const { major, minor } = parseVersion(this.gitVersion);
    return {
      major,
      minor,
      ...(Number(minor.replace('+', '')) >= 34 ? { emulationMajor: major, emulationMinor: minor.replace('+', '') } : {}),
      gitVersion: this.gitVersion,
      gitCommit: 'a3b7c9d1e5f2a4b6c8d0e2f4a6b8c0d2e4f6a8b0',
      gitTreeState: 'clean',
      buildDate: '2025-06-17T18:28:00Z',
      goVersion: 'go1.24.4',
      compiler: 'gc',
      platform: 'linux/amd64',
      ...this.options.version,
    };
  }

  /** Group-versions as OpenAPI v3 path keys ("api/v1", "apis/apps/v1"). */
  private openApiV3Index(): KubeObject {
    const paths: Record<string, unknown> = {};
    for (const [group, versions] of this.registry.groups()) {
      for (const v of versions) {
        const key = group ? `apis/${group}/${v}` : `api/${v}`;
        const hash = createHash('sha512').update(JSON.stringify(this.registry.inGroupVersion(group, v))).digest('hex').toUpperCase().slice(0, 128);
        paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` };
      }
    }
    return { paths };
  }

  /**
   * A skeleton OpenAPI v3 document: PATCH operations per kind that declare the `fieldValidation`
   * query parameter (so kubectl relies on server-side field validation) and no schemas (so
   * kubectl falls back to its compiled-in types for strategic merge patches).
   */
  private openApiV3Doc(key: string): KubeObject | undefined {
    const parts = key.split('/');
    const group = parts[0] === 'api' ? '' : (parts[1] ?? '');
    const version = parts[parts.length - 1] ?? '';
    const types = this.registry.inGroupVersion(group, version);
    if (types.length === 0) return undefined;
    const paths: Record<string, unknown> = {};
    for (const t of types) {
      if (t.virtual) continue;
      const prefix = `/${key}${t.namespaced ? '/namespaces/{namespace}' : ''}/${t.resource}/{name}`;
      const params = ['dryRun', 'fieldManager', 'fieldValidation', 'force'].map((name) => ({ name, in: 'query', schema: { type: name === 'force' ? 'boolean' : 'string', uniqueItems: true } }));
      paths[prefix] = {
        patch: {
          operationId: `patch${t.namespaced ? 'Namespaced' : ''}${t.kind}`,
          parameters: params,
          'x-kubernetes-action': 'patch',
          'x-kubernetes-group-version-kind': { group, version, kind: t.kind },
        },
      };
    }
    return { openapi: '3.0.0', info: { title: 'Kubernetes', version: this.gitVersion }, paths, components: { schemas: {} } };
  }

  private serveNonResource(_req: IncomingMessage, res: ServerResponse, info: RequestInfo): void {
    const p = info.path.replace(/\/+$/, '') || '/';
    if (info.verb !== 'get') throw methodNotAllowed();
    if (p === '/version') return this.send(res, 200, this.versionInfo());
    if (p === '/healthz' || p === '/readyz' || p === '/livez') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
      res.end('ok');
      return;
    }
    if (p === '/api') {
      return this.send(res, 200, {
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: this.baseUrl?.replace('https://', '') ?? '' }],
      });
    }
    if (p === '/apis') return this.send(res, 200, this.registry.apiGroupList());
    if (p === '/openapi/v3') return this.send(res, 200, this.openApiV3Index());
    const oa = p.match(/^\/openapi\/v3\/(api\/v1|apis\/[^/]+\/[^/]+)$/);
    if (oa && oa[1]) {
      const doc = this.openApiV3Doc(oa[1]);
      if (doc) return this.send(res, 200, doc);
    }
    if (info.groupOnly !== undefined) {
      const g = ((this.registry.apiGroupList()['groups'] ?? []) as Array<{ name: string }>).find((x) => x.name === info.groupOnly);
      if (g) return this.send(res, 200, { kind: 'APIGroup', apiVersion: 'v1', ...g });
    }
    const m = p.match(/^\/api\/(v1)$/) ?? p.match(/^\/apis\/([^/]+\/[^/]+)$/);
    if (m && m[1]) {
      const gv = m[1];
      const [group, version] = gv.includes('/') ? (gv.split('/') as [string, string]) : ['', gv];
      if (this.registry.inGroupVersion(group, version).length > 0) return this.send(res, 200, this.registry.apiResourceList(group, version));
    }
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
    res.end('404 page not found\n');
  }

  // -------------------------------------------------------------------------------------------
  // CRUD

  private listOpts(ns: string | undefined, query: Record<string, string>): { namespace?: string; labelSelector?: string; fieldSelector?: string } {
    return {
      ...(ns ? { namespace: ns } : {}),
      ...(query['labelSelector'] ? { labelSelector: query['labelSelector'] } : {}),
      ...(query['fieldSelector'] ? { fieldSelector: query['fieldSelector'] } : {}),
    };
  }

  getObject(rt: ResourceType, ns: string | undefined, name: string): KubeObject {
    const o = this.store.getRef(rt, ns, name);
    if (!o) throw notFound(rt, name);
    return clone(o);
  }

  private listObjects(rt: ResourceType, ns: string | undefined, query: Record<string, string>): KubeObject {
    const all = this.store.listType(rt, this.listOpts(ns, query));
    const rv = this.store.resourceVersion;
    let offset = 0;
    let listRv = rv;
    if (query['continue']) {
      try {
        const c = JSON.parse(Buffer.from(query['continue'], 'base64url').toString('utf8')) as { rv: number; start: number };
        offset = c.start;
        listRv = c.rv;
      } catch {
        throw badRequest('continue key is not valid: illegal base64 data');
      }
    }
    const limit = query['limit'] ? Number(query['limit']) : 0;
    const end = limit > 0 ? offset + limit : all.length;
    const items = all.slice(offset, end).map((o) => clone(o));
    const metadata: Record<string, unknown> = { resourceVersion: String(listRv) };
    if (end < all.length) {
      metadata['continue'] = Buffer.from(JSON.stringify({ rv: listRv, start: end })).toString('base64url');
      metadata['remainingItemCount'] = all.length - end;
    }
    return { kind: `${rt.kind}List`, apiVersion: apiVersionOf(rt), metadata, items };
  }

  private validateName(rt: ResourceType, name: string): void {
    let ok: boolean;
    let msg: string;
    if (rt.group === 'rbac.authorization.k8s.io') {
      ok = name !== '.' && name !== '..' && !/[/%]/.test(name);
      msg = `may not contain '/' or '%'`;
    } else if (rt.group === '' && (rt.resource === 'namespaces')) {
      ok = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) && name.length <= 63;
      msg = NAME_MSG_LABEL;
    } else if (rt.group === '' && rt.resource === 'services') {
      ok = /^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(name) && name.length <= 63;
      msg = NAME_MSG_1035;
    } else if (rt.group === 'certificates.k8s.io' || rt.group === 'crd.projectcalico.org' || (rt.group === '' && rt.resource === 'events')) {
      ok = name.length > 0 && !/[/%]/.test(name);
      msg = `may not contain '/' or '%'`;
    } else {
      ok = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(name) && name.length <= 253;
      msg = NAME_MSG_SUBDOMAIN;
    }
    if (!ok) throw invalid(rt.kind, name, [{ field: 'metadata.name', message: `Invalid value: "${name}": ${msg}` }], rt.group || undefined);
  }

  private checkKind(rt: ResourceType, body: KubeObject): void {
    if (body.apiVersion !== undefined && body.apiVersion !== apiVersionOf(rt)) {
      // Older group versions of the same kind are not served by the fake.
      throw badRequest(`the API version in the data (${body.apiVersion}) does not match the expected API version (${apiVersionOf(rt)})`);
    }
    if (body.kind !== undefined && body.kind !== rt.kind) {
      throw badRequest(`the kind in the data (${body.kind}) does not match the expected kind (${rt.kind})`);
    }
  }

  private checkNodeRestriction(rt: ResourceType, user: UserInfo, name: string): void {
    if (rt.group !== '' || rt.resource !== 'nodes') return;
    if (!user.groups.includes('system:nodes') || !user.name.startsWith('system:node:')) return;
    const self = user.name.slice('system:node:'.length);
    if (self !== name) throw new ApiError(403, 'Forbidden', `nodes "${name}" is forbidden: node "${self}" is not allowed to modify node "${name}"`, { name, kind: 'nodes' });
  }

  private allocateClusterIp(): string {
    const cidr = this.options.serviceCidr ?? '10.96.0.0/12';
    const [ip, bits] = cidr.split('/');
    const base = ipToInt(ip ?? '10.96.0.0');
    const size = 2 ** (32 - Number(bits ?? 12));
    const used = new Set(
      this.store.listType(this.registry.resolve('services')).map((s) => ((s['spec'] ?? {}) as { clusterIP?: string }).clusterIP),
    );
    let n = this.nextClusterIp ?? 100;
    for (let i = 0; i < size - 2; i++, n++) {
      if (n >= size - 1) n = 11;
      const cand = intToIp(base + n);
      if (!used.has(cand)) {
        this.nextClusterIp = n + 1;
        return cand;
      }
    }
    throw genericError(500, 'Internal error occurred: failed to allocate a serviceIP: range is full');
  }

  /** Create an object as a POST would (validation, defaults, namespace existence). */
  createObject(rt: ResourceType, ns: string | undefined, body: unknown, user: UserInfo, opts: { dryRun?: boolean; generateNameRetry?: boolean } = {}): KubeObject {
    if (!isRecord(body)) throw badRequest('the body of the request was in an unknown format - accepted media types include: application/json, application/yaml');
    const obj = clone(body) as KubeObject;
    this.checkKind(rt, obj);
    const md = (obj.metadata ??= {});
    if (rt.namespaced) {
      if (md.namespace && ns && md.namespace !== ns) throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      md.namespace = ns ?? md.namespace;
    } else {
      delete md.namespace;
    }
    if (!md.name) {
      if (!md.generateName) {
        throw invalid(rt.kind, '', [{ field: 'metadata.name', message: 'Required value: name or generateName is required', reason: 'FieldValueRequired' }], rt.group || undefined);
      }
      md.name = `${md.generateName}${generateSuffix()}`;
    }
    this.validateName(rt, md.name);
    if (this.store.getRef(rt, md.namespace, md.name)) throw alreadyExists(rt, md.name);
    if (rt.namespaced && !this.store.namespaceExists(md.namespace ?? '')) throw notFound(this.registry.resolve('namespaces'), md.namespace ?? '');
    if (rt.namespaced) {
      const nsObj = this.store.getRef(this.registry.resolve('namespaces'), undefined, md.namespace ?? '');
      if (nsObj?.metadata?.deletionTimestamp) {
        throw new ApiError(403, 'Forbidden', `${rt.resource} "${md.name}" is forbidden: unable to create new content in namespace ${md.namespace} because it is being terminated`, { name: md.name, kind: rt.resource });
      }
    }
    this.checkNodeRestriction(rt, user, md.name);

    md.uid = randomUUID();
    md.creationTimestamp = rfc3339();
    delete md.resourceVersion;
    delete md.deletionTimestamp;
    delete md.deletionGracePeriodSeconds;
    delete md.selfLink;
    if (rt.group !== '' || rt.resource === 'pods') md.generation = 1;
    else delete md.generation;
    this.applyCreateDefaults(rt, obj, user);
    normalizeObject(rt, obj);
    if (opts.dryRun) return obj;
    return clone(this.store.commit(rt, obj, 'ADDED'));
  }

  private applyCreateDefaults(rt: ResourceType, obj: KubeObject, user: UserInfo): void {
    const spec = (obj['spec'] ??= {}) as Record<string, unknown>;
    if (rt.group === '' && rt.resource === 'pods') {
      spec['restartPolicy'] ??= 'Always';
      spec['dnsPolicy'] ??= 'ClusterFirst';
      spec['schedulerName'] ??= 'default-scheduler';
      spec['terminationGracePeriodSeconds'] ??= 30;
      spec['serviceAccountName'] ??= 'default';
      spec['enableServiceLinks'] ??= true;
      obj['status'] = { phase: 'Pending', qosClass: 'BestEffort' };
    } else if (rt.group === '' && rt.resource === 'services') {
      spec['type'] ??= 'ClusterIP';
      if (spec['type'] !== 'ExternalName' && spec['clusterIP'] === undefined) spec['clusterIP'] = this.allocateClusterIp();
      if (typeof spec['clusterIP'] === 'string' && spec['clusterIP'] !== 'None') spec['clusterIPs'] ??= [spec['clusterIP']];
      if (spec['type'] === 'NodePort' || spec['type'] === 'LoadBalancer') {
        // As the service-node-port-range allocator does (default 30000-32767).
        const used = new Set(this.store.listType(this.registry.resolve('services')).flatMap((x) => (((x['spec'] ?? {}) as { ports?: Array<{ nodePort?: number }> }).ports ?? []).map((p) => p.nodePort)));
        let next = 30000;
        for (const port of (spec['ports'] ?? []) as Array<{ nodePort?: number }>) {
          if (port.nodePort !== undefined) continue;
          while (used.has(next)) next++;
          port.nodePort = next;
          used.add(next);
        }
      }
      spec['sessionAffinity'] ??= 'None';
      spec['ipFamilies'] ??= ['IPv4'];
      spec['ipFamilyPolicy'] ??= 'SingleStack';
      spec['internalTrafficPolicy'] ??= 'Cluster';
      obj['status'] ??= { loadBalancer: {} };
    } else if (rt.group === 'apps' && rt.resource === 'daemonsets') {
      obj['status'] = { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 };
    } else if (rt.group === 'apps' && (rt.resource === 'deployments' || rt.resource === 'replicasets' || rt.resource === 'statefulsets')) {
      obj['status'] = {};
      spec['replicas'] ??= 1;
    } else if (rt.group === 'certificates.k8s.io' && rt.resource === 'certificatesigningrequests') {
      if (!spec['signerName']) throw invalid(rt.kind, obj.metadata?.name ?? '', [{ field: 'spec.signerName', message: 'Required value', reason: 'FieldValueRequired' }], rt.group);
      if (typeof spec['request'] !== 'string') throw invalid(rt.kind, obj.metadata?.name ?? '', [{ field: 'spec.request', message: 'Required value', reason: 'FieldValueRequired' }], rt.group);
      spec['username'] = user.name;
      spec['groups'] = user.groups;
      if (user.uid) spec['uid'] = user.uid;
      obj['status'] = {};
    } else if (Object.keys(spec).length === 0 && !(rt.group === '' && rt.resource === 'namespaces') && !(rt.group === '' && rt.resource === 'nodes')) {
      delete obj['spec'];
    }
    if (rt.group === '' && rt.resource === 'nodes' && Object.keys(spec).length === 0) obj['spec'] = {};
  }

  /** Replace an object as a PUT would (optionally a subresource: status, approval, finalize). */
  updateObject(
    rt: ResourceType,
    ns: string | undefined,
    name: string,
    body: unknown,
    user: UserInfo,
    opts: { subresource?: string; dryRun?: boolean; fromPatch?: boolean } = {},
  ): KubeObject {
    if (!isRecord(body)) throw badRequest('the body of the request was in an unknown format');
    const existing = this.store.getRef(rt, ns, name);
    if (!existing) throw notFound(rt, name);
    const incoming = clone(body) as KubeObject;
    this.checkKind(rt, incoming);
    const imd = (incoming.metadata ??= {});
    if (imd.name !== undefined && imd.name !== name) {
      if (opts.fromPatch) throw invalid(rt.kind, name, [{ field: 'metadata.name', message: `Invalid value: "${imd.name}": field is immutable` }], rt.group || undefined);
      throw badRequest(`the name of the object (${imd.name}) does not match the name on the URL (${name})`);
    }
    if (rt.namespaced && imd.namespace !== undefined && imd.namespace !== ns) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    if (imd.resourceVersion !== undefined && imd.resourceVersion !== '' && imd.resourceVersion !== existing.metadata?.resourceVersion) {
      throw conflict(rt, name);
    }
    if (imd.uid && imd.uid !== existing.metadata?.uid) {
      throw conflict(rt, name, `Precondition failed: UID in precondition: ${imd.uid}, UID in object meta: ${existing.metadata?.uid ?? ''}`);
    }
    this.checkNodeRestriction(rt, user, name);

    let result: KubeObject;
    const sub = opts.subresource;
    if (sub === 'status') {
      result = clone(existing);
      if (incoming['status'] === undefined) delete result['status'];
      else result['status'] = incoming['status'];
    } else if (sub === 'approval') {
      result = clone(existing);
      const conditions = ((incoming['status'] ?? {}) as { conditions?: unknown[] }).conditions ?? [];
      result['status'] = { ...((existing['status'] ?? {}) as object), conditions };
    } else if (sub === 'finalize') {
      result = clone(existing);
      result['spec'] = incoming['spec'];
    } else {
      result = incoming;
      if ((rt.subresources ?? []).includes('status')) {
        if (existing['status'] === undefined) delete result['status'];
        else result['status'] = clone(existing['status']);
      }
      if (rt.group === 'certificates.k8s.io') {
        // spec of a CSR is immutable; the approval and status subresources change the status.
        result['spec'] = clone(existing['spec']);
      }
    }
    const md = (result.metadata ??= {});
    const emd = existing.metadata ?? {};
    md.name = name;
    if (rt.namespaced) md.namespace = ns;
    md.uid = emd.uid;
    md.creationTimestamp = emd.creationTimestamp;
    md.resourceVersion = emd.resourceVersion;
    if (emd.deletionTimestamp) md.deletionTimestamp = emd.deletionTimestamp;
    else delete md.deletionTimestamp;
    if (emd.deletionGracePeriodSeconds !== undefined) md.deletionGracePeriodSeconds = emd.deletionGracePeriodSeconds;
    else delete md.deletionGracePeriodSeconds;
    if (emd.generation !== undefined) md.generation = emd.generation;
    else delete md.generation;
    normalizeObject(rt, result);
    if (deepEqual(result, existing)) return clone(existing);
    if (md.generation !== undefined && !deepEqual(result['spec'], existing['spec'])) md.generation = (emd.generation ?? 0) + 1;
    if (opts.dryRun) return result;
    if (emd.deletionTimestamp && (md.finalizers ?? []).length === 0) {
      const gone = this.store.commit(rt, result, 'DELETED', existing);
      this.collectDependents(emd.uid);
      return clone(gone);
    }
    return clone(this.store.commit(rt, result, 'MODIFIED', existing));
  }

  /** Patch an object; contentType selects merge / strategic merge / JSON patch / apply. */
  patchObject(
    rt: ResourceType,
    ns: string | undefined,
    name: string,
    body: Buffer,
    contentType: string,
    user: UserInfo,
    opts: { subresource?: string; dryRun?: boolean } = {},
  ): KubeObject {
    const existing = this.store.getRef(rt, ns, name);
    if (!existing) throw notFound(rt, name);
    const ct = contentType.split(';')[0]?.trim() ?? '';
    const patch = this.parseJson(body);
    let patched: unknown;
    switch (ct) {
      case 'application/json-patch+json':
        patched = applyJsonPatch(existing, patch);
        break;
      case 'application/merge-patch+json':
        patched = jsonMergePatch(existing, patch);
        break;
      case 'application/strategic-merge-patch+json':
        patched = strategicMergePatch(existing, patch);
        break;
      case 'application/apply-patch+yaml':
      case 'application/apply-patch+cbor':
        patched = strategicMergePatch(existing, patch);
        if (isRecord(patched)) {
          // Server-side apply sends the full intent; the stored resourceVersion is not a precondition.
          const pmd = (patched as KubeObject).metadata;
          if (pmd && isRecord(patch) && !(isRecord(patch['metadata']) && 'resourceVersion' in patch['metadata'])) pmd.resourceVersion = existing.metadata?.resourceVersion;
        }
        break;
      default:
        throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`);
    }
    if (!isRecord(patched)) throw badRequest('patch did not produce an object');
    return this.updateObject(rt, ns, name, patched, user, { ...opts, fromPatch: true });
  }

  /** Delete as a DELETE would: finalizers, graceful pod deletion, namespace contents, owner GC. */
  deleteObject(rt: ResourceType, ns: string | undefined, name: string, options: Record<string, unknown> = {}, opts: { dryRun?: boolean } = {}): KubeObject {
    const existing = this.store.getRef(rt, ns, name);
    if (!existing) throw notFound(rt, name);
    const pre = (options['preconditions'] ?? {}) as { uid?: string; resourceVersion?: string };
    if (pre.uid && pre.uid !== existing.metadata?.uid) {
      throw conflict(rt, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${existing.metadata?.uid ?? ''}`);
    }
    if (pre.resourceVersion && pre.resourceVersion !== existing.metadata?.resourceVersion) {
      throw conflict(rt, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${existing.metadata?.resourceVersion ?? ''}`);
    }
    if (opts.dryRun) return clone(existing);
    const finalizers = existing.metadata?.finalizers ?? [];
    const grace = typeof options['gracePeriodSeconds'] === 'number' ? options['gracePeriodSeconds'] : undefined;
    const isPod = rt.group === '' && rt.resource === 'pods';
    const podNode = isPod ? ((existing['spec'] ?? {}) as { nodeName?: string }).nodeName : undefined;
    const podGrace =
      isPod && this.options.podGracefulDeletion && podNode && grace !== 0
        ? (grace ?? (((existing['spec'] ?? {}) as { terminationGracePeriodSeconds?: number }).terminationGracePeriodSeconds ?? 30))
        : 0;
    if (finalizers.length > 0 || podGrace > 0) {
      if (existing.metadata?.deletionTimestamp) return clone(existing);
      const upd = clone(existing);
      const md = (upd.metadata ??= {});
      md.deletionTimestamp = rfc3339(new Date(Date.now() + podGrace * 1000));
      md.deletionGracePeriodSeconds = podGrace;
      return clone(this.store.commit(rt, upd, 'MODIFIED', existing));
    }
    if (rt.group === '' && rt.resource === 'namespaces') {
      const term = clone(existing);
      (term.metadata ??= {}).deletionTimestamp = rfc3339();
      term['status'] = { phase: 'Terminating' };
      const termStored = this.store.commit(rt, term, 'MODIFIED', existing);
      for (const t of this.registry.all()) {
        if (!t.namespaced || t.virtual) continue;
        for (const o of [...this.store.listType(t, { namespace: name })]) {
          const cur = this.store.getRef(t, name, o.metadata?.name ?? '');
          if (cur) this.store.commit(t, cur, 'DELETED', cur);
        }
      }
      const out = clone(termStored);
      this.store.commit(rt, termStored, 'DELETED', termStored);
      return out;
    }
    const gone = this.store.commit(rt, existing, 'DELETED', existing);
    if (options['propagationPolicy'] !== 'Orphan') this.collectDependents(existing.metadata?.uid);
    return clone(gone);
  }

  /** Garbage-collect objects owned by `uid` (recursively), as the GC controller would. */
  private collectDependents(uid: string | undefined): void {
    if (!uid) return;
    for (const t of this.registry.all()) {
      if (t.virtual) continue;
      for (const o of [...this.store.listType(t)]) {
        const owners = o.metadata?.ownerReferences ?? [];
        if (!owners.some((r) => r.uid === uid)) continue;
        const rest = owners.filter((r) => r.uid !== uid);
        const cur = this.store.getRef(t, o.metadata?.namespace, o.metadata?.name ?? '');
        if (!cur) continue;
        if (rest.length > 0) {
          const upd = clone(cur);
          (upd.metadata ??= {}).ownerReferences = rest;
          this.store.commit(t, upd, 'MODIFIED', cur);
        } else {
          this.store.commit(t, cur, 'DELETED', cur);
          this.collectDependents(cur.metadata?.uid);
        }
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Workloads: scale subresource (autoscaling/v1 Scale)

  private toScale(obj: KubeObject): KubeObject {
    const spec = (obj['spec'] ?? {}) as { replicas?: number; selector?: unknown };
    const status = (obj['status'] ?? {}) as { replicas?: number };
    const reqs = labelSelectorObjectToRequirements(spec.selector);
    const selector = reqs
      .map((r) => (r.op === '=' ? `${r.key}=${r.values[0] ?? ''}` : r.op === 'exists' ? r.key : r.op === '!' ? `!${r.key}` : `${r.key} ${r.op} (${r.values.join(',')})`))
      .join(',');
    const md = obj.metadata ?? {};
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: { name: md.name, namespace: md.namespace, uid: md.uid, resourceVersion: md.resourceVersion, creationTimestamp: md.creationTimestamp },
      spec: { replicas: spec.replicas ?? 1 },
      status: { replicas: status.replicas ?? 0, selector },
    };
  }

  private async serveScale(req: IncomingMessage, res: ServerResponse, rt: ResourceType, ns: string, name: string, verb: string, user: UserInfo, dryRun: boolean): Promise<void> {
    const existing = this.getObject(rt, ns, name);
    if (verb === 'get') return this.send(res, 200, this.toScale(existing));
    let scale: unknown;
    if (verb === 'update') {
      scale = await this.readJson(req);
    } else if (verb === 'patch') {
      const body = await this.readBody(req);
      const ct = (req.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
      const patch = this.parseJson(body);
      const cur = this.toScale(existing);
      scale = ct === 'application/json-patch+json' ? applyJsonPatch(cur, patch) : ct === 'application/strategic-merge-patch+json' ? strategicMergePatch(cur, patch) : jsonMergePatch(cur, patch);
    } else {
      throw methodNotAllowed();
    }
    const replicas = ((isRecord(scale) ? scale['spec'] : undefined) as { replicas?: unknown } | undefined)?.replicas;
    if (typeof replicas !== 'number' || replicas < 0) {
      throw invalid('Scale', name, [{ field: 'spec.replicas', message: `Invalid value: ${String(replicas)}: must be greater than or equal to 0` }], 'autoscaling');
    }
    const smd = (isRecord(scale) ? scale['metadata'] : undefined) as { resourceVersion?: string } | undefined;
    const upd = clone(existing);
    (upd['spec'] as Record<string, unknown>)['replicas'] = replicas;
    if (smd?.resourceVersion) (upd.metadata ??= {}).resourceVersion = smd.resourceVersion;
    const out = this.updateObject(rt, ns, name, upd, user, { dryRun });
    return this.send(res, 200, this.toScale(out));
  }

  // -------------------------------------------------------------------------------------------
  // Nodes: the kubelet proxy

  private serveNodeProxy(res: ServerResponse, info: RequestInfo): void {
    if (info.verb !== 'get') throw methodNotAllowed();
    const node = this.store.getRef(this.registry.resolve('nodes'), undefined, info.name);
    if (!node) throw notFound(this.registry.resolve('nodes'), info.name);
    // Go's net/http decodes the path before kube-apiserver splits it: a client that escapes the
    // proxied path's slashes (stats%2Fsummary) reaches the same kubelet path.
    const path = '/' + info.path.split('/').slice(6).map(decodeURIComponent).join('/');
    const answer = this.nodeProxy?.(info.name, path);
    if (!answer) {
      // What kube-apiserver says when its dial to the kubelet's port fails (a closed 10250).
      const addresses = ((node['status'] ?? {}) as { addresses?: Array<{ type: string; address: string }> }).addresses ?? [];
      const ip = addresses.find((a) => a.type === 'InternalIP')?.address ?? info.name;
      throw new ApiError(503, 'ServiceUnavailable', `error trying to reach service: dial tcp ${ip}:10250: i/o timeout`);
    }
    res.writeHead(answer.status, { 'Content-Type': answer.contentType ?? 'text/plain' });
    res.end(answer.body);
  }

  // -------------------------------------------------------------------------------------------
  // Pods: log and eviction

  private servePodLog(res: ServerResponse, rt: ResourceType, ns: string, name: string, query: Record<string, string>): void {
    const pod = this.store.getRef(rt, ns, name);
    if (!pod) throw notFound(rt, name);
    const containers = (((pod['spec'] ?? {}) as { containers?: Array<{ name: string }> }).containers ?? []).map((c) => c.name);
    const container = query['container'];
    if (container && containers.length > 0 && !containers.includes(container)) {
      throw badRequest(`container ${container} is not valid for pod ${name}`);
    }
    if (!container && containers.length > 1) {
      throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`);
    }
    let text = (container ? this.podLogs.get(`${ns}/${name}/${container}`) : undefined) ?? this.podLogs.get(`${ns}/${name}`) ?? '';
    const tail = query['tailLines'] !== undefined ? Number(query['tailLines']) : undefined;
    if (tail !== undefined && Number.isFinite(tail) && tail >= 0) {
      const lines = text.split('\n');
      const trailing = lines[lines.length - 1] === '' ? lines.pop() : undefined;
      text = lines.slice(Math.max(0, lines.length - tail)).join('\n') + (trailing !== undefined && tail > 0 ? '\n' : '');
    }
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end(text);
  }

  /** disruptionsAllowed of a PDB, computed from the live pods (not from .status). */
  pdbDisruptions(pdb: KubeObject): { allowed: number; desired: number; healthy: number; expected: number } {
    const spec = (pdb['spec'] ?? {}) as { selector?: unknown; minAvailable?: number | string; maxUnavailable?: number | string };
    const reqs = labelSelectorObjectToRequirements(spec.selector);
    const pods = this.store
      .listType(this.registry.resolve('pods'), { namespace: pdb.metadata?.namespace ?? '' })
      .filter((p) => !p.metadata?.deletionTimestamp && matchesLabelRequirements(reqs, p.metadata?.labels));
    const expected = pods.length;
    const healthy = pods.filter((p) => {
      const st = (p['status'] ?? {}) as { phase?: string; conditions?: Array<{ type: string; status: string }> };
      const ready = st.conditions?.find((c) => c.type === 'Ready');
      return ready ? ready.status === 'True' : st.phase === 'Running';
    }).length;
    const resolve = (v: number | string): number =>
      typeof v === 'string' && v.endsWith('%') ? Math.ceil((Number(v.slice(0, -1)) * expected) / 100) : Number(v);
    let desired: number;
    if (spec.minAvailable !== undefined) desired = resolve(spec.minAvailable);
    else if (spec.maxUnavailable !== undefined) desired = Math.max(0, expected - resolve(spec.maxUnavailable));
    else desired = 1;
    return { allowed: Math.max(0, healthy - desired), desired, healthy, expected };
  }

  private evict(rt: ResourceType, ns: string, name: string, body: unknown, dryRun: boolean): KubeObject {
    const pod = this.store.getRef(rt, ns, name);
    if (!pod) throw notFound(rt, name);
    if (isRecord(body)) {
      const emd = (body['metadata'] ?? {}) as { name?: string };
      if (emd.name && emd.name !== name) throw badRequest(`name in URL does not match name in Eviction object`);
    }
    const phase = ((pod['status'] ?? {}) as { phase?: string }).phase;
    const terminal = phase === 'Succeeded' || phase === 'Failed';
    if (!terminal && !pod.metadata?.deletionTimestamp) {
      const pdbs = this.store
        .listType(this.registry.resolve('poddisruptionbudgets.policy'), { namespace: ns })
        .filter((p) => {
          const sel = ((p['spec'] ?? {}) as { selector?: unknown }).selector;
          if (!sel) return false;
          return matchesLabelRequirements(labelSelectorObjectToRequirements(sel), pod.metadata?.labels);
        });
      if (pdbs.length > 1) {
        throw genericError(500, 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
      }
      const pdb = pdbs[0];
      if (pdb) {
        const d = this.pdbDisruptions(pdb);
        if (d.allowed <= 0) {
          throw new ApiError(429, 'TooManyRequests', "Cannot evict pod as it would violate the pod's disruption budget.", {
            causes: [{ reason: 'DisruptionBudget', message: `The disruption budget ${pdb.metadata?.name ?? ''} needs ${d.desired} healthy pods and has ${d.healthy} currently` }],
          });
        }
      }
    }
    const deleteOptions = isRecord(body) && isRecord(body['deleteOptions']) ? body['deleteOptions'] : {};
    if (!dryRun) this.deleteObject(rt, ns, name, deleteOptions);
    return successStatus(201);
  }

  // -------------------------------------------------------------------------------------------
  // Reviews

  private review(rt: ResourceType, body: unknown, user: UserInfo): KubeObject {
    const b = (isRecord(body) ? body : {}) as KubeObject;
    const spec = (b['spec'] ?? {}) as Record<string, unknown>;
    const base: KubeObject = { kind: rt.kind, apiVersion: apiVersionOf(rt), metadata: { creationTimestamp: null as unknown as string } };
    const attrsFrom = (s: Record<string, unknown>): AuthzAttributes => {
      const ra = s['resourceAttributes'] as Record<string, string> | undefined;
      const nra = s['nonResourceAttributes'] as Record<string, string> | undefined;
      if (ra) {
        const a: AuthzAttributes = { verb: ra['verb'] ?? '', isResourceRequest: true, apiGroup: ra['group'] ?? '', resource: ra['resource'] ?? '' };
        if (ra['subresource']) a.subresource = ra['subresource'];
        if (ra['namespace']) a.namespace = ra['namespace'];
        if (ra['name']) a.name = ra['name'];
        if (ra['version']) a.apiVersion = ra['version'];
        return a;
      }
      if (nra) return { verb: nra['verb'] ?? '', isResourceRequest: false, path: nra['path'] ?? '' };
      throw invalid(rt.kind, '', [{ field: 'spec.resourceAttributes', message: 'Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified', reason: 'FieldValueRequired' }], rt.group);
    };
    switch (rt.resource) {
      case 'selfsubjectaccessreviews': {
        const d = this.authorizer.authorize(user, attrsFrom(spec));
        return { ...base, spec, status: { allowed: d.allowed, ...(d.reason ? { reason: d.reason } : {}) } };
      }
      case 'subjectaccessreviews': {
        const subject: UserInfo = { name: String(spec['user'] ?? ''), groups: (spec['groups'] as string[] | undefined) ?? [] };
        const d = this.authorizer.authorize(subject, attrsFrom(spec));
        return { ...base, spec, status: { allowed: d.allowed, ...(d.reason ? { reason: d.reason } : {}) } };
      }
      case 'selfsubjectrulesreviews': {
        const r = this.authorizer.rulesReview(user, String(spec['namespace'] ?? ''));
        return { ...base, spec, status: { ...r, incomplete: false } };
      }
      case 'selfsubjectreviews':
        return {
          ...base,
          status: { userInfo: { username: user.name, ...(user.uid ? { uid: user.uid } : {}), groups: user.groups, ...(user.extra ? { extra: user.extra } : {}) } },
        };
      default:
        throw methodNotAllowed();
    }
  }

  // -------------------------------------------------------------------------------------------
  // Watch

  private serveWatch(res: ServerResponse, rt: ResourceType, ns: string | undefined, name: string, query: Record<string, string>): void {
    let fieldSelector = query['fieldSelector'] ?? '';
    if (name) fieldSelector = fieldSelector ? `${fieldSelector},metadata.name=${name}` : `metadata.name=${name}`;
    const filter: ObjectFilter = compileFilter({ ...(ns ? { namespace: ns } : {}), labelSelector: query['labelSelector'] ?? null, fieldSelector });
    const key = `${rt.group}/${rt.resource}`;
    const rvParam = query['resourceVersion'];
    const sendInitial = query['sendInitialEvents'] === 'true' || rvParam === undefined || rvParam === '' || rvParam === '0';
    const fromRv = sendInitial ? this.store.resourceVersion : Number(rvParam);
    if (!sendInitial && !Number.isFinite(fromRv)) throw badRequest(`invalid resource version: ${rvParam ?? ''}`);

    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    const write = (type: WatchEventType | 'BOOKMARK' | 'ERROR', object: KubeObject): void => {
      if (!res.writableEnded) res.write(JSON.stringify({ type, object }) + '\n');
    };
    if (!sendInitial && fromRv < this.store.oldestResumableVersion) {
      write('ERROR', statusBody(410, 'Expired', `too old resource version: ${fromRv} (${this.store.oldestResumableVersion})`));
      res.end();
      return;
    }

    const sameType = (ev: ChangeEvent): boolean => `${ev.resource.group}/${ev.resource.resource}` === key;
    const deliver = (ev: ChangeEvent): void => {
      if (!sameType(ev)) return;
      const nowMatch = matchesFilter(filter, ev.object);
      const wasMatch = ev.oldObject ? matchesFilter(filter, ev.oldObject) : false;
      if (ev.type === 'ADDED') {
        if (nowMatch) write('ADDED', ev.object);
      } else if (ev.type === 'MODIFIED') {
        if (nowMatch && wasMatch) write('MODIFIED', ev.object);
        else if (nowMatch) write('ADDED', ev.object);
        else if (wasMatch) write('DELETED', ev.object);
      } else if (nowMatch || wasMatch) {
        write('DELETED', ev.object);
      }
    };

    if (sendInitial) {
      for (const o of this.store.listType(rt, ns ? { namespace: ns } : {})) if (matchesFilter(filter, o)) write('ADDED', o);
      if (query['sendInitialEvents'] === 'true' && query['allowWatchBookmarks'] === 'true') {
        write('BOOKMARK', {
          kind: rt.kind,
          apiVersion: apiVersionOf(rt),
          metadata: { resourceVersion: String(this.store.resourceVersion), annotations: { 'k8s.io/initial-events-end': 'true' } },
        });
      }
    } else {
      for (const ev of this.store.history) if (ev.resourceVersion > fromRv) deliver(ev);
    }

    this.watchers.add(res);
    const onChange = (ev: ChangeEvent): void => deliver(ev);
    this.store.on('change', onChange);
    let timer: NodeJS.Timeout | undefined;
    const timeout = query['timeoutSeconds'] !== undefined ? Number(query['timeoutSeconds']) : undefined;
    if (timeout !== undefined && Number.isFinite(timeout) && timeout > 0) {
      timer = setTimeout(() => res.end(), timeout * 1000);
    }
    res.on('close', () => {
      this.store.off('change', onChange);
      this.watchers.delete(res);
      if (timer) clearTimeout(timer);
    });
  }

  // -------------------------------------------------------------------------------------------
  // CSR approval and signing (what kube-controller-manager's csrapproving/csrsigning do)

  private onCsrChange(ev: ChangeEvent): void {
    if (ev.resource.group !== 'certificates.k8s.io' || ev.resource.resource !== 'certificatesigningrequests' || ev.type === 'DELETED') return;
    const csr = ev.object;
    const spec = (csr['spec'] ?? {}) as { signerName?: string };
    const status = (csr['status'] ?? {}) as { conditions?: Array<{ type: string }>; certificate?: string };
    const conds = status.conditions ?? [];
    const approved = conds.some((c) => c.type === 'Approved');
    const finished = conds.some((c) => c.type === 'Denied' || c.type === 'Failed');
    const name = csr.metadata?.name ?? '';
    if (!approved && !finished && ev.type === 'ADDED' && spec.signerName === 'kubernetes.io/kube-apiserver-client-kubelet' && (this.options.autoApproveNodeCsrs ?? true)) {
      setImmediate(() => this.tryAutoApprove(name));
    }
    if (
      approved &&
      !finished &&
      !status.certificate &&
      (this.options.signApprovedCsrs ?? true) &&
      (spec.signerName === 'kubernetes.io/kube-apiserver-client-kubelet' || spec.signerName === 'kubernetes.io/kube-apiserver-client')
    ) {
      setImmediate(() => this.signCsr(name));
    }
  }

  private tryAutoApprove(name: string): void {
    const rt = this.registry.resolve('certificatesigningrequests.certificates.k8s.io');
    const csr = this.store.getRef(rt, undefined, name);
    if (!csr) return;
    const spec = (csr['spec'] ?? {}) as { request?: string; username?: string; groups?: string[] };
    let subject;
    try {
      subject = readCsrSubject(Buffer.from(spec.request ?? '', 'base64').toString('utf8'));
    } catch {
      return;
    }
    if (!subject.commonName.startsWith('system:node:') || subject.organizations.length !== 1 || subject.organizations[0] !== 'system:nodes') return;
    const requester: UserInfo = { name: spec.username ?? '', groups: spec.groups ?? [] };
    const sub = requester.name === subject.commonName ? 'selfnodeclient' : 'nodeclient';
    const allowed = this.authorizer.authorize(requester, {
      verb: 'create',
      isResourceRequest: true,
      apiGroup: 'certificates.k8s.io',
      resource: 'certificatesigningrequests',
      subresource: sub,
    }).allowed;
    if (!allowed) return;
    const upd = clone(csr);
    const st = (upd['status'] ??= {}) as { conditions?: unknown[] };
    const now = rfc3339();
    (st.conditions ??= []).push({
      type: 'Approved',
      status: 'True',
      reason: 'AutoApproved',
      message: 'Auto approving kubelet client certificate after SubjectAccessReview.',
      lastUpdateTime: now,
      lastTransitionTime: now,
    });
    this.store.commit(rt, upd, 'MODIFIED', csr);
  }

  private signCsr(name: string): void {
    const rt = this.registry.resolve('certificatesigningrequests.certificates.k8s.io');
    const csr = this.store.getRef(rt, undefined, name);
    if (!csr) return;
    const status = (csr['status'] ?? {}) as { certificate?: string; conditions?: unknown[] };
    if (status.certificate) return;
    const spec = (csr['spec'] ?? {}) as { request?: string; expirationSeconds?: number };
    const upd = clone(csr);
    const st = (upd['status'] ??= {}) as { certificate?: string; conditions?: unknown[] };
    try {
      const days = spec.expirationSeconds ? Math.max(1, Math.ceil(spec.expirationSeconds / 86400)) : 365;
      const pem = this.pki.signCsr(Buffer.from(spec.request ?? '', 'base64').toString('utf8'), { usage: 'client', days });
      st.certificate = Buffer.from(pem).toString('base64');
    } catch (e) {
      const now = rfc3339();
      (st.conditions ??= []).push({ type: 'Failed', status: 'True', reason: 'SignerValidationFailure', message: String(e), lastUpdateTime: now, lastTransitionTime: now });
    }
    this.store.commit(rt, upd, 'MODIFIED', csr);
  }

  // -------------------------------------------------------------------------------------------
  // Body and response helpers

  private readBody(req: IncomingMessage): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY) {
          reject(new ApiError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728'));
          req.destroy();
          return;
        }
        chunks.push(c);
      });
      req.on('end', () => resolve(Buffer.concat(chunks)));
      req.on('error', reject);
    });
  }

  private parseJson(buf: Buffer): unknown {
    if (isKubernetesProtobuf(buf)) {
      try {
        return decodeKubernetesProtobuf(buf);
      } catch (e) {
        throw new ApiError(415, 'UnsupportedMediaType', (e as Error).message);
      }
    }
    const text = buf.toString('utf8').trim();
    if (text === '') return {};
    try {
      return JSON.parse(text) as unknown;
    } catch (e) {
      throw badRequest(`error decoding request body: the fake kube-apiserver accepts JSON only: ${(e as Error).message}`);
    }
  }

  private async readJson(req: IncomingMessage): Promise<unknown> {
    const ct = req.headers['content-type'] ?? 'application/json';
    if (ct.includes('cbor')) {
      throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json`);
    }
    return this.parseJson(await this.readBody(req));
  }

  private send(res: ServerResponse, code: number, obj: unknown): void {
    const body = JSON.stringify(obj);
    res.writeHead(code, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Content-Length': Buffer.byteLength(body), 'Audit-Id': randomUUID() });
    res.end(body);
  }

  private sendError(res: ServerResponse, e: unknown): void {
    if (res.headersSent) {
      res.end();
      return;
    }
    const err = e instanceof ApiError ? e : genericError(500, `Internal error occurred: ${(e as Error)?.message ?? String(e)}`);
    const body = JSON.stringify(err.toStatus());
    res.writeHead(err.code, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Content-Length': Buffer.byteLength(body), ...err.headers });
    res.end(body);
  }
}

/** The kube-system Secret behind a bootstrap token, as kubeadm creates it. */
export function bootstrapTokenSecret(opts: {
  id: string;
  secret: string;
  expiration?: string;
  extraGroups?: string[] | undefined;
  usages?: string[] | undefined;
  description?: string | undefined;
}): KubeObject {
  const enc = (s: string): string => Buffer.from(s).toString('base64');
  const data: Record<string, string> = {
    'token-id': enc(opts.id),
    'token-secret': enc(opts.secret),
    'auth-extra-groups': enc((opts.extraGroups ?? ['system:bootstrappers:kubeadm:default-node-token']).join(',')),
  };
  for (const u of opts.usages ?? ['authentication', 'signing']) data[`usage-bootstrap-${u}`] = enc('true');
  if (opts.expiration) data['expiration'] = enc(opts.expiration);
  if (opts.description) data['description'] = enc(opts.description);
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `bootstrap-token-${opts.id}`, namespace: 'kube-system' },
    type: 'bootstrap.kubernetes.io/token',
    data,
  };
}

export { BOOTSTRAP_TOKEN_RE };
