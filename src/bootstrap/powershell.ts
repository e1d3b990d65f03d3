/**
 * PowerShell literals for values substituted into templates. Strings are single-quoted, where
 * PowerShell expands nothing and the only escape is a doubled quote, so no value can inject code.
 */
export function psString(value: string): string {
  // PowerShell also treats the typographic quotes U+2018/U+2019/U+201A/U+201B as single quotes.
  return `'${value.replace(/['\u2018\u2019\u201A\u201B]/g, (q) => q + q)}'`;
}

export function psBool(value: boolean): string {
  return value ? '$true' : '$false';
}

export function psInt(value: number): string {
  if (!Number.isSafeInteger(value)) throw new Error(`not an integer: ${value}`);
  return String(value);
}

export function psStringArray(values: readonly string[], indent = '    '): string {
  if (values.length === 0) return '@()';
  return `@(\n${values.map((v) => `${indent}    ${psString(v)}`).join(',\n')}\n${indent})`;
}

export type PsValue = string | number | boolean | PsTable | readonly PsValue[];
export interface PsTable {
  [key: string]: PsValue | undefined;
}

/** A hashtable literal on one line: @{ Key = 'v'; Other = @{ ... } }. */
export function psTable(table: PsTable): string {
  const parts = Object.entries(table)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => {
      if (!/^[A-Za-z][A-Za-z0-9]*$/.test(k)) throw new Error(`bad hashtable key: ${k}`);
      return `${k} = ${psValue(v as PsValue)}`;
    });
  return `@{ ${parts.join('; ')} }`;
}

function psValue(v: PsValue): string {
  if (typeof v === 'string') return psString(v);
  if (typeof v === 'number') return psInt(v);
  if (typeof v === 'boolean') return psBool(v);
  if (Array.isArray(v)) return `@(${v.map((x) => psValue(x)).join(', ')})`;
  return psTable(v as PsTable);
}
