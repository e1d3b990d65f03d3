import type { DiagnoseDocument } from '../diagnose/types.js';
import type { Style } from './style.js';

const MARK = { pass: '✔', warn: '!', fail: '✖', skip: '-' } as const;

export function renderDiagnoseHuman(doc: DiagnoseDocument, s: Style): string {
  const paint = { pass: s.green, warn: s.yellow, fail: s.red, skip: s.dim } as const;
  const lines: string[] = [];
  const categories = [...new Set(doc.checks.map((c) => c.category))];
  for (const category of categories) {
    lines.push(s.bold(category));
    for (const c of doc.checks.filter((x) => x.category === category)) {
      lines.push(`  ${paint[c.status](MARK[c.status])} ${c.id}${c.node ? ` [${c.node}]` : ''}: ${c.message}`);
      if (c.status === 'fail' || c.status === 'warn') {
        for (const e of c.evidence ?? []) lines.push(`      ${s.dim(e)}`);
        if (c.hint) lines.push(`    ${s.dim(`hint: ${c.hint}`)}`);
      }
    }
    lines.push('');
  }
  const { pass, warn, fail, skip } = doc.summary;
  const totals = `${pass} passed, ${warn} warning${warn === 1 ? '' : 's'}, ${fail} failed, ${skip} skipped`;
  lines.push(fail > 0 ? s.red(totals) : warn > 0 ? s.yellow(totals) : s.green(totals));
  return lines.join('\n');
}
