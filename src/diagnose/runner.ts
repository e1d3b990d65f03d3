import type * as k8s from '@kubernetes/client-node';
import { redact } from './redact.js';
import type { CheckDefinition, CheckFacts, CheckOutcome, CheckResult, DiagnoseDocument } from './types.js';

export function resultKey(r: { id: string; node?: string | undefined }): string {
  return `${r.id}@${r.node ?? ''}`;
}

function safeRun<F extends CheckFacts>(check: CheckDefinition<F>, facts: F, node: k8s.V1Node | undefined): CheckOutcome {
  try {
    return check.run(facts, node);
  } catch (err) {
    // One broken check must not hide the others' results.
    return { status: 'fail', message: `check crashed: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/**
 * Messages and evidence quote node logs, events and object fields verbatim, and results go to
 * stdout, JSON, JUnit and CI logs: secrets are redacted here, before any of those sees them.
 */
function toResult(check: CheckDefinition<never>, outcome: CheckOutcome, node?: string): CheckResult {
  const { message, hint, evidence, ...rest } = outcome;
  return {
    id: check.id,
    category: check.category,
    ...(node !== undefined ? { node } : {}),
    title: check.title,
    ...rest,
    message: redact(message),
    ...(hint !== undefined ? { hint: redact(hint) } : {}),
    ...(evidence !== undefined ? { evidence: evidence.map(redact) } : {}),
    docs: check.docs,
  };
}

export interface RunOptions {
  /** Only these result keys are evaluated; the others are taken from `previous`. */
  only?: Set<string>;
  previous?: CheckResult[];
}

/**
 * Cluster checks run once, in registry order; node checks run per Windows node, in node
 * order. A failed fatal check skips its dependents, saying which check they waited for.
 * Checks are pure functions of facts already read, so running them is synchronous: a plan
 * can be built from facts with no I/O and no await.
 */
export function runChecks<F extends CheckFacts>(all: readonly CheckDefinition<F>[], facts: F, options: RunOptions = {}): CheckResult[] {
  const checks = all.filter((c) => applies(c, facts));
  const previous = new Map((options.previous ?? []).map((r) => [resultKey(r), r]));
  const evaluate = (check: CheckDefinition<F>, node: k8s.V1Node | undefined, done: Map<string, CheckResult>): CheckResult => {
    const name = node?.metadata?.name;
    const key = resultKey({ id: check.id, node: name });
    if (options.only && !options.only.has(key)) {
      const kept = previous.get(key);
      if (kept) return kept;
    }
    for (const dep of check.dependsOn) {
      const depResult = done.get(resultKey({ id: dep })) ?? done.get(resultKey({ id: dep, node: name }));
      const depDef = checks.find((c) => c.id === dep);
      if (depResult && depDef?.fatal && (depResult.status === 'fail' || depResult.status === 'skip')) {
        return toResult(check, { status: 'skip', message: `skipped: ${dep} ${depResult.status === 'fail' ? 'failed' : 'was skipped'}` }, name);
      }
    }
    return toResult(check, safeRun(check, facts, node), name);
  };

  const done = new Map<string, CheckResult>();
  const clusterResults: CheckResult[] = [];
  for (const check of checks.filter((c) => c.scope === 'cluster')) {
    const r = evaluate(check, undefined, done);
    done.set(resultKey(r), r);
    clusterResults.push(r);
  }
  const nodeChecks = checks.filter((c) => c.scope === 'node');
  const perNode = facts.windowsNodes.map((node) => {
    const local = new Map(done);
    const results: CheckResult[] = [];
    for (const check of nodeChecks) {
      const r = evaluate(check, node, local);
      local.set(resultKey(r), r);
      results.push(r);
    }
    return results;
  });
  // A node check skipped for want of Windows nodes still appears once, so it is not silently absent.
  const orphan = facts.windowsNodes.length === 0 ? nodeChecks.map((c) => evaluateNoNodes(c, done)) : [];
  return [...clusterResults, ...perNode.flat(), ...orphan];
}

function evaluateNoNodes(check: CheckDefinition<never>, done: Map<string, CheckResult>): CheckResult {
  const failedDep = check.dependsOn.find((d) => done.get(resultKey({ id: d }))?.status === 'fail');
  return toResult(check, { status: 'skip', message: failedDep ? `skipped: ${failedDep} failed` : 'skipped: no Windows node selected' });
}

function applies<F extends CheckFacts>(check: CheckDefinition<F>, facts: F): boolean {
  try {
    return check.appliesTo?.(facts) ?? true;
  } catch {
    // Kept in: its run then reports the crash instead of the check silently vanishing.
    return true;
  }
}

export function summarize(checks: CheckResult[]): DiagnoseDocument {
  const summary = { pass: 0, warn: 0, fail: 0, skip: 0 };
  for (const c of checks) summary[c.status]++;
  return { summary, checks };
}
