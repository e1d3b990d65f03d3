import { createRequire } from 'node:module';
import protobuf from 'protobufjs';

/**
 * The SDK's REST decoder drops unknown fields and bad enum values without a word, so a fake
 * that sends a misspelt field would pass tests the real API would fail. Every response the
 * fake sends is walked against the message types the package itself ships.
 */
const require = createRequire(import.meta.url);
const PACKAGE = 'google.cloud.compute.v1';

let root: protobuf.Root | undefined;
function loadRoot(): protobuf.Root {
  if (!root) {
    const json = require('@google-cloud/compute/build/protos/protos.json') as protobuf.INamespace;
    root = protobuf.Root.fromJSON(json);
    root.resolveAll();
  }
  return root;
}

export class ProtoMismatch extends Error {}

export function lookupMessage(typeName: string): protobuf.Type {
  return loadRoot().lookupType(`${PACKAGE}.${typeName}`);
}

const INTEGER = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32']);
const LONG = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const FLOAT = new Set(['double', 'float']);

/** Throws ProtoMismatch naming the path of the first field the type does not have or cannot hold. */
export function assertMatchesProto(typeName: string, value: unknown): void {
  checkMessage(lookupMessage(typeName), value, typeName);
}

function checkMessage(type: protobuf.Type, value: unknown, path: string): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ProtoMismatch(`${path}: expected a ${type.name} object`);
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) continue;
    const field = type.fields[key] ?? Object.values(type.fields).find((f) => f.options?.json_name === key);
    if (!field) throw new ProtoMismatch(`${path}.${key}: no such field in ${type.fullName.slice(1)}`);
    checkField(field, v, `${path}.${key}`);
  }
}

function checkField(field: protobuf.Field, value: unknown, path: string): void {
  if (field instanceof protobuf.MapField) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ProtoMismatch(`${path}: expected a map`);
    for (const [k, v] of Object.entries(value)) checkScalarOrMessage(field, v, `${path}[${k}]`);
    return;
  }
  if (field.repeated) {
    if (!Array.isArray(value)) throw new ProtoMismatch(`${path}: expected a list`);
    value.forEach((v, i) => checkScalarOrMessage(field, v, `${path}[${i}]`));
    return;
  }
  checkScalarOrMessage(field, value, path);
}

function checkScalarOrMessage(field: protobuf.Field, value: unknown, path: string): void {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return checkMessage(resolved, value, path);
  if (resolved instanceof protobuf.Enum) {
    const ok = typeof value === 'string' ? value in resolved.values : typeof value === 'number' && Object.values(resolved.values).includes(value);
    if (!ok) throw new ProtoMismatch(`${path}: ${JSON.stringify(value)} is not a value of enum ${resolved.name}`);
    return;
  }
  const t = field.type;
  const ok =
    t === 'string' ? typeof value === 'string'
    : t === 'bool' ? typeof value === 'boolean'
    : INTEGER.has(t) ? Number.isInteger(value)
    : LONG.has(t) ? (typeof value === 'string' && /^-?\d+$/.test(value)) || Number.isInteger(value)
    : FLOAT.has(t) ? typeof value === 'number'
    : t === 'bytes' ? typeof value === 'string'
    : false;
  if (!ok) throw new ProtoMismatch(`${path}: ${JSON.stringify(value)} is not a ${t}`);
}
