import assert from 'node:assert/strict';
import { checkCidr, checkNodeLabel, checkNodeName, checkPoolName, checkTaint, normaliseApiServer } from '../../src/config/validators.js';
import { psString, psStringArray } from '../../src/bootstrap/powershell.js';
import { substitute, stripComments } from '../../src/bootstrap/templates.js';

describe('validators', () => {
  it('node names: RFC 1123, at most 15, not all digits', () => {
    assert.equal(checkNodeName('win-abcde'), undefined);
    assert.equal(checkNodeName('a'.repeat(15)), undefined);
    assert.match(checkNodeName('a'.repeat(16))!, /16 characters/);
    assert.match(checkNodeName('Win')!, /lowercase/);
    assert.match(checkNodeName('-a')!, /starting and ending/);
    assert.match(checkNodeName('12345')!, /all digits/);
  });
  it('pool names leave room for the random suffix', () => {
    assert.equal(checkPoolName('win'), undefined);
    assert.match(checkPoolName('windows-pool')!, /at most 9/);
    assert.match(checkPoolName('1win')!, /start with a lowercase letter/);
  });
  it('CIDRs: IPv4 and IPv6, host bits zero', () => {
    assert.equal(checkCidr('10.96.0.0/12'), undefined);
    assert.equal(checkCidr('fd00:10:96::/112'), undefined);
    assert.match(checkCidr('10.96.0.1/12')!, /did you mean 10\.96\.0\.0\/12/);
    assert.match(checkCidr('10.96.0.0')!, /not a CIDR/);
    assert.match(checkCidr('300.1.1.0/24')!, /not a valid/);
    assert.match(checkCidr('10.0.0.0/33')!, /at most 32/);
  });
  it('API server endpoints normalise to host:port', () => {
    assert.deepEqual(normaliseApiServer('https://cp.example.com'), { value: 'cp.example.com:6443' });
    assert.deepEqual(normaliseApiServer('10.0.0.1:443/'), { value: '10.0.0.1:443' });
    assert.deepEqual(normaliseApiServer('[fd00::1]:6443'), { value: '[fd00::1]:6443' });
    assert.match(normaliseApiServer('http://x')!.error!, /only https/);
    assert.match(normaliseApiServer('x:99999')!.error!, /port/);
    assert.match(normaliseApiServer('fd00::1')!.error!, /brackets/);
    assert.match(normaliseApiServer('https://x/api')!.error!, /without a path/);
  });
  it('node labels respect NodeRestriction', () => {
    assert.equal(checkNodeLabel('team', 'payments'), undefined);
    assert.equal(checkNodeLabel('node.kubernetes.io/windows', 'true'), undefined);
    assert.equal(checkNodeLabel('topology.kubernetes.io/zone', 'a'), undefined);
    assert.match(checkNodeLabel('node-role.kubernetes.io/worker', '')!, /NodeRestriction/);
    assert.match(checkNodeLabel('team', 'a b')!, /value/);
  });
  it('taints are key[=value]:Effect', () => {
    assert.equal(checkTaint('os=windows:NoSchedule'), undefined);
    assert.equal(checkTaint('dedicated:NoExecute'), undefined);
    assert.match(checkTaint('os=windows')!, /key\[=value\]:Effect/);
    assert.match(checkTaint('os=windows:Maybe')!, /effect must be one of/);
  });
});

describe('PowerShell literals', () => {
  it('single-quote strings so nothing expands, doubling quotes (also typographic ones)', () => {
    assert.equal(psString("a'b$c`d"), "'a''b$c`d'");
    assert.equal(psString('x\u2019y'), "'x\u2019\u2019y'");
    assert.equal(psStringArray([]), '@()');
  });
});

describe('template substitution', () => {
  it('fails on a placeholder without a value, and on a value no template uses', () => {
    assert.throws(() => substitute('a {{X}} b', {}), /without a value: X/);
    assert.throws(() => substitute('a {{X}} b', { X: '1', Y: '2' }), /no template uses: Y/);
    assert.equal(substitute('a {{X}} b', { X: '1' }), 'a 1 b');
  });
  it('leaves PowerShell format strings such as {0} alone', () => {
    assert.equal(substitute("'{0}' -f {{X}}", { X: '1' }), "'{0}' -f 1");
  });
  it('strips comment lines but keeps code and #requires', () => {
    assert.equal(stripComments('# why\n$a = 1 # keep\n\n\n#Requires -Version 5\n'), '$a = 1 # keep\n\n#Requires -Version 5\n');
  });
});
