import { randomInt } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** `<pool>-<5 random [a-z0-9]>`: unique enough per pool, and at most 15 characters (Windows). */
export function newNodeName(pool: string, taken: ReadonlySet<string> = new Set()): string {
  for (;;) {
    let suffix = '';
    for (let i = 0; i < 5; i++) suffix += ALPHABET[randomInt(ALPHABET.length)];
    const name = `${pool}-${suffix}`;
    // An all-digit computer name is invalid on Windows; the pool prefix already prevents it.
    if (!taken.has(name)) return name;
  }
}

export function newNodeNames(pool: string, count: number, taken: ReadonlySet<string> = new Set()): string[] {
  const names = new Set(taken);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = newNodeName(pool, names);
    names.add(name);
    out.push(name);
  }
  return out;
}
