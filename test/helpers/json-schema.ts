/**
 * A JSON Schema (draft 7) validator for the keywords win-k8s's schema uses, and strict
 * about the rest: a keyword it does not know makes it throw, so a schema that grows a keyword
 * cannot pass by being half-read. (No validator library is among the dependencies.)
 */
const KNOWN = new Set([
  '$schema', '$id', 'title', 'description', 'default',
  'type', 'properties', 'additionalProperties', 'required', 'propertyNames', 'items',
  'enum', 'const', 'pattern', 'minLength', 'maxLength', 'minimum', 'maximum', 'anyOf',
]);

type Schema = Record<string, unknown>;

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** Problems of `value` against `schema`, as "path: message"; empty when it validates. */
export function validate(schema: Schema, value: unknown, path = '$'): string[] {
  for (const k of Object.keys(schema)) if (!KNOWN.has(k)) throw new Error(`${path}: schema keyword "${k}" is not supported by this checker`);
  const out: string[] = [];
  const t = typeOf(value);
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.some((x) => x === t || (x === 'number' && t === 'integer'))) return [`${path}: expected ${types.join('|')}, got ${t}`];
  }
  if ('const' in schema && schema.const !== value) out.push(`${path}: expected ${JSON.stringify(schema.const)}`);
  if (schema.enum && !(schema.enum as unknown[]).includes(value)) out.push(`${path}: expected one of ${JSON.stringify(schema.enum)}`);
  if (schema.anyOf && !(schema.anyOf as Schema[]).some((s) => validate(s, value, path).length === 0)) out.push(`${path}: matches none of anyOf`);
  if (t === 'string') {
    const s = value as string;
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(s)) out.push(`${path}: "${s}" does not match ${schema.pattern}`);
    if (typeof schema.minLength === 'number' && [...s].length < schema.minLength) out.push(`${path}: shorter than ${schema.minLength}`);
    if (typeof schema.maxLength === 'number' && [...s].length > schema.maxLength) out.push(`${path}: longer than ${schema.maxLength}`);
  }
  if (t === 'integer' || t === 'number') {
    if (typeof schema.minimum === 'number' && (value as number) < schema.minimum) out.push(`${path}: below ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && (value as number) > schema.maximum) out.push(`${path}: above ${schema.maximum}`);
  }
  if (t === 'array' && schema.items) (value as unknown[]).forEach((v, i) => out.push(...validate(schema.items as Schema, v, `${path}[${i}]`)));
  if (t === 'object') {
    const obj = value as Record<string, unknown>;
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    for (const r of (schema.required ?? []) as string[]) if (!(r in obj)) out.push(`${path}: missing ${r}`);
    for (const [k, v] of Object.entries(obj)) {
      if (schema.propertyNames) out.push(...validate(schema.propertyNames as Schema, k, `${path}.${k} (name)`));
      if (props[k]) out.push(...validate(props[k], v, `${path}.${k}`));
      else if (schema.additionalProperties === false) out.push(`${path}: unknown field ${k}`);
      else if (schema.additionalProperties && typeof schema.additionalProperties === 'object') out.push(...validate(schema.additionalProperties as Schema, v, `${path}.${k}`));
    }
  }
  return out;
}
