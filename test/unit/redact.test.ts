import assert from 'node:assert/strict';
import { redact } from '../../src/diagnose/redact.js';
import { gunzipSync } from 'node:zlib';
import { buildBundle, redact as fromBundle } from '../../src/diagnose/bundle.js';
import { HARMLESS, LEAKS } from '../fixtures/redaction/corpus.js';

/** Asserts none of `secrets` survives, and every `kept` text does (redaction must not eat the diagnosis). */
function check(text: string, secrets: string[], kept: Array<string | RegExp> = []) {
  const out = redact(text);
  for (const s of secrets) assert.ok(!out.includes(s), `"${s}" leaked in:\n${out}`);
  for (const k of kept) {
    if (typeof k === 'string') assert.ok(out.includes(k), `"${k}" lost in:\n${out}`);
    else assert.match(out, k);
  }
  return out;
}

describe('redact', () => {
  it('is the one implementation the bundle uses', () => {
    assert.equal(fromBundle, redact);
  });

  it('containerd config.toml registry auth, identitytoken and password', () => {
    const toml = [
      '[plugins."io.containerd.grpc.v1.cri".registry.configs."myreg.example:5000".auth]',
      '  username = "robot"',
      '  password = "my secret pass"',
      '  auth = "cm9ib3Q6bXkgc2VjcmV0IHBhc3M="',
      '  identitytoken = "idt-0123 4567"',
    ].join('\n');
    const out = check(toml, ['cm9ib3Q6bXkgc2VjcmV0IHBhc3M=', 'my secret pass', 'secret pass', 'idt-0123', '4567'], ['username = "robot"', '.auth]']);
    assert.match(out, /^ {2}password = "\[REDACTED\]"$/m);
    assert.match(out, /^ {2}auth = "\[REDACTED\]"$/m);
  });

  it('Docker config.json auths, registrytoken and identitytoken', () => {
    const json = JSON.stringify({ auths: { 'myreg.example': { auth: 'cm9ib3Q6aHVudGVyMg==', identitytoken: 'abc def', registrytoken: 'rt-xyz' } } });
    const out = check(json, ['cm9ib3Q6aHVudGVyMg==', 'abc def', 'rt-xyz'], ['"auths"', 'myreg.example']);
    assert.match(out, /"auth":"\[REDACTED\]"/);
    // The same file pretty-printed.
    check(JSON.stringify(JSON.parse(json), null, 2), ['cm9ib3Q6aHVudGVyMg==', 'abc def', 'rt-xyz']);
  });

  it('Authorization: Basic, and a bare Basic credential, but not the word "Basic" in prose', () => {
    check('GET /v2/ HTTP/1.1\r\nAuthorization: Basic dXNlcjpwYXNzd29yZA==\r\nHost: x', ['dXNlcjpwYXNzd29yZA=='], ['Host: x']);
    check('retrying with Basic dXNlcjpwYXNzd29yZA== for myreg', ['dXNlcjpwYXNzd29yZA=='], ['for myreg']);
    check('"authorization":"Basic dXNlcjpwYXNzd29yZA=="', ['dXNlcjpwYXNzd29yZA==']);
    check('Basic authentication is disabled; --authorization-mode=Webhook', [], ['Basic authentication is disabled', '--authorization-mode=Webhook']);
  });

  it('quoted values are redacted whole, in single, double and JSON-escaped double quotes', () => {
    assert.equal(redact('password: "my secret pass"'), 'password: "[REDACTED]"');
    assert.equal(redact("password: 'my secret pass'"), "password: '[REDACTED]'");
    assert.equal(redact('password = "a \\" quote" next'), 'password = "[REDACTED]" next');
    // A log line that itself sits in a JSON string (node-report.json, diagnose.json evidence).
    const nested = JSON.stringify({ line: 'E1128 login password: "my secret pass" user=bob' });
    check(nested, ['my secret pass', 'secret pass'], ['user=bob']);
    check(JSON.stringify({ line: '{"password":"p w"}' }), ['p w']);
  });

  it('unquoted values: YAML to the end of the line, flags and logfmt to the next space', () => {
    assert.equal(redact('password: my secret pass\nuser: bob'), 'password: [REDACTED]\nuser: bob');
    assert.equal(redact('level=info token=abc password=xyz user=bob'), 'level=info token=[REDACTED] password=[REDACTED] user=bob');
    assert.equal(redact('authorization:\n  mode: Webhook'), 'authorization:\n  mode: Webhook');
  });

  it('client_secret style keys, bootstrap tokens, bearer tokens, keys, URL passwords and SAS signatures', () => {
    check(
      [
        'client_secret: s3cr3t value',
        'AZURE_CLIENT_SECRET=abc~123',
        '--client-secret abc~456',
        'kubeadm join --token abcdef.0123456789abcdef',
        'Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW0ifQ.c2lnbmF0dXJlc2lnbmF0dXJl',
        '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----',
        'pulling https://robot:pa55w0rd@myreg.example/v2/',
        'https://x.blob.core.windows.net/c/serial.log?sv=2021&sig=abcDEF%2B123',
        'client-key-data: LS0tLS1CRUdJTg==',
      ].join('\n'),
      ['s3cr3t', 'abc~123', 'abc~456', 'abcdef.0123456789abcdef', 'eyJhbGciOiJSUzI1NiJ9', 'MHcCAQEE', 'pa55w0rd', 'abcDEF%2B123', 'LS0tLS1CRUdJTg=='],
      ['https://robot:[REDACTED]@myreg.example/v2/', 'sv=2021'],
    );
  });

  it('leaves ordinary diagnostics alone', () => {
    for (const s of ['kubelet v1.33.2 against API server v1.33.2', 'no known error in the last 500 lines of kubelet, containerd', 'TLS and service-account tokens fail on a skewed clock', 'secretName: registry-creds']) {
      assert.equal(redact(s), s);
    }
  });

  describe('the leak corpus: every realistic form comes out exactly as expected', () => {
    for (const c of LEAKS) {
      it(c.name, () => {
        const out = redact(c.input);
        for (const secret of c.secrets) assert.ok(!out.includes(secret), `"${secret}" leaked in:\n${out}`);
        assert.equal(out, c.expected);
        // Redacting twice changes nothing: the bundle redacts texts that quote redacted results.
        assert.equal(redact(out), out);
      });
    }
  });

  describe('the harmless corpus: nothing is redacted', () => {
    for (const c of HARMLESS) {
      it(`${c.name} (${c.why})`, () => {
        assert.equal(redact(c.line), c.line);
      });
    }
  });

  it('the bundle reads UTF-16LE files (with and without a BOM) as text before redacting them', () => {
    const token = 'abcdef.0123456789abcdef';
    const log = `I1201 bootstrap.go:42] kubeadm join --token ${token}\r\n`;
    const withBom = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(log, 'utf16le')]);
    const bare = Buffer.from(log, 'utf16le');
    const tar = gunzipSync(buildBundle([{ name: 'bom.log', data: withBom }, { name: 'bare.log', data: bare }]));
    for (const encoding of ['utf8', 'utf16le'] as const) assert.ok(!tar.includes(Buffer.from('0123456789abcdef', encoding)), `the secret half survived as ${encoding}`);
    assert.equal(tar.toString('latin1').split('kubeadm join --token [REDACTED]').length - 1, 2, 'both files are readable text in the bundle');
  });
});
