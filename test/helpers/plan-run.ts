import assert from 'node:assert/strict';
import type { PlanDocument } from '../../src/plan/plan-document.js';

/**
 * The plan document of a `plan -o json` (or `join --dry-run -o json`) run, with its checks
 * looked up by id. A run that printed no plan fails here, with what it wrote to stderr.
 */
export function readPlan<R extends { stdout: string; stderr: string }>(r: R): R & { doc: PlanDocument; check: (id: string) => PlanDocument['checks'][number] | undefined } {
  const doc = JSON.parse(r.stdout) as PlanDocument;
  assert.ok(doc.checks, `no plan: ${r.stderr}`);
  return { ...r, doc, check: (id: string) => doc.checks.find((c) => c.id === id) };
}

/** The requests a cloud fake recorded since `from` were reads (GET), and there was at least one. */
export function assertOnlyGets(requests: { method: string; path: string }[], from: number, where: string): void {
  const writes = requests.slice(from).filter((q) => q.method !== 'GET').map((q) => `${q.method} ${q.path}`);
  assert.deepEqual(writes, [], `plan changed nothing in ${where}`);
  assert.ok(requests.length > from, `${where} was asked`);
}
