import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import type * as k8s from '@kubernetes/client-node';
import { EnvironmentError, InterruptedError } from '../errors.js';

/**
 * Bounds on every Kubernetes API call, as kubectl has them: client-go gives up connecting
 * after 30 s and on the TLS handshake after 10 s, and `--request-timeout` (default 0: none)
 * bounds a whole request. Without them an endpoint that accepts TCP and never speaks TLS
 * hangs a command for as long as the kernel keeps the connection, and Ctrl-C has nothing to
 * stop. The run's abort signal (the first Ctrl-C) cancels the requests in flight.
 */
export interface TransportOptions {
  /** Whole-request bound in milliseconds; 0 waits as long as it takes. */
  requestTimeoutMs: number;
  /** Aborted on Ctrl-C / SIGTERM: requests in flight end as an interrupt. */
  signal?: AbortSignal | undefined;
  connectTimeoutMs?: number;
  handshakeTimeoutMs?: number;
}

export const CONNECT_TIMEOUT_MS = 30_000;
/**
 * Connections one KubeConfig keeps open to its API server. diagnose asks the kubelets of many
 * nodes at once through the node proxy; more sockets than this queue rather than each paying
 * a TCP and TLS handshake. client-go multiplexes over one HTTP/2 connection; this is the
 * HTTP/1.1 equivalent.
 */
export const MAX_SOCKETS = 32;
export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

const HINT = 'check the server address in the kubeconfig (--kubeconfig, --context) and the network path to the control plane; --request-timeout bounds each request (0: no bound)';

/** A connection given up on by a timer here, told apart from the network's own errors. */
class ConnectionTimeout extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(phase: 'connect' | 'TLS handshake', ms: number) {
    super(phase === 'connect' ? `no TCP connection within ${formatMs(ms)}` : `no TLS handshake within ${formatMs(ms)} (the port accepts connections but does not speak TLS)`);
  }
}

export function formatMs(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** A KubeConfig whose API clients, watches and exec streams carry the bounds above. */
export function boundedKubeConfig(lib: typeof k8s, o: TransportOptions): k8s.KubeConfig {
  // Every request in flight listens on the run's signal (diagnose keeps dozens going): that is
  // the design, not a leak, and Node's warning past ten listeners would reach the user's stderr.
  if (o.signal) setMaxListeners(0, o.signal);
  const base = new lib.IsomorphicFetchHttpLibrary();
  class BoundedKubeConfig extends lib.KubeConfig {
    override makeApiClient<T extends k8s.ApiType>(apiClientType: k8s.ApiConstructor<T>): T {
      const cluster = this.getCurrentCluster();
      if (!cluster) throw new Error('no current cluster in the kubeconfig');
      const server = cluster.server;
      const httpApi = lib.wrapHttpLibrary({ send: (request) => send(base, request, server, o) });
      return new apiClientType(lib.createConfiguration({ baseServer: new lib.ServerConfiguration(server, {}), authMethods: { default: this }, httpApi }));
    }

    // Generated API clients: client-node makes a new agent per request here, so every call
    // would open its own connection. Requests with the same TLS settings share one agent
    // that keeps its connections alive instead.
    private readonly pooled = new Map<string, http.Agent>();
    override async applySecurityAuthentication(context: k8s.RequestContext): Promise<void> {
      await super.applySecurityAuthentication(context);
      const agent = keepAlive(context.getAgent(), this.pooled);
      if (agent) context.setAgent(agent);
      boundConnections(context.getAgent(), o);
    }

    // Watches (via applyToFetchOptions) and exec/attach websockets.
    override async applyToHTTPSOptions(opts: Parameters<k8s.KubeConfig['applyToHTTPSOptions']>[0]): Promise<void> {
      await super.applyToHTTPSOptions(opts);
      boundConnections((opts as { agent?: unknown }).agent, o);
    }
  }
  return new BoundedKubeConfig();
}

async function send(base: k8s.IsomorphicFetchHttpLibrary, request: k8s.RequestContext, server: string, o: TransportOptions): Promise<k8s.ResponseContext> {
  // Ctrl-C cancels the requests in flight when it comes. Requests made after it are the
  // command's cleanup (deleting the token it made, say): they run, bounded as any other.
  const interrupt = o.signal && !o.signal.aborted ? o.signal : undefined;
  const timeout = o.requestTimeoutMs > 0 ? AbortSignal.timeout(o.requestTimeoutMs) : undefined;
  const signals = [interrupt, timeout].filter((s): s is AbortSignal => s !== undefined);
  if (signals.length > 0) request.setSignal(signals.length === 1 ? signals[0]! : AbortSignal.any(signals));
  const explain = (err: unknown): unknown => {
    if (interrupt?.aborted) return new InterruptedError();
    if (timeout?.aborted) {
      return new EnvironmentError(`the API server at ${server} did not answer within ${formatMs(o.requestTimeoutMs)} (--request-timeout)`, { hint: HINT, cause: err });
    }
    const gaveUp = connectionTimeout(err);
    if (gaveUp) return new EnvironmentError(`cannot reach the API server at ${server}: ${gaveUp}`, { hint: HINT, cause: err });
    return err;
  };
  // A kept-alive connection the server (or a balancer before it) closes as a request goes out
  // on it ends that request with a reset and no answer. A read is then sent again on a new
  // connection, as client-go does; a write never is: it may have been applied.
  const retryable = READS.has(request.getHttpMethod());
  let response: k8s.ResponseContext;
  for (let attempt = 1; ; attempt++) {
    try {
      response = await base.send(request).toPromise();
      break;
    } catch (err) {
      if (retryable && attempt < RESET_ATTEMPTS && !interrupt?.aborted && !timeout?.aborted && connectionReset(err)) continue;
      throw explain(err);
    }
  }
  // The body is read after the headers, under the same signal: a stall there is explained too.
  const body = response.body;
  response.body = {
    text: () => body.text().catch((err: unknown) => Promise.reject(explain(err))),
    binary: () => body.binary().catch((err: unknown) => Promise.reject(explain(err))),
  };
  return response;
}

/**
 * The shared keep-alive agent for a plain http(s) agent's settings, made on first use. Proxy
 * agents are left as they are (they tunnel per request). The settings are keyed by a digest,
 * so a rotated client certificate gets its own agent and no key material is held twice.
 */
function keepAlive(agent: unknown, pooled: Map<string, http.Agent>): http.Agent | undefined {
  const plain = agent instanceof https.Agent && agent.constructor === https.Agent ? 'https' : agent instanceof http.Agent && agent.constructor === http.Agent ? 'http' : undefined;
  if (!plain) return undefined;
  const options = (agent as http.Agent & { options?: Record<string, unknown> }).options ?? {};
  const fields = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'].map((k) => {
    const v = options[k];
    return v === undefined ? '' : Buffer.isBuffer(v) ? v.toString('base64') : typeof v === 'object' ? JSON.stringify(v) : String(v);
  });
  const key = `${plain}:${createHash('sha256').update(fields.join('\0')).digest('hex')}`;
  let shared = pooled.get(key);
  if (!shared) {
    // Idle sockets are unref'd by the agent, so an open connection never keeps the CLI running.
    const settings = { ...options, keepAlive: true, maxSockets: MAX_SOCKETS };
    shared = plain === 'https' ? new LateHttpsAgent(settings) : new LateHttpAgent(settings);
    pooled.set(key, shared);
  }
  return shared;
}

/**
 * An agent that hands a freed socket to the next request (or its pool) only after the
 * response that freed it has closed. node-fetch 2, under client-node, takes a chunked
 * response as cut short ("Premature close") when, as it closes, its socket already has the
 * next request's listeners (node-fetch issue 1767); the pod log of a node report was then
 * read as empty. One setImmediate per request is the whole cost.
 */
class LateHttpsAgent extends https.Agent {
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event !== 'free') return super.emit(event, ...args);
    setImmediate(() => super.emit(event, ...args));
    return true;
  }
}
class LateHttpAgent extends http.Agent {
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event !== 'free') return super.emit(event, ...args);
    setImmediate(() => super.emit(event, ...args));
    return true;
  }
}

const READS = new Set<string>(['GET', 'HEAD']);
/** Tries of a read whose connection was reset before any answer came. */
const RESET_ATTEMPTS = 3;

/** A connection reset or closed under a request before its response (node-fetch keeps the code). */
function connectionReset(err: unknown): boolean {
  const e = err as { code?: unknown; errno?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : typeof e?.errno === 'string' ? e.errno : '';
  return code === 'ECONNRESET' || code === 'EPIPE' || (typeof e?.message === 'string' && /socket hang up/.test(e.message));
}

/** The text of a ConnectionTimeout, also when node-fetch has re-wrapped it (it keeps only the message). */
function connectionTimeout(err: unknown): string | undefined {
  const message = err instanceof Error ? err.message : '';
  const at = message.search(/no (TCP connection|TLS handshake) within /);
  return at >= 0 ? message.slice(at) : undefined;
}

interface ConnectingAgent {
  createConnection?: (...args: unknown[]) => unknown;
  [GUARDED]?: true;
}
const GUARDED = Symbol('win-k8s.bounded');

/**
 * Times each new connection of the agent: TCP connect, then (for TLS) the handshake. The
 * socket is destroyed with a ConnectionTimeout when a phase overruns, which fails the request
 * holding it. Agents that connect through a proxy hand their socket over asynchronously and
 * are left to the request timeout.
 */
function boundConnections(agent: unknown, o: TransportOptions): void {
  const a = agent as ConnectingAgent | undefined;
  if (!a || typeof a.createConnection !== 'function' || a[GUARDED]) return;
  const create = a.createConnection;
  const connectMs = o.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
  const handshakeMs = o.handshakeTimeoutMs ?? TLS_HANDSHAKE_TIMEOUT_MS;
  a[GUARDED] = true;
  a.createConnection = function (this: unknown, ...args: unknown[]) {
    const socket = create.apply(this, args) as (NodeJS.EventEmitter & { destroy(err?: Error): void; encrypted?: boolean; connecting?: boolean }) | undefined;
    if (!socket || typeof socket.once !== 'function') return socket;
    let timer: NodeJS.Timeout | undefined;
    const arm = (phase: 'connect' | 'TLS handshake', ms: number) => {
      clearTimeout(timer);
      timer = setTimeout(() => socket.destroy(new ConnectionTimeout(phase, ms)), ms);
      timer.unref();
    };
    const disarm = () => clearTimeout(timer);
    const tls = socket.encrypted === true;
    if (socket.connecting !== false) arm('connect', connectMs);
    else if (tls) arm('TLS handshake', handshakeMs);
    socket.once('connect', () => (tls ? arm('TLS handshake', handshakeMs) : disarm()));
    socket.once('secureConnect', disarm);
    socket.once('close', disarm);
    return socket;
  };
}
