/** Kubernetes `Status` error bodies, shaped as the real kube-apiserver sends them. */
import type { KubeObject, ResourceType } from './types.js';
import { qualifiedResource } from './types.js';

export const REASON_BY_CODE: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Expired',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: Array<{ reason?: string; message?: string; field?: string }>;
  retryAfterSeconds?: number;
}

/** An error that the server turns into a Status response. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toStatus(): KubeObject {
    return statusBody(this.code, this.reason, this.message, this.details);
  }
}

export function statusBody(code: number, reason: string, message: string, details?: StatusDetails): KubeObject {
  const body: KubeObject = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason };
  if (details && Object.keys(details).length > 0) body['details'] = details;
  body['code'] = code;
  return body;
}

export function successStatus(code = 200, details?: StatusDetails): KubeObject {
  const body: KubeObject = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success' };
  if (details) body['details'] = details;
  body['code'] = code;
  return body;
}

function detailsFor(rt: Pick<ResourceType, 'group' | 'resource'>, name?: string): StatusDetails {
  const d: StatusDetails = {};
  if (name) d.name = name;
  if (rt.group) d.group = rt.group;
  d.kind = rt.resource;
  return d;
}

export function notFound(rt: Pick<ResourceType, 'group' | 'resource'>, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${qualifiedResource(rt)} "${name}" not found`, detailsFor(rt, name));
}

export function alreadyExists(rt: Pick<ResourceType, 'group' | 'resource'>, name: string): ApiError {
  return new ApiError(409, 'AlreadyExists', `${qualifiedResource(rt)} "${name}" already exists`, detailsFor(rt, name));
}

export function conflict(rt: Pick<ResourceType, 'group' | 'resource'>, name: string, why?: string): ApiError {
  return new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(rt)} "${name}": ${
      why ?? 'the object has been modified; please apply your changes to the latest version and try again'
    }`,
    detailsFor(rt, name),
  );
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

export function invalid(kind: string, name: string, causes: Array<{ field: string; message: string; reason?: string }>, group?: string): ApiError {
  const summary = causes.map((c) => `${c.field}: ${c.message}`).join(', ');
  const msg = `${kind} "${name}" is invalid: ${causes.length > 1 ? `[${summary}]` : summary}`;
  const details: StatusDetails = { name, ...(group ? { group } : {}), kind, causes: causes.map((c) => ({ reason: c.reason ?? 'FieldValueInvalid', message: c.message, field: c.field })) };
  return new ApiError(422, 'Invalid', msg, details);
}

export function unauthorized(): ApiError {
  return new ApiError(401, 'Unauthorized', 'Unauthorized');
}

export function methodNotAllowed(): ApiError {
  return new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
}

export function genericError(code: number, message?: string, reason?: string): ApiError {
  const r = reason ?? REASON_BY_CODE[code] ?? 'Unknown';
  return new ApiError(code, r, message ?? defaultMessage(code));
}

function defaultMessage(code: number): string {
  switch (code) {
    case 429:
      return 'Too many requests, please try again later.';
    case 500:
      return 'Internal error occurred: injected fault';
    case 503:
      return 'the server is currently unable to handle the request';
    case 504:
      return 'Timeout: request did not complete within the allotted timeout';
    default:
      return `the server responded with the status code ${code}`;
  }
}
