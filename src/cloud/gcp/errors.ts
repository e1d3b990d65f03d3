import { EnvironmentError, OperationError, UsageError, isWinK8sError, type WinK8sError } from '../../errors.js';

/**
 * Maps Compute Engine failures onto win-k8s's exit-code classes. google-gax turns HTTP errors
 * into gRPC-style codes (429 → 8 RESOURCE_EXHAUSTED, 403 → 7 PERMISSION_DENIED, 503 → 14) and
 * keeps the REST reason (rateLimitExceeded, ...) in `reason` or the message.
 */

export interface GcpErrorContext {
  /** The API call, e.g. "compute.instances.insert". */
  action: string;
  project?: string | undefined;
  zone?: string | undefined;
  endpoint?: string | undefined;
  /** The machine type being created, named in quota advice (CPU quotas are per family). */
  machineType?: string | undefined;
}

interface GaxErrorLike {
  code?: unknown;
  reason?: unknown;
  message?: unknown;
  statusDetails?: unknown;
}

export const GRPC = { notFound: 5, alreadyExists: 6, permissionDenied: 7, resourceExhausted: 8, failedPrecondition: 9, aborted: 10, internal: 13, unavailable: 14, unauthenticated: 16 } as const;

/** google-gax's HTTP → gRPC status table (googleError.ts), for errors it never got to decode. */
const HTTP_TO_GRPC: Record<number, number> = { 400: 3, 401: 16, 403: 7, 404: 5, 409: 10, 416: 11, 429: 8, 499: 1, 501: 12, 503: 14, 504: 4 };
const GRPC_BY_NAME: Record<string, number> = {
  CANCELLED: 1, UNKNOWN: 2, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, ALREADY_EXISTS: 6, PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9, ABORTED: 10, OUT_OF_RANGE: 11, UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14, DATA_LOSS: 15, UNAUTHENTICATED: 16,
};

function grpcFromHttp(status: number): number {
  return HTTP_TO_GRPC[status] ?? (status >= 400 && status < 500 ? GRPC.failedPrecondition : status >= 500 ? GRPC.internal : 2);
}

/**
 * With Application Default Credentials google-gax sends each request through
 * google-auth-library, whose HTTP client (gaxios) throws on a non-2xx answer before google-gax
 * decodes it: that error has the HTTP status as `code`, the raw JSON body as its message, and
 * no reason. Turned into what google-gax gives for a decoded error (gRPC code, REST reason,
 * the API's message), one mapping serves every credential type. Anything else is returned as is.
 */
export function normalizeGcpError(err: unknown): unknown {
  if (typeof err !== 'object' || err === null) return err;
  const e = err as { status?: unknown; response?: { status?: unknown; data?: unknown }; message?: unknown };
  const status = typeof e.status === 'number' ? e.status : typeof e.response?.status === 'number' ? e.response.status : undefined;
  if (status === undefined || status < 400 || e.response === undefined) return err;
  const text = typeof e.response.data === 'string' ? e.response.data : typeof e.message === 'string' ? e.message : '';
  let body: { error?: { message?: unknown; status?: unknown; errors?: Array<{ reason?: unknown }> } } | undefined;
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    body = undefined;
  }
  const apiError = body && typeof body.error === 'object' && body.error !== null ? body.error : undefined;
  const named = typeof apiError?.status === 'string' ? GRPC_BY_NAME[apiError.status] : undefined;
  const reason = apiError?.errors?.find((x) => typeof x?.reason === 'string')?.reason as string | undefined;
  const message = typeof apiError?.message === 'string' ? apiError.message : `HTTP ${status}: ${text.slice(0, 200)}`;
  return Object.assign(new Error(message, { cause: err }), { code: named ?? grpcFromHttp(status), httpStatus: status, ...(reason ? { reason } : {}) });
}

export function gcpCode(err: unknown): number | string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as GaxErrorLike).code;
  return typeof code === 'number' || typeof code === 'string' ? code : undefined;
}

function rawMessage(err: unknown): string {
  const m = typeof err === 'object' && err !== null ? (err as GaxErrorLike).message : undefined;
  return typeof m === 'string' ? m : String(err);
}

/** The REST reason (rateLimitExceeded, QUOTA_EXCEEDED ...) when the error carries one. */
export function gcpReason(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const reason = (err as GaxErrorLike).reason;
  return typeof reason === 'string' && reason !== '' ? reason : undefined;
}

/**
 * Removes what must never be shown: kubeadm token look-alikes and long base64 runs (the
 * compressed bootstrap is base64 and carries a token). GCE messages do not normally echo
 * metadata; this makes sure.
 */
export function scrub(text: string): string {
  return text
    .replace(/\b[a-z0-9]{6}\.[a-z0-9]{16}\b/g, '<redacted>')
    .replace(/[A-Za-z0-9+/=]{120,}/g, '<redacted>')
    .slice(0, 600);
}

export function gcpMessage(err: unknown): string {
  return scrub(rawMessage(err));
}

const NETWORK_CODES = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE'];

export function isNetworkFailure(err: unknown): boolean {
  const code = gcpCode(err);
  if (typeof code === 'string' && NETWORK_CODES.includes(code)) return true;
  const cause = typeof err === 'object' && err !== null ? (err as { cause?: unknown }).cause : undefined;
  const causeCode = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
  return (typeof causeCode === 'string' && NETWORK_CODES.includes(causeCode)) || /fetch failed/i.test(rawMessage(err));
}

export function isRateLimited(err: unknown): boolean {
  const reason = gcpReason(err) ?? '';
  if (reason === 'rateLimitExceeded' || reason === 'userRateLimitExceeded' || reason === 'RATE_LIMIT_EXCEEDED') return true;
  const code = gcpCode(err);
  const msg = rawMessage(err);
  // 403 carries rate limits as well as real denials: only the reason or message tells them apart.
  return (code === GRPC.resourceExhausted || code === GRPC.permissionDenied) && /rate ?limit/i.test(msg);
}

/**
 * A resource quota (CPUs, addresses, disks, firewall rules): the API refuses the insert with
 * 403 quotaExceeded, which is neither a permissions problem nor worth retrying. Per-minute API
 * quotas are rate limits, told apart by their reason or wording.
 */
export function isQuotaExceeded(err: unknown): boolean {
  const reason = gcpReason(err);
  if (reason === 'quotaExceeded' || reason === 'QUOTA_EXCEEDED') return true;
  if (isRateLimited(err)) return false;
  const msg = rawMessage(err);
  return gcpCode(err) === GRPC.permissionDenied && /\bquota\b/i.test(msg) && !/per (second|minute|100 seconds)/i.test(msg);
}

/**
 * What to do about an exceeded quota, for a refused insert and a failed operation alike: the
 * quota is named in the API's own text, so the advice says where to ask for more of it.
 */
export function quotaAdvice(detail: string, where: { machineType?: string | undefined; zone?: string | undefined }): string {
  const region = where.zone?.replace(/-[a-z]$/, '');
  const cpus = where.machineType ? `; for CPUs, those of ${where.machineType}` : '';
  return (
    `quota exceeded (${detail}). Ask for more quota (IAM & Admin > Quotas in the Cloud console${region ? `, region ${region}` : ''}${cpus}` +
    `${region ? `; \`gcloud compute regions describe ${region}\` shows usage and limits` : ''}), or create fewer or smaller nodes.`
  );
}

/** Worth another attempt: rate limits and the server's own failures (5xx). */
export function isRetryable(err: unknown): boolean {
  if (isWinK8sError(err)) return false;
  const code = gcpCode(err);
  // HTTP 409 becomes ABORTED too, but an alreadyExists conflict stays one however often it is retried.
  return isRateLimited(err) || code === GRPC.internal || code === GRPC.unavailable || (code === GRPC.aborted && gcpReason(err) !== 'alreadyExists');
}

/**
 * A metadata fingerprint that no longer matches (HTTP 412 conditionNotMet, which google-gax
 * turns into FAILED_PRECONDITION): the metadata changed since it was read.
 */
export function isStaleFingerprint(err: unknown): boolean {
  if (isWinK8sError(err)) return false;
  const reason = gcpReason(err);
  if (reason === 'conditionNotMet') return true;
  const status = typeof err === 'object' && err !== null ? (err as { httpStatus?: unknown }).httpStatus : undefined;
  return status === 412 || (gcpCode(err) === GRPC.failedPrecondition && /fingerprint/i.test(rawMessage(err)));
}

export function isNotFound(err: unknown): boolean {
  return gcpCode(err) === GRPC.notFound;
}

const NO_CREDENTIALS = /could not load the default credentials|does not exist, or it is not a file|GOOGLE_APPLICATION_CREDENTIALS|Unable to detect a Project Id|No authentication was provided|invalid_grant|Could not refresh access token/i;

const PERMISSIONS_HINT =
  'win-k8s needs compute.instances.get/list/create/delete/getSerialPortOutput/setMetadata/setLabels/setTags, compute.disks.create/delete, ' +
  'compute.images.get/getFromFamily/useReadOnly, compute.subnetworks.get/list/use, compute.machineTypes.get/list, compute.firewalls.get/create/update/delete, ' +
  'compute.networks.updatePolicy, compute.zoneOperations.get and compute.globalOperations.get (roles/compute.instanceAdmin.v1 plus roles/compute.securityAdmin cover them; the README lists them as a custom role)';

export function toWinK8sError(err: unknown, ctx: GcpErrorContext): WinK8sError {
  if (isWinK8sError(err)) return err;
  const code = gcpCode(err);
  const message = gcpMessage(err);
  const where = ctx.project ? ` in project ${ctx.project}${ctx.zone ? `, zone ${ctx.zone}` : ''}` : '';

  if (NO_CREDENTIALS.test(rawMessage(err))) {
    return new EnvironmentError('no usable Google Cloud credentials found', {
      cause: err,
      hint: 'run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS to a service account key file, or run on a VM with a service account; `gcloud auth application-default print-access-token` shows whether they work',
    });
  }
  if (code === GRPC.unauthenticated) {
    return new EnvironmentError(`Google Cloud rejected the credentials (${message})`, {
      cause: err,
      hint: 'refresh them with `gcloud auth application-default login`, and check that the system clock is right',
    });
  }
  if (isQuotaExceeded(err)) {
    return new OperationError(`${ctx.action} refused${where}: ${quotaAdvice(message, ctx)}`, { cause: err });
  }
  if (code === GRPC.permissionDenied && !isRateLimited(err)) {
    return new EnvironmentError(`not allowed to call ${ctx.action}${where}: ${message}`, { cause: err, hint: PERMISSIONS_HINT });
  }
  if (isNetworkFailure(err)) {
    const target = ctx.endpoint ? `the Compute Engine API at ${ctx.endpoint}` : 'the Compute Engine API (compute.googleapis.com)';
    return new EnvironmentError(`cannot reach ${target}`, { cause: err, hint: 'check the network, DNS and any proxy (HTTPS_PROXY)' });
  }
  if (isRateLimited(err)) {
    return new OperationError(`Compute Engine kept rate-limiting ${ctx.action}${where} after every retry`, {
      cause: err,
      hint: 'lower --concurrency, or retry in a few minutes when other tools in the project are less busy',
    });
  }
  if (code === GRPC.notFound) {
    return new OperationError(`${ctx.action}${where}: not found: ${message}`, { cause: err });
  }
  return new OperationError(`${ctx.action} failed${where}: ${message}`, { cause: err });
}

/** One Compute Engine operation's error list, as reported by a DONE operation. */
export interface OperationErrors {
  errors?: Array<{ code?: string | null; message?: string | null }> | null;
}

/**
 * The text for an error inside a DONE operation: the SDK does not throw these, so each is
 * explained here with what to do about it.
 */
export function describeOperationError(error: OperationErrors, where: { machineType?: string | undefined; zone?: string | undefined; project?: string | undefined }): { message: string; code: string } {
  const first = error.errors?.[0];
  const code = first?.code ?? 'UNKNOWN';
  const detail = scrub(first?.message ?? 'no detail given');
  switch (code) {
    case 'QUOTA_EXCEEDED':
      return { code, message: quotaAdvice(detail, where) };
    case 'ZONE_RESOURCE_POOL_EXHAUSTED':
    case 'ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS':
      return {
        code,
        message: `zone ${where.zone ?? ''} has no capacity for ${where.machineType ?? 'this machine type'} right now (${detail}). Retry later, choose another zone with --zone (and a subnetwork in its region), or another machine type with --instance-type.`,
      };
    default:
      return { code, message: `${code}: ${detail}` };
  }
}
