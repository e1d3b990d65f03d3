import { EnvironmentError, OperationError, isWinK8sError, type WinK8sError } from '../../errors.js';

/**
 * Maps Azure SDK failures (RestError: ARM's `{error:{code,message}}` as `code`/`statusCode`,
 * identity errors by `name`) onto win-k8s's exit-code classes. ARM messages can echo request
 * fields, so every message passes through scrub() first.
 */

interface RestErrorLike {
  name?: unknown;
  code?: unknown;
  statusCode?: unknown;
  message?: unknown;
}

/**
 * A long-running operation that ends Failed (AllocationFailed after the VM PUT was accepted)
 * surfaces from core-lro as a plain Error whose only trace of ARM's error is its message:
 * "The long-running operation has failed. <code>. <message>".
 */
const LRO_FAILED = /^The long-running operation has failed\. ([A-Za-z][\w.]*)\. ([\s\S]*)$/;

function lroFailure(err: unknown): { code: string; message: string } | undefined {
  const msg = typeof err === 'object' && err !== null ? (err as RestErrorLike).message : undefined;
  const m = typeof msg === 'string' ? LRO_FAILED.exec(msg) : null;
  return m ? { code: m[1]!, message: m[2]! } : undefined;
}

export function azureErrorCode(err: unknown): string {
  if (typeof err !== 'object' || err === null) return 'Error';
  const e = err as RestErrorLike;
  if (typeof e.code === 'string' && e.code !== '') return e.code;
  const lro = lroFailure(err);
  if (lro) return lro.code;
  if (typeof e.name === 'string' && e.name !== 'Error') return e.name;
  return 'Error';
}

export function azureStatus(err: unknown): number | undefined {
  const s = typeof err === 'object' && err !== null ? (err as RestErrorLike).statusCode : undefined;
  return typeof s === 'number' ? s : undefined;
}

/** Token look-alikes and long base64 runs (customData carries the bootstrap and its token). */
export function scrub(text: string): string {
  return text
    .replace(/\b[a-z0-9]{6}\.[a-z0-9]{16}\b/g, '<redacted>')
    .replace(/[A-Za-z0-9+/=]{120,}/g, '<redacted>')
    .slice(0, 600);
}

export function azureMessage(err: unknown): string {
  const raw = lroFailure(err)?.message ?? (typeof err === 'object' && err !== null ? (err as RestErrorLike).message : undefined);
  return scrub(typeof raw === 'string' ? raw : String(err));
}

const NETWORK_CODES = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'REQUEST_SEND_ERROR'];
const CREDENTIAL_NAMES = ['CredentialUnavailableError', 'AuthenticationError', 'AggregateAuthenticationError'];
const BAD_TOKEN = ['AuthenticationFailed', 'InvalidAuthenticationToken', 'InvalidAuthenticationTokenTenant', 'ExpiredAuthenticationToken'];
const DENIED = ['AuthorizationFailed', 'LinkedAuthorizationFailed', 'RequestDisallowedByPolicy'];

/** Per-VM capacity and policy failures, with what the user can do about each. */
export const VM_FAILURE_HINTS: Record<string, string> = {
  QuotaExceeded: 'the subscription\'s vCPU quota for this VM family or region is used up: request more (Portal > Subscriptions > Usage + quotas), lower --count, or choose a smaller --instance-type',
  OperationNotAllowed: 'Azure refused the operation, usually a quota limit or a subscription restriction: read the message, then request more quota or choose another --instance-type or --location',
  SkuNotAvailable: 'this --instance-type is not offered in the location (or is restricted for the subscription): choose another size (`az vm list-skus --location <loc> --resource-type virtualMachines`)',
  AllocationFailed: 'Azure has no capacity for this size right now: retry later, or choose another --instance-type',
  ZonalAllocationFailed: 'Azure has no capacity for this size in the zone right now: retry later, or choose another --instance-type',
};

/**
 * OperationNotAllowed covers unrelated refusals; an OS disk smaller than the image's is one
 * ("The specified disk size 100 GB is smaller than the size of the corresponding disk in the VM
 * image: 127 GB"), and a quota hint would send the user the wrong way.
 */
const DISK_SMALLER_THAN_IMAGE = /disk size .*smaller than the size of the corresponding disk in the VM image/i;

export function failureHint(code: string, message: string): string | undefined {
  if (code === 'OperationNotAllowed' && DISK_SMALLER_THAN_IMAGE.test(message)) {
    return 'the OS disk is smaller than the image\'s (its size is in the message): pass --disk-size of at least that size, or leave --disk-size out to get the image\'s size';
  }
  return VM_FAILURE_HINTS[code];
}

export function isEnvironmentFailure(err: unknown): boolean {
  if (isWinK8sError(err)) return err.exitCode === 3;
  const code = azureErrorCode(err);
  const status = azureStatus(err);
  return CREDENTIAL_NAMES.includes(code) || BAD_TOKEN.includes(code) || DENIED.includes(code) || NETWORK_CODES.includes(code) || status === 401 || status === 403;
}

export interface AzureErrorContext {
  action: string;
  endpoint?: string | undefined;
}

export function toWinK8sError(err: unknown, ctx: AzureErrorContext): WinK8sError {
  if (isWinK8sError(err)) return err;
  const code = azureErrorCode(err);
  const status = azureStatus(err);
  const message = azureMessage(err);
  if (CREDENTIAL_NAMES.includes(code)) {
    return new EnvironmentError(`no usable Azure credentials (${code})`, {
      cause: err,
      hint: 'sign in with `az login`, or set AZURE_TENANT_ID/AZURE_CLIENT_ID/AZURE_CLIENT_SECRET (or a managed identity); `az account show` shows which identity is used',
    });
  }
  if (BAD_TOKEN.includes(code) || status === 401) {
    return new EnvironmentError(`Azure rejected the credentials (${code})`, { cause: err, hint: 'run `az login` again, and check the tenant (AZURE_TENANT_ID) and the subscription' });
  }
  if (DENIED.includes(code) || status === 403) {
    return new EnvironmentError(`not allowed to ${ctx.action} (${code})`, {
      cause: err,
      hint: 'the identity needs Virtual Machine Contributor and Network Contributor on the resource group (or Contributor)',
    });
  }
  if (NETWORK_CODES.includes(code)) {
    return new EnvironmentError(`cannot reach the Azure API${ctx.endpoint ? ` at ${ctx.endpoint}` : ''} (${code})`, {
      cause: err,
      hint: 'check the network, HTTPS_PROXY, and AZURE_ARM_ENDPOINT if set',
    });
  }
  if (code === 'SubscriptionNotFound' || code === 'ResourceGroupNotFound') {
    return new EnvironmentError(`${ctx.action}: ${code}: ${message}`, { cause: err, hint: 'check --subscription (AZURE_SUBSCRIPTION_ID) and --resource-group' });
  }
  if (status === 429) {
    return new OperationError(`Azure kept throttling the request to ${ctx.action} after every retry`, { cause: err, hint: 'lower --concurrency, or retry in a few minutes' });
  }
  const hint = failureHint(code, message);
  return new OperationError(`${ctx.action} failed: ${code}: ${message}`, hint ? { cause: err, hint } : { cause: err });
}

/** One VM's failure as the text of VmResult.error: the code, ARM's message and what to do. */
export function vmFailureText(err: unknown): string {
  if (isWinK8sError(err)) return err.hint ? `${err.message} (${err.hint})` : err.message;
  const code = azureErrorCode(err);
  const message = azureMessage(err);
  const hint = failureHint(code, message);
  return `${code}: ${message}${hint ? ` — ${hint}` : ''}`;
}
