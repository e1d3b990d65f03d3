import { randomInt } from 'node:crypto';
import { inspect } from 'node:util';
import type * as k8s from '@kubernetes/client-node';
import { OperationError } from '../errors.js';
import type { EventSink } from '../output/output.js';
import { apiError, isNotFound, statusCode } from './client.js';
import type { Cluster } from './client.js';
import { MANAGED_BY_LABELS, MANAGED_SELECTOR, POOL_LABEL } from './nodes.js';

/**
 * Short-lived kubeadm bootstrap tokens, one per join. They are created exactly as
 * `kubeadm token create` does, so the cluster's own machinery (the bootstrap-token
 * authenticator, the bootstrap signer of cluster-info, kubeadm's RBAC for
 * system:bootstrappers:kubeadm:default-node-token and the token cleaner) works with them
 * unchanged. The token value is a credential: it is returned to the caller and never passed
 * to an EventSink; only the id (which is public, it names the Secret) is reported.
 */

export const BOOTSTRAP_TOKEN_NAMESPACE = 'kube-system';
export const BOOTSTRAP_TOKEN_SECRET_TYPE = 'bootstrap.kubernetes.io/token';
/** The group kubeadm binds to node bootstrapping (CSR creation, auto-approval, kubeadm-config reads). */
export const BOOTSTRAP_TOKEN_GROUP = 'system:bootstrappers:kubeadm:default-node-token';
export const DEFAULT_TOKEN_TTL_SECONDS = 1800;

const TOKEN_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const ID_LENGTH = 6;
const SECRET_LENGTH = 16;
/** A clash on a 36^6 id space is rare; a handful of tries separates bad luck from a broken API. */
const MAX_CREATE_ATTEMPTS = 5;

export interface BootstrapTokenOptions {
  /** The win-k8s pool the token is for (labels the Secret, names it in the description). */
  pool: string;
  /** Lifetime; the cluster's token cleaner deletes the Secret once expired (default 1800). */
  ttlSeconds?: number;
  description?: string;
  now?: () => Date;
}

export interface BootstrapToken {
  id: string;
  secret: string;
  /** "<id>.<secret>", what `kubeadm join --token` takes. */
  token: string;
  expiresAt: Date;
  secretName: string;
}

export function bootstrapTokenSecretName(id: string): string {
  return `bootstrap-token-${id}`;
}

function randomString(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += TOKEN_ALPHABET[randomInt(TOKEN_ALPHABET.length)];
  return out;
}

/** kubeadm writes RFC 3339 without fractional seconds. */
function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function tokenSecret(id: string, secret: string, expiresAt: Date, opts: BootstrapTokenOptions): k8s.V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: bootstrapTokenSecretName(id),
      namespace: BOOTSTRAP_TOKEN_NAMESPACE,
      labels: { [POOL_LABEL]: opts.pool, ...MANAGED_BY_LABELS },
    },
    type: BOOTSTRAP_TOKEN_SECRET_TYPE,
    stringData: {
      'token-id': id,
      'token-secret': secret,
      'usage-bootstrap-authentication': 'true',
      'usage-bootstrap-signing': 'true',
      'auth-extra-groups': BOOTSTRAP_TOKEN_GROUP,
      expiration: rfc3339(expiresAt),
      description: opts.description ?? `win-k8s join token for pool ${opts.pool}`,
    },
  };
}

/** Creates a kubeadm-format bootstrap token Secret in kube-system and returns the token. */
export async function createBootstrapToken(cluster: Cluster, opts: BootstrapTokenOptions): Promise<BootstrapToken> {
  const ttlSeconds = opts.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) throw new Error(`bootstrap token ttlSeconds must be a positive integer, got ${ttlSeconds}`);
  // Whole seconds, so the returned expiry equals the one stored in the Secret.
  const nowMs = Math.floor((opts.now ?? (() => new Date()))().getTime() / 1000) * 1000;
  const expiresAt = new Date(nowMs + ttlSeconds * 1000);
  for (let attempt = 1; attempt <= MAX_CREATE_ATTEMPTS; attempt++) {
    const id = randomString(ID_LENGTH);
    const secret = randomString(SECRET_LENGTH);
    try {
      await cluster.core.createNamespacedSecret({ namespace: BOOTSTRAP_TOKEN_NAMESPACE, body: tokenSecret(id, secret, expiresAt, opts) });
    } catch (err) {
      if (statusCode(err) === 409) continue;
      throw apiError(err, `create a bootstrap token in ${BOOTSTRAP_TOKEN_NAMESPACE}`, cluster.resolved.server);
    }
    return { id, secret, token: `${id}.${secret}`, expiresAt, secretName: bootstrapTokenSecretName(id) };
  }
  throw new OperationError(`failed to create a bootstrap token: ${MAX_CREATE_ATTEMPTS} random token ids in a row already existed in ${BOOTSTRAP_TOKEN_NAMESPACE}`, {
    hint: 'list them with `kubectl -n kube-system get secrets --field-selector type=bootstrap.kubernetes.io/token`',
  });
}

/** Deletes the token's Secret; a token that is already gone counts as deleted. */
export async function deleteBootstrapToken(cluster: Cluster, id: string): Promise<void> {
  try {
    await cluster.core.deleteNamespacedSecret({ name: bootstrapTokenSecretName(id), namespace: BOOTSTRAP_TOKEN_NAMESPACE });
  } catch (err) {
    if (isNotFound(err)) return;
    throw apiError(err, `delete bootstrap token ${id}`, cluster.resolved.server);
  }
}

/** A win-k8s bootstrap token as the cluster holds it: id and expiry only, never the secret. */
export interface PoolToken {
  id: string;
  pool: string;
  expiresAt: string | null;
}

/**
 * The bootstrap tokens win-k8s created for a pool (or for every pool) that have not expired.
 * A run killed hard (SIGKILL, a lost CI runner) leaves its token valid until it expires: the
 * cluster's token cleaner deletes it only then.
 */
export async function listPoolTokens(cluster: Cluster, pool: string | undefined, now = new Date()): Promise<PoolToken[]> {
  const labelSelector = [pool ? `${POOL_LABEL}=${pool}` : POOL_LABEL, MANAGED_SELECTOR].join(',');
  let items: k8s.V1Secret[];
  try {
    items = (await cluster.core.listNamespacedSecret({ namespace: BOOTSTRAP_TOKEN_NAMESPACE, labelSelector, fieldSelector: `type=${BOOTSTRAP_TOKEN_SECRET_TYPE}` })).items;
  } catch (err) {
    throw apiError(err, `list bootstrap tokens in ${BOOTSTRAP_TOKEN_NAMESPACE}`, cluster.resolved.server);
  }
  const decode = (v: string | undefined) => (v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8'));
  const tokens: PoolToken[] = [];
  for (const secret of items) {
    const id = decode(secret.data?.['token-id']) ?? secret.stringData?.['token-id'] ?? secret.metadata?.name?.replace(/^bootstrap-token-/, '') ?? '';
    const expiration = decode(secret.data?.expiration) ?? secret.stringData?.expiration ?? null;
    if (expiration && new Date(expiration).getTime() <= now.getTime()) continue;
    tokens.push({ id, pool: secret.metadata?.labels?.[POOL_LABEL] ?? '', expiresAt: expiration });
  }
  return tokens.sort((a, b) => a.pool.localeCompare(b.pool) || a.id.localeCompare(b.id));
}

/**
 * A created token that must be deleted again. release() is idempotent and concurrency-safe:
 * the normal path and a Ctrl-C handler may both call it and only one DELETE is sent.
 */
export class TokenLease {
  private released: Promise<void> | undefined;

  constructor(
    private readonly cluster: Cluster,
    readonly bootstrapToken: BootstrapToken,
  ) {}

  get id(): string {
    return this.bootstrapToken.id;
  }

  get token(): string {
    return this.bootstrapToken.token;
  }

  get expiresAt(): Date {
    return this.bootstrapToken.expiresAt;
  }

  get isReleased(): boolean {
    return this.released !== undefined;
  }

  release(): Promise<void> {
    this.released ??= deleteBootstrapToken(this.cluster, this.id);
    return this.released;
  }

  // A lease that ends up in a log line or a JSON document must not carry the credential.
  toJSON(): { id: string; expiresAt: string } {
    return { id: this.id, expiresAt: this.expiresAt.toISOString() };
  }

  [inspect.custom](): string {
    return `TokenLease { id: '${this.id}', expiresAt: ${this.expiresAt.toISOString()} }`;
  }
}

export async function leaseBootstrapToken(cluster: Cluster, opts: BootstrapTokenOptions, onEvent?: EventSink): Promise<TokenLease> {
  const token = await createBootstrapToken(cluster, opts);
  onEvent?.({ level: 'debug', message: `created bootstrap token ${token.id} for pool ${opts.pool}, expiring ${rfc3339(token.expiresAt)}` });
  return new TokenLease(cluster, token);
}

/**
 * Runs fn with a fresh bootstrap token and deletes the token afterwards, whether fn returns or
 * throws. fn's own error always wins over a failed delete (which is then reported as a warning);
 * after a successful fn, a failed delete throws, because a live join credential was left behind.
 * `onLease` hands the lease out early, e.g. to a signal handler that releases it on Ctrl-C.
 */
export async function withBootstrapToken<T>(
  cluster: Cluster,
  opts: BootstrapTokenOptions & { onEvent?: EventSink; onLease?: (lease: TokenLease) => void },
  fn: (lease: TokenLease) => Promise<T>,
): Promise<T> {
  const { onEvent, onLease, ...tokenOpts } = opts;
  const lease = await leaseBootstrapToken(cluster, tokenOpts, onEvent);
  onLease?.(lease);
  let result: T;
  try {
    result = await fn(lease);
  } catch (err) {
    await lease.release().then(
      () => onEvent?.({ level: 'debug', message: `deleted bootstrap token ${lease.id}` }),
      (releaseErr: unknown) => onEvent?.({ level: 'warn', message: leftBehindMessage(lease, releaseErr) }),
    );
    throw err;
  }
  try {
    await lease.release();
  } catch (releaseErr) {
    throw new OperationError(leftBehindMessage(lease, releaseErr), { cause: releaseErr, hint: `delete it with \`kubectl -n ${BOOTSTRAP_TOKEN_NAMESPACE} delete secret ${bootstrapTokenSecretName(lease.id)}\`` });
  }
  onEvent?.({ level: 'debug', message: `deleted bootstrap token ${lease.id}` });
  return result;
}

function leftBehindMessage(lease: TokenLease, err: unknown): string {
  const reason = err instanceof Error ? err.message : String(err);
  return `could not delete bootstrap token ${lease.id} (it stays valid until ${rfc3339(lease.expiresAt)}): ${reason}`;
}
