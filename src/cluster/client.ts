import type * as k8s from '@kubernetes/client-node';
import { EnvironmentError, OperationError, isWinK8sError } from '../errors.js';
import type { ResolvedKubeconfig } from './kubeconfig.js';
import { boundedKubeConfig, type TransportOptions } from './transport.js';

/**
 * The Kubernetes API clients win-k8s uses, created from a resolved kubeconfig. The client
 * library costs most of a second to import, so it is loaded here, only by commands that talk
 * to a cluster.
 */
export interface Cluster {
  kc: k8s.KubeConfig;
  lib: typeof k8s;
  core: k8s.CoreV1Api;
  apps: k8s.AppsV1Api;
  rbac: k8s.RbacAuthorizationV1Api;
  node: k8s.NodeV1Api;
  authz: k8s.AuthorizationV1Api;
  version: k8s.VersionApi;
  custom: k8s.CustomObjectsApi;
  policy: k8s.PolicyV1Api;
  resolved: ResolvedKubeconfig;
}

export async function connect(resolved: ResolvedKubeconfig, transport: TransportOptions = { requestTimeoutMs: 0 }): Promise<Cluster> {
  const lib = await import('@kubernetes/client-node');
  // Connect, TLS handshake and request bounds, and Ctrl-C, on every call made through kc.
  const kc = boundedKubeConfig(lib, transport);
  kc.loadFromOptions({
    clusters: resolved.config.clusters.map((c) => toCluster(c)),
    users: resolved.config.users.map((u) => toUser(u)),
    contexts: resolved.config.contexts.map((c) => toContext(c)),
    currentContext: resolved.contextName,
  });
  return {
    kc,
    lib,
    core: kc.makeApiClient(lib.CoreV1Api),
    apps: kc.makeApiClient(lib.AppsV1Api),
    rbac: kc.makeApiClient(lib.RbacAuthorizationV1Api),
    node: kc.makeApiClient(lib.NodeV1Api),
    authz: kc.makeApiClient(lib.AuthorizationV1Api),
    version: kc.makeApiClient(lib.VersionApi),
    custom: kc.makeApiClient(lib.CustomObjectsApi),
    policy: kc.makeApiClient(lib.PolicyV1Api),
    resolved,
  };
}

type Entry = { name: string; [k: string]: unknown };

function toCluster(e: Entry): k8s.Cluster {
  const c = (e.cluster ?? {}) as Record<string, unknown>;
  return {
    name: e.name,
    server: String(c.server ?? ''),
    caData: c['certificate-authority-data'] as string | undefined,
    caFile: c['certificate-authority'] as string | undefined,
    skipTLSVerify: c['insecure-skip-tls-verify'] === true,
    tlsServerName: c['tls-server-name'] as string | undefined,
    proxyUrl: c['proxy-url'] as string | undefined,
  };
}

function toUser(e: Entry): k8s.User {
  const u = (e.user ?? {}) as Record<string, unknown>;
  return {
    name: e.name,
    token: u.token as string | undefined,
    certData: u['client-certificate-data'] as string | undefined,
    certFile: u['client-certificate'] as string | undefined,
    keyData: u['client-key-data'] as string | undefined,
    keyFile: u['client-key'] as string | undefined,
    username: u.username as string | undefined,
    password: u.password as string | undefined,
    exec: u.exec as k8s.User['exec'],
    authProvider: u['auth-provider'] as k8s.User['authProvider'],
  };
}

function toContext(e: Entry): k8s.Context {
  const c = (e.context ?? {}) as Record<string, unknown>;
  return { name: e.name, cluster: String(c.cluster ?? ''), user: String(c.user ?? ''), namespace: c.namespace as string | undefined };
}

/** The HTTP status of a client-node error, or undefined for transport errors. */
export function statusCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

export function isNotFound(err: unknown): boolean {
  return statusCode(err) === 404;
}

/** The Status message a failed API call carried, when there is one. */
export function apiMessage(err: unknown): string {
  const body = (err as { body?: unknown }).body;
  if (typeof body === 'string') {
    try {
      const parsed = JSON.parse(body) as { message?: string };
      if (parsed.message) return parsed.message;
    } catch {
      // not JSON
    }
  }
  return err instanceof Error ? err.message.split('\n')[0]! : String(err);
}

/**
 * Maps an API error to the public exit codes: unreachable or denied is the environment (3),
 * anything else a failed operation (1). `what` says what was being done.
 */
export function apiError(err: unknown, what: string, server: string): Error {
  if (isWinK8sError(err)) return err;
  const status = statusCode(err);
  if (status === undefined) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as { code?: string }).code ?? (err instanceof Error ? err.message : String(err));
    return new EnvironmentError(`cannot reach the API server at ${server} while trying to ${what}: ${cause}`, { hint: 'check --kubeconfig/--context, the network path to the control plane, and that the API server is running', cause: err });
  }
  if (status === 401) return new EnvironmentError(`the API server at ${server} rejected the credentials while trying to ${what} (401)`, { hint: 'refresh the kubeconfig credentials', cause: err });
  if (status === 403) return new EnvironmentError(`forbidden: ${apiMessage(err)}`, { hint: 'run as a user with cluster-admin rights, or see the RBAC check in `win-k8s plan`', cause: err });
  return new OperationError(`failed to ${what}: ${apiMessage(err)} (HTTP ${status})`, { cause: err });
}
