import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { requestsJson } from '../../src/cli/parse-failure.js';

const bin = fileURLToPath(new URL('../../bin/win-k8s.js', import.meta.url));
const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20_000 });

interface ErrorDocument {
  error: { message: string; problems: string[]; exitCode: number; hint?: string };
}

/** stdout must be exactly one JSON document, the error one. */
function errorDocument(stdout: string): ErrorDocument {
  const doc = JSON.parse(stdout) as ErrorDocument;
  assert.deepEqual(Object.keys(doc), ['error']);
  return doc;
}

describe('-o json: a command line the parser rejects still gets one JSON document on stdout', () => {
  const cases: { args: string[]; names: RegExp; env?: Record<string, string> }[] = [
    { args: ['plan', '-o', 'json', '--bogus'], names: /unknown option '--bogus'/ },
    { args: ['join', '--output=json', '--cloud', 'bogus'], names: /--cloud.*'bogus'.*aws, azure, gcp/ },
    { args: ['join', '-ojson', '--cloud', 'bogus'], names: /--cloud/ },
    { args: ['plan', '-o', 'json', '-o', 'yaml'], names: /--output.*'yaml'.*human, json/ },
    { args: ['-yo', 'json', 'list', '--nope'], names: /unknown option '--nope'/ },
    { args: ['--output', 'json', 'frobnicate'], names: /unknown command 'frobnicate'/ },
    { args: ['remove', '--nope'], names: /unknown option '--nope'/, env: { WIN_K8S_OUTPUT: 'json' } },
  ];
  for (const c of cases) {
    it(`${c.env ? 'WIN_K8S_OUTPUT=json ' : ''}win-k8s ${c.args.join(' ')}: exit 2, the error document naming the flag`, () => {
      const r = run(c.args, c.env);
      assert.equal(r.status, 2, r.stderr);
      const doc = errorDocument(r.stdout);
      assert.match(doc.error.message, c.names);
      assert.deepEqual(doc.error.problems, [doc.error.message]);
      assert.equal(doc.error.exitCode, 2);
      assert.match(doc.error.hint ?? '', /--help lists every option/);
      // The person at the terminal still reads commander's own message.
      assert.match(r.stderr, c.names);
    });
  }

  it('has the shape of the document a command prints for its own usage errors', () => {
    const own = errorDocument(run(['render', '-o', 'json']).stdout);
    const parser = errorDocument(run(['render', '-o', 'json', '--bogus']).stdout);
    assert.deepEqual(Object.keys(parser.error).sort(), Object.keys(own.error).sort());
    assert.equal(own.error.exitCode, parser.error.exitCode);
    assert.match(parser.error.hint!, /^win-k8s render --help/);
  });

  it('without -o json stdout stays empty', () => {
    for (const args of [['plan', '--bogus'], ['plan', '-o', 'yaml'], ['plan', '-o', 'human', '--bogus'], ['plan', '--bogus', '--', '-o', 'json']]) {
      const r = run(args);
      assert.equal(r.status, 2);
      assert.equal(r.stdout, '', args.join(' '));
    }
  });

  it('reads -o the way commander does: grouped short flags, -c taking its value, nothing after --', () => {
    const argv = (...a: string[]) => ['node', 'win-k8s', ...a];
    assert.equal(requestsJson(argv('-vojson'), {}), true);
    assert.equal(requestsJson(argv('-c', '-o', 'plan'), {}), false, '-o here is the config file');
    assert.equal(requestsJson(argv('-co', 'json'), {}), false, '"o" is the config file');
    assert.equal(requestsJson(argv('plan', '-o', 'human'), { WIN_K8S_OUTPUT: 'json' }), false, 'the flag wins over the variable');
    assert.equal(requestsJson(argv('plan'), { WIN_K8S_OUTPUT: 'json' }), true);
  });
});
