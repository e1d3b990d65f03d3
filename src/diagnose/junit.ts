import type { CheckResult, DiagnoseDocument } from './types.js';

/**
 * XML 1.0 forbids most control characters even as character references, and node logs carry
 * them (ANSI colour escapes, NULs from UTF-16 files): one of them makes the whole report
 * unreadable to a CI system, so they are dropped. Lone surrogates go too (not well-formed).
 */
const NOT_XML = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

const esc = (s: string) => s.replace(NOT_XML, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export interface JUnitOptions {
  /** As diagnose's --fail-on: with `warn`, a warning fails the CI job, so it is a <failure> too. */
  failOn?: 'warn' | 'fail';
}

/** One testcase per check and node; CI systems show failures and skips from it. */
export function toJUnit(doc: DiagnoseDocument, options: JUnitOptions = {}): string {
  const failing = (c: CheckResult) => c.status === 'fail' || (c.status === 'warn' && options.failOn === 'warn');
  const failures = doc.checks.filter(failing).length;
  const skipped = doc.checks.filter((c) => c.status === 'skip').length;
  const cases = doc.checks.map((c) => {
    const name = c.node ? `${c.id} [${c.node}]` : c.id;
    const head = `    <testcase classname="win-k8s.diagnose.${esc(c.category)}" name="${esc(name)}" time="0"`;
    const detail = [c.message, ...(c.hint ? [`hint: ${c.hint}`] : []), ...(c.evidence ?? [])].join('\n');
    if (failing(c)) return `${head}>\n      <failure message="${esc(c.message)}" type="${c.status}">${esc(detail)}</failure>\n    </testcase>`;
    if (c.status === 'skip') return `${head}>\n      <skipped message="${esc(c.message)}"/>\n    </testcase>`;
    if (c.status === 'warn') return `${head}>\n      <system-out>${esc(`warning: ${detail}`)}</system-out>\n    </testcase>`;
    return `${head}/>`;
  });
  const total = doc.checks.length;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="win-k8s diagnose" tests="${total}" failures="${failures}" skipped="${skipped}">`,
    `  <testsuite name="win-k8s diagnose" tests="${total}" failures="${failures}" errors="0" skipped="${skipped}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
