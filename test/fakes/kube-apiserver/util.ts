/** Small helpers shared by the fake's modules. */
import { isDeepStrictEqual } from 'node:util';

export function clone<T>(v: T): T {
  return v === undefined ? v : structuredClone(v);
}

/** Structural equality that ignores object key order. */
export function deepEqual(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(a, b);
}

/** RFC 3339 with second precision, as Kubernetes timestamps are serialized. */
export function rfc3339(d: Date = new Date()): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
