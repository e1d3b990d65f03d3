/**
 * Patch formats: JSON merge patch (RFC 7386), JSON patch (RFC 6902), and a strategic merge patch
 * that knows the common merge keys (containers by name, env by name, conditions by type, ...) and
 * the `$patch`, `$retainKeys`, `$setElementOrder/…` and `$deleteFromPrimitiveList/…` directives.
 */
import { ApiError, badRequest } from './status.js';
import { deepEqual } from './util.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

function isObject(v: unknown): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

export function jsonMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  const out: JsonObject = isObject(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = jsonMergePatch(out[k], v) as Json;
  }
  return out;
}

/** Merge key of a list field, by field name (and, for `ports`, by element shape). */
function mergeKeyFor(field: string, elements: Json[]): string | undefined {
  switch (field) {
    case 'containers':
    case 'initContainers':
    case 'ephemeralContainers':
    case 'volumes':
    case 'env':
    case 'imagePullSecrets':
    case 'resourceClaims':
    case 'schedulingGates':
      return 'name';
    case 'volumeMounts':
      return 'mountPath';
    case 'volumeDevices':
      return 'devicePath';
    case 'conditions':
    case 'addresses':
      return 'type';
    case 'hostAliases':
      return 'ip';
    case 'ownerReferences':
      return 'uid';
    case 'topologySpreadConstraints':
      return 'topologyKey';
    case 'ports': {
      const first = elements.find(isObject);
      if (first && 'containerPort' in first) return 'containerPort';
      return 'port';
    }
    default:
      return undefined;
  }
}

/** Primitive lists merged as sets (patchStrategy=merge on a []string). */
const MERGED_PRIMITIVE_LISTS = new Set(['finalizers']);

export function strategicMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  if (patch['$patch'] === 'replace') {
    const { $patch: _ignored, ...rest } = patch;
    return stripDirectives(rest);
  }
  if (patch['$patch'] === 'delete') return undefined;
  const out: JsonObject = isObject(target) ? clone(target) : {};

  const retainKeys = patch['$retainKeys'];
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith('$setElementOrder/')) continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      const cur = out[field];
      if (Array.isArray(cur) && Array.isArray(v)) out[field] = cur.filter((x) => !v.includes(x));
      continue;
    }
    if (v === null) {
      delete out[k];
      continue;
    }
    const cur = out[k];
    if (Array.isArray(v)) {
      out[k] = mergeList(k, Array.isArray(cur) ? cur : [], v);
    } else if (isObject(v)) {
      const merged = strategicMergePatch(cur, v);
      if (merged === undefined) delete out[k];
      else out[k] = merged as Json;
    } else {
      out[k] = v;
    }
  }
  if (Array.isArray(retainKeys)) {
    for (const k of Object.keys(out)) if (!retainKeys.includes(k)) delete out[k];
  }
  // Reorder per $setElementOrder when given.
  for (const [k, order] of Object.entries(patch)) {
    if (!k.startsWith('$setElementOrder/') || !Array.isArray(order)) continue;
    const field = k.slice('$setElementOrder/'.length);
    const list = out[field];
    if (!Array.isArray(list)) continue;
    const key = mergeKeyFor(field, list);
    if (!key) continue;
    const pos = (el: Json): number => {
      const i = order.findIndex((o) => isObject(o) && isObject(el) && o[key] === el[key]);
      return i < 0 ? order.length : i;
    };
    out[field] = [...list].sort((a, b) => pos(a) - pos(b));
  }
  return out;
}

function stripDirectives(v: Json): Json {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) if (!k.startsWith('$')) out[k] = stripDirectives(x);
  return out;
}

function mergeList(field: string, cur: Json[], patch: Json[]): Json[] {
  if (patch.length === 1 && isObject(patch[0]) && patch[0]['$patch'] === 'replace') return [];
  if (patch.some((p) => isObject(p) && p['$patch'] === 'replace')) {
    return patch.filter((p) => !(isObject(p) && p['$patch'] === 'replace')).map(stripDirectives);
  }
  if (MERGED_PRIMITIVE_LISTS.has(field) && patch.every((p) => !isObject(p))) {
    const out = [...cur];
    for (const p of patch) if (!out.includes(p)) out.push(p);
    return out;
  }
  const key = mergeKeyFor(field, [...patch, ...cur]);
  if (!key || !patch.every(isObject)) return patch.map(stripDirectives);
  const out = cur.map((x) => clone(x));
  for (const p of patch as JsonObject[]) {
    const idx = out.findIndex((x) => isObject(x) && x[key] === p[key]);
    if (p['$patch'] === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    if (idx >= 0) out[idx] = strategicMergePatch(out[idx], p) as Json;
    else out.push(stripDirectives(p));
  }
  return out;
}

export interface JsonPatchOp {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  value?: unknown;
  from?: string;
}

function parsePointer(p: string): string[] {
  if (p === '') return [];
  if (!p.startsWith('/')) throw badRequest(`invalid JSON pointer "${p}"`);
  return p
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function invalidPatch(message: string): ApiError {
  return new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: ${message}`);
}

function getAt(doc: Json, tokens: string[]): Json | undefined {
  let cur: Json | undefined = doc;
  for (const t of tokens) {
    if (Array.isArray(cur)) {
      const i = Number(t);
      if (!/^\d+$/.test(t) || i >= cur.length) return undefined;
      cur = cur[i];
    } else if (isObject(cur)) {
      if (!Object.prototype.hasOwnProperty.call(cur, t)) return undefined;
      cur = cur[t];
    } else {
      return undefined;
    }
  }
  return cur;
}

function parentAndKey(doc: Json, tokens: string[], path: string): { parent: Json; key: string } {
  if (tokens.length === 0) throw invalidPatch(`cannot operate on the document root at "${path}"`);
  const parent = getAt(doc, tokens.slice(0, -1));
  if (parent === undefined || (parent !== null && typeof parent !== 'object')) {
    throw invalidPatch(`doc is missing path: "${path}"`);
  }
  return { parent, key: tokens[tokens.length - 1] ?? '' };
}

function addAt(doc: Json, path: string, value: Json): Json {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return clone(value);
  const { parent, key } = parentAndKey(doc, tokens, path);
  if (Array.isArray(parent)) {
    const i = key === '-' ? parent.length : Number(key);
    if (!/^\d+$/.test(key) && key !== '-') throw invalidPatch(`invalid array index "${key}"`);
    if (i > parent.length) throw invalidPatch(`array index out of bounds at "${path}"`);
    parent.splice(i, 0, clone(value));
  } else if (isObject(parent)) {
    parent[key] = clone(value);
  }
  return doc;
}

function removeAt(doc: Json, path: string): Json {
  const tokens = parsePointer(path);
  const { parent, key } = parentAndKey(doc, tokens, path);
  if (Array.isArray(parent)) {
    const i = Number(key);
    if (!/^\d+$/.test(key) || i >= parent.length) throw invalidPatch(`unable to remove nonexistent key: ${key}: missing value`);
    parent.splice(i, 1);
  } else if (isObject(parent)) {
    if (!Object.prototype.hasOwnProperty.call(parent, key)) throw invalidPatch(`unable to remove nonexistent key: ${key}: missing value`);
    delete parent[key];
  }
  return doc;
}

export function applyJsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw badRequest('json patch must be an array of operations');
  let doc = clone(target) as Json;
  for (const raw of ops as JsonPatchOp[]) {
    if (!isObject(raw as unknown) || typeof raw.path !== 'string') throw badRequest('invalid json patch operation');
    switch (raw.op) {
      case 'add':
        doc = addAt(doc, raw.path, raw.value as Json);
        break;
      case 'remove':
        doc = removeAt(doc, raw.path);
        break;
      case 'replace': {
        if (getAt(doc, parsePointer(raw.path)) === undefined) throw invalidPatch(`replace operation does not apply: doc is missing key: ${raw.path}: missing value`);
        doc = removeAt(doc, raw.path);
        doc = addAt(doc, raw.path, raw.value as Json);
        break;
      }
      case 'move':
      case 'copy': {
        if (typeof raw.from !== 'string') throw badRequest(`${raw.op} operation requires "from"`);
        const v = getAt(doc, parsePointer(raw.from));
        if (v === undefined) throw invalidPatch(`${raw.op} operation does not apply: doc is missing from path: ${raw.from}`);
        const copy = clone(v);
        if (raw.op === 'move') doc = removeAt(doc, raw.from);
        doc = addAt(doc, raw.path, copy);
        break;
      }
      case 'test': {
        const v = getAt(doc, parsePointer(raw.path));
        if (!deepEqual(v, raw.value)) throw invalidPatch(`testing value ${raw.path} failed: test failed`);
        break;
      }
      default:
        throw badRequest(`unexpected json patch op "${String((raw as { op?: unknown }).op)}"`);
    }
  }
  return doc;
}
