import assert from 'node:assert/strict';
import { toJUnit } from '../../src/diagnose/junit.js';
import { summarize } from '../../src/diagnose/runner.js';
import type { CheckResult } from '../../src/diagnose/types.js';
import { elements, parseXml, textOf, type XmlElement } from '../helpers/xml.js';

const result = (id: string, status: CheckResult['status'], message: string, extra: Partial<CheckResult> = {}): CheckResult => ({ id, category: 'node-host', title: id, status, message, ...extra });

const DOC = summarize([
  result('node.host.log-errors', 'warn', 'kubelet: \u001b[31mrefused\u001b[0m (2x)', {
    node: 'win-1',
    hint: 'rejoin <the> node & retry',
    // A UTF-16 log read as UTF-8 leaves NULs; a form feed and a lone surrogate from a truncated line.
    evidence: ['E\u0000r\u0000r\u0000', 'page\fbreak', 'cut \ud83d'],
  }),
  result('node.ready', 'fail', 'Ready=False ("quoted")', { node: 'win-2', category: 'node' }),
  result('net.coredns', 'pass', 'ok', { category: 'network' }),
  result('node.host.disk', 'skip', 'skipped: node.host.report failed', { node: 'win-2' }),
]);

function suiteOf(xml: string): { suites: XmlElement; suite: XmlElement; cases: XmlElement[] } {
  const suites = parseXml(xml);
  assert.equal(suites.name, 'testsuites');
  const [suite, ...more] = elements(suites, 'testsuite');
  assert.ok(suite && more.length === 0);
  return { suites, suite, cases: elements(suite, 'testcase') };
}

describe('diagnose JUnit report', () => {
  it('is well-formed XML with control characters dropped from every text', () => {
    const { suite, cases } = suiteOf(toJUnit(DOC));
    assert.equal(cases.length, 4);
    assert.equal(suite.attributes['tests'], '4');
    const warn = cases.find((c) => c.attributes['name'] === 'node.host.log-errors [win-1]')!;
    const out = textOf(elements(warn, 'system-out')[0]!);
    assert.match(out, /^warning: kubelet: \[31mrefused\[0m \(2x\)\nhint: rejoin <the> node & retry\nErr\npagebreak\ncut $/);
    const fail = cases.find((c) => c.attributes['name'] === 'node.ready [win-2]')!;
    assert.equal(elements(fail, 'failure')[0]!.attributes['message'], 'Ready=False ("quoted")');
  });

  it('counts and marks warnings as failures with --fail-on warn, and only then', () => {
    for (const failOn of ['fail', 'warn'] as const) {
      const { suites, suite, cases } = suiteOf(toJUnit(DOC, { failOn }));
      const failed = cases.filter((c) => elements(c, 'failure').length === 1).map((c) => c.attributes['name']);
      const expected = failOn === 'warn' ? ['node.host.log-errors [win-1]', 'node.ready [win-2]'] : ['node.ready [win-2]'];
      assert.deepEqual(failed, expected, failOn);
      assert.equal(suite.attributes['failures'], String(expected.length));
      assert.equal(suites.attributes['failures'], String(expected.length));
      assert.equal(suite.attributes['skipped'], '1');
      const warn = cases.find((c) => c.attributes['name'] === 'node.host.log-errors [win-1]')!;
      if (failOn === 'warn') assert.equal(elements(warn, 'failure')[0]!.attributes['type'], 'warn');
      else assert.equal(elements(warn, 'system-out').length, 1);
    }
  });
});
