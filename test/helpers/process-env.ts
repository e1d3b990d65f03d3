/**
 * Runs `fn` with the named variables removed from process.env (for code under test that reads it
 * in-process, such as the SDKs' credential chains), and puts back exactly what was there, unset
 * variables staying unset.
 */
export async function withoutEnv<T>(names: string[], fn: () => Promise<T>): Promise<T> {
  const saved = names.map((n) => [n, process.env[n]] as const);
  for (const n of names) delete process.env[n];
  try {
    return await fn();
  } finally {
    for (const [n, v] of saved) {
      if (v === undefined) delete process.env[n];
      else process.env[n] = v;
    }
  }
}
