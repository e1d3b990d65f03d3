import type { DiagnoseDocument } from './types.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** One testcase per check and node; CI systems show failures and skips from it. */
export function toJUnit(doc: DiagnoseDocument): string {
  const { summary } = doc;
  const cases = doc.checks.map((c) => {
    const name = c.node ? `${c.id} [${c.node}]` : c.id;
    const head = `    <testcase classname="win-k8s.diagnose.${esc(c.category)}" name="${esc(name)}" time="0"`;
    const detail = [c.message, ...(c.hint ? [`hint: ${c.hint}`] : []), ...(c.evidence ?? [])].join('\n');
    if (c.status === 'fail') return `${head}>\n      <failure message="${esc(c.message)}" type="fail">${esc(detail)}</failure>\n    </testcase>`;
    if (c.status === 'skip') return `${head}>\n      <skipped message="${esc(c.message)}"/>\n    </testcase>`;
    if (c.status === 'warn') return `${head}>\n      <system-out>${esc(`warning: ${detail}`)}</system-out>\n    </testcase>`;
    return `${head}/>`;
  });
  const total = doc.checks.length;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="win-k8s diagnose" tests="${total}" failures="${summary.fail}" skipped="${summary.skip}">`,
    `  <testsuite name="win-k8s diagnose" tests="${total}" failures="${summary.fail}" errors="0" skipped="${summary.skip}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
