import type { CheckResult, CheckStatus, DiagnoseDocument } from '../diagnose/types.js';
import type { View } from './output.js';
import type { Style } from './style.js';

const MARK = { pass: '✔', warn: '!', fail: '✖', skip: '-' } as const;
const WORST: CheckStatus[] = ['fail', 'warn', 'pass', 'skip'];

/**
 * diagnose for people. Each check by its title (its id beside it, for --checks); a category's
 * skipped checks as one line unless -v; then a recap of what failed and warned, with the hint
 * and the docs link, so the fix is at the bottom of the screen where the eye lands. With
 * `-o short` one line per category and only the failures spelled out, as `linkerd check -o short`.
 */
export function renderDiagnoseHuman(doc: DiagnoseDocument, s: Style, view: View = { short: false, verbose: false }): string {
  const paint = { pass: s.green, warn: s.yellow, fail: s.red, skip: s.dim } as const;
  const mark = (status: CheckStatus) => paint[status](MARK[status]);
  const name = (c: CheckResult) => `${c.title}${c.node ? ` [${c.node}]` : ''}`;
  const lines: string[] = [];
  const categories = [...new Set(doc.checks.map((c) => c.category))];
  for (const category of categories) {
    const checks = doc.checks.filter((x) => x.category === category);
    if (view.short) {
      const worst = WORST.find((w) => checks.some((c) => c.status === w)) ?? 'pass';
      lines.push(`${mark(worst)} ${s.bold(category)}: ${counts(checks)}`);
      for (const c of checks.filter((x) => x.status === 'fail')) {
        lines.push(`  ${mark('fail')} ${name(c)}: ${c.message} ${s.dim(`(${c.id})`)}`);
        lines.push(...advice(c, s, '    '));
      }
      continue;
    }
    lines.push(s.bold(category));
    const skipped = checks.filter((c) => c.status === 'skip');
    for (const c of checks) {
      if (c.status === 'skip' && !view.verbose) continue;
      lines.push(`  ${mark(c.status)} ${name(c)}: ${c.message} ${s.dim(`(${c.id})`)}`);
      if (c.status === 'fail' || c.status === 'warn') for (const e of c.evidence ?? []) lines.push(`      ${s.dim(e)}`);
    }
    if (skipped.length > 0 && !view.verbose) lines.push(`  ${mark('skip')} ${s.dim(skipSummary(skipped))}`);
    lines.push('');
  }
  if (view.short) lines.push('');
  const problems = doc.checks.filter((c) => c.status === 'fail' || c.status === 'warn').sort((a, b) => WORST.indexOf(a.status) - WORST.indexOf(b.status));
  if (problems.length > 0 && !view.short) {
    lines.push(s.bold('To look at'));
    for (const c of problems) {
      lines.push(`  ${mark(c.status)} ${name(c)} ${s.dim(`(${c.id})`)}`);
      lines.push(...advice(c, s, '      '));
    }
    lines.push('');
  }
  const { pass, warn, fail, skip } = doc.summary;
  const totals = `${pass} passed, ${warn} warning${warn === 1 ? '' : 's'}, ${fail} failed, ${skip} skipped`;
  lines.push(fail > 0 ? s.red(totals) : warn > 0 ? s.yellow(totals) : s.green(totals));
  return lines.join('\n');
}

function advice(c: CheckResult, s: Style, indent: string): string[] {
  return [...(c.hint ? [`${indent}${s.dim(`hint: ${c.hint}`)}`] : []), ...(c.docs ? [`${indent}${s.dim(`docs: ${c.docs}`)}`] : [])];
}

function counts(checks: CheckResult[]): string {
  const n = (status: CheckStatus) => checks.filter((c) => c.status === status).length;
  const parts = [
    n('fail') > 0 ? `${n('fail')} failed` : '',
    n('warn') > 0 ? `${n('warn')} warning${n('warn') === 1 ? '' : 's'}` : '',
    n('pass') > 0 ? `${n('pass')} passed` : '',
    n('skip') > 0 ? `${n('skip')} skipped` : '',
  ];
  return parts.filter(Boolean).join(', ');
}

/**
 * "12 checks skipped: 10 × skipped: node.host.report failed, 2 × no Linux node (-v lists them)":
 * the reasons, most common first, so one missing report does not read as seventy problems.
 */
function skipSummary(skipped: CheckResult[]): string {
  const reasons = new Map<string, number>();
  for (const c of skipped) reasons.set(c.message, (reasons.get(c.message) ?? 0) + 1);
  const ranked = [...reasons.entries()].sort((a, b) => b[1] - a[1]);
  const shown = ranked.slice(0, 2).map(([why, k]) => (skipped.length === 1 ? why : `${k} × ${why}`));
  const more = ranked.length > 2 ? `, ${ranked.length - 2} other reason${ranked.length === 3 ? '' : 's'}` : '';
  return `${skipped.length} check${skipped.length === 1 ? '' : 's'} skipped: ${shown.join(', ')}${more} (-v lists them)`;
}
