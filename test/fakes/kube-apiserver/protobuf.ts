/**
 * A minimal decoder for Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`).
 *
 * kubectl >= 1.32 sends protobuf from its typed clients (e.g. `kubectl create namespace|configmap|
 * secret|serviceaccount`, evictions from `kubectl drain`, typed deletes). Only the kinds in
 * SCHEMAS are decoded; unknown fields are skipped. Responses are always JSON (clients accept it).
 */

type FieldType = 'string' | 'bytes' | 'int' | 'bool' | 'message' | 'mapString' | 'mapBytes' | 'time';

interface FieldSpec {
  name: string;
  type: FieldType;
  repeated?: boolean;
  msg?: Schema;
}

type Schema = Record<number, FieldSpec>;

const OWNER_REFERENCE: Schema = {
  1: { name: 'kind', type: 'string' },
  3: { name: 'name', type: 'string' },
  4: { name: 'uid', type: 'string' },
  5: { name: 'apiVersion', type: 'string' },
  6: { name: 'controller', type: 'bool' },
  7: { name: 'blockOwnerDeletion', type: 'bool' },
};

const OBJECT_META: Schema = {
  1: { name: 'name', type: 'string' },
  2: { name: 'generateName', type: 'string' },
  3: { name: 'namespace', type: 'string' },
  5: { name: 'uid', type: 'string' },
  6: { name: 'resourceVersion', type: 'string' },
  7: { name: 'generation', type: 'int' },
  10: { name: 'deletionGracePeriodSeconds', type: 'int' },
  11: { name: 'labels', type: 'mapString' },
  12: { name: 'annotations', type: 'mapString' },
  13: { name: 'ownerReferences', type: 'message', repeated: true, msg: OWNER_REFERENCE },
  14: { name: 'finalizers', type: 'string', repeated: true },
};

const PRECONDITIONS: Schema = { 1: { name: 'uid', type: 'string' }, 2: { name: 'resourceVersion', type: 'string' } };

const DELETE_OPTIONS: Schema = {
  1: { name: 'gracePeriodSeconds', type: 'int' },
  2: { name: 'preconditions', type: 'message', msg: PRECONDITIONS },
  3: { name: 'orphanDependents', type: 'bool' },
  4: { name: 'propagationPolicy', type: 'string' },
  5: { name: 'dryRun', type: 'string', repeated: true },
};

const LOCAL_OBJECT_REFERENCE: Schema = { 1: { name: 'name', type: 'string' } };

const RESOURCE_ATTRIBUTES: Schema = {
  1: { name: 'namespace', type: 'string' },
  2: { name: 'verb', type: 'string' },
  3: { name: 'group', type: 'string' },
  4: { name: 'version', type: 'string' },
  5: { name: 'resource', type: 'string' },
  6: { name: 'subresource', type: 'string' },
  7: { name: 'name', type: 'string' },
};
const NON_RESOURCE_ATTRIBUTES: Schema = { 1: { name: 'path', type: 'string' }, 2: { name: 'verb', type: 'string' } };

const CSR_CONDITION: Schema = {
  1: { name: 'type', type: 'string' },
  2: { name: 'reason', type: 'string' },
  3: { name: 'message', type: 'string' },
  4: { name: 'lastUpdateTime', type: 'time' },
  5: { name: 'lastTransitionTime', type: 'time' },
  6: { name: 'status', type: 'string' },
};

const SCHEMAS: Record<string, Schema> = {
  'authorization.k8s.io/v1/SelfSubjectAccessReview': {
    1: { name: 'metadata', type: 'message', msg: OBJECT_META },
    2: { name: 'spec', type: 'message', msg: { 1: { name: 'resourceAttributes', type: 'message', msg: RESOURCE_ATTRIBUTES }, 2: { name: 'nonResourceAttributes', type: 'message', msg: NON_RESOURCE_ATTRIBUTES } } },
  },
  'authorization.k8s.io/v1/SubjectAccessReview': {
    1: { name: 'metadata', type: 'message', msg: OBJECT_META },
    2: {
      name: 'spec',
      type: 'message',
      msg: {
        1: { name: 'resourceAttributes', type: 'message', msg: RESOURCE_ATTRIBUTES },
        2: { name: 'nonResourceAttributes', type: 'message', msg: NON_RESOURCE_ATTRIBUTES },
        3: { name: 'user', type: 'string' },
        4: { name: 'groups', type: 'string', repeated: true },
        6: { name: 'uid', type: 'string' },
      },
    },
  },
  'authorization.k8s.io/v1/SelfSubjectRulesReview': {
    1: { name: 'metadata', type: 'message', msg: OBJECT_META },
    2: { name: 'spec', type: 'message', msg: { 1: { name: 'namespace', type: 'string' } } },
  },
  'authentication.k8s.io/v1/SelfSubjectReview': { 1: { name: 'metadata', type: 'message', msg: OBJECT_META } },
  'certificates.k8s.io/v1/CertificateSigningRequest': {
    1: { name: 'metadata', type: 'message', msg: OBJECT_META },
    2: {
      name: 'spec',
      type: 'message',
      msg: {
        1: { name: 'request', type: 'bytes' },
        2: { name: 'username', type: 'string' },
        3: { name: 'uid', type: 'string' },
        4: { name: 'groups', type: 'string', repeated: true },
        5: { name: 'usages', type: 'string', repeated: true },
        7: { name: 'signerName', type: 'string' },
        8: { name: 'expirationSeconds', type: 'int' },
      },
    },
    3: {
      name: 'status',
      type: 'message',
      msg: { 1: { name: 'conditions', type: 'message', repeated: true, msg: CSR_CONDITION }, 2: { name: 'certificate', type: 'bytes' } },
    },
  },
  'v1/Namespace': {
    1: { name: 'metadata', type: 'message', msg: OBJECT_META },
    2: { name: 'spec', type: 'message', msg: { 1: { name: 'finalizers', type: 'string', repeated: true } } },
  },
  'v1/ConfigMap': {
    1: { name: 'metadata', type: 'message', msg: OBJECT_META },
    2: { name: 'data', type: 'mapString' },
    3: { name: 'binaryData', type: 'mapBytes' },
    4: { name: 'immutable', type: 'bool' },
  },
  'v1/Secret': {
    1: { name: 'metadata', type: 'message', msg: OBJECT_META },
    2: { name: 'data', type: 'mapBytes' },
    3: { name: 'type', type: 'string' },
    4: { name: 'stringData', type: 'mapString' },
    5: { name: 'immutable', type: 'bool' },
  },
  'v1/ServiceAccount': {
    1: { name: 'metadata', type: 'message', msg: OBJECT_META },
    3: { name: 'imagePullSecrets', type: 'message', repeated: true, msg: LOCAL_OBJECT_REFERENCE },
    4: { name: 'automountServiceAccountToken', type: 'bool' },
  },
  'policy/v1/Eviction': {
    1: { name: 'metadata', type: 'message', msg: OBJECT_META },
    2: { name: 'deleteOptions', type: 'message', msg: DELETE_OPTIONS },
  },
  'v1/DeleteOptions': DELETE_OPTIONS,
  'meta.k8s.io/v1/DeleteOptions': DELETE_OPTIONS,
};

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw new Error('truncated varint');
      const b = this.buf[this.pos++] ?? 0;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  }
  bytes(): Buffer {
    const len = Number(this.varint());
    if (this.pos + len > this.buf.length) throw new Error('truncated field');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
}

function toInt(v: bigint): number {
  // int64 two's complement
  return Number(v >= 1n << 63n ? v - (1n << 64n) : v);
}

function decodeMessage(buf: Buffer, schema: Schema): Record<string, unknown> {
  const r = new Reader(buf);
  const out: Record<string, unknown> = {};
  while (!r.done) {
    const tag = Number(r.varint());
    const field = tag >>> 3;
    const wire = tag & 7;
    const spec = schema[field];
    if (!spec) {
      r.skip(wire);
      continue;
    }
    let value: unknown;
    switch (spec.type) {
      case 'string':
        value = r.bytes().toString('utf8');
        break;
      case 'bytes':
        value = r.bytes().toString('base64');
        break;
      case 'int':
        value = toInt(r.varint());
        break;
      case 'bool':
        value = r.varint() !== 0n;
        break;
      case 'time': {
        const t = decodeMessage(r.bytes(), { 1: { name: 'seconds', type: 'int' } });
        value = t['seconds'] ? new Date(Number(t['seconds']) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') : null;
        break;
      }
      case 'message':
        value = decodeMessage(r.bytes(), spec.msg ?? {});
        break;
      case 'mapString':
      case 'mapBytes': {
        const entry = decodeMessage(r.bytes(), {
          1: { name: 'key', type: 'string' },
          2: { name: 'value', type: spec.type === 'mapBytes' ? 'bytes' : 'string' },
        });
        const m = (out[spec.name] ??= {}) as Record<string, unknown>;
        m[String(entry['key'] ?? '')] = entry['value'] ?? '';
        continue;
      }
    }
    if (spec.repeated) ((out[spec.name] ??= []) as unknown[]).push(value);
    else out[spec.name] = value;
  }
  return out;
}

const MAPS = new Set(['data', 'stringData', 'binaryData', 'labels', 'annotations']);

/** Strip empty strings/objects the Go encoder writes for zero values. */
function prune(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(prune);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (MAPS.has(k)) {
        out[k] = x;
        continue;
      }
      const p = prune(x);
      if (p === '' || p === null || p === undefined) continue;
      if (typeof p === 'object' && !Array.isArray(p) && Object.keys(p).length === 0 && k !== 'spec') continue;
      out[k] = p;
    }
    return out;
  }
  return v;
}

export class UnsupportedProtobufKind extends Error {}

export function isKubernetesProtobuf(buf: Buffer): boolean {
  return buf.length >= 4 && buf.subarray(0, 4).equals(MAGIC);
}

/** Decode a `k8s\0`-prefixed runtime.Unknown envelope into a JSON object (with apiVersion/kind). */
export function decodeKubernetesProtobuf(buf: Buffer): Record<string, unknown> {
  if (!isKubernetesProtobuf(buf)) throw new Error('not a Kubernetes protobuf message (missing k8s\\0 prefix)');
  const unknown = decodeMessage(buf.subarray(4), {
    1: { name: 'typeMeta', type: 'message', msg: { 1: { name: 'apiVersion', type: 'string' }, 2: { name: 'kind', type: 'string' } } },
    2: { name: 'raw', type: 'bytes' },
  });
  const tm = (unknown['typeMeta'] ?? {}) as { apiVersion?: string; kind?: string };
  const key = `${tm.apiVersion ?? ''}/${tm.kind ?? ''}`;
  const schema = SCHEMAS[key];
  if (!schema) throw new UnsupportedProtobufKind(`protobuf decoding of ${key} is not supported by the fake kube-apiserver`);
  const raw = Buffer.from(String(unknown['raw'] ?? ''), 'base64');
  const obj = prune(decodeMessage(raw, schema)) as Record<string, unknown>;
  return { apiVersion: tm.apiVersion, kind: tm.kind, ...obj };
}
