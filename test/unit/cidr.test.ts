import assert from 'node:assert/strict';
import { PoolSection } from '../../src/config/schema.js';
import { ADMIN_SOURCE_LIMITS, checkAdminSource, isTooBroad, parseCidr } from '../../src/config/cidr.js';

describe('CIDR breadth for admin ports', () => {
  it('parses IPv4 and IPv6 CIDRs into address and prefix, and nothing else', () => {
    assert.deepEqual(parseCidr('10.20.0.0/16'), { family: 4, address: 0x0a140000n, prefix: 16 });
    assert.deepEqual(parseCidr('0.0.0.0/00'), { family: 4, address: 0n, prefix: 0 });
    assert.deepEqual(parseCidr('2001:db8::/32'), { family: 6, address: 0x20010db8n << 96n, prefix: 32 });
    assert.deepEqual(parseCidr('::/0'), { family: 6, address: 0n, prefix: 0 });
    for (const bad of ['10.0.0.0', '10.0.0.0/33', '300.0.0.0/8', '01.0.0.0/8', '::/129', '1::2::3/64', 'fe80::1%eth0/64', '10.0.0.0/-1', 'any', '']) {
      assert.equal(parseCidr(bad), undefined, bad);
    }
  });

  it('refuses sources broader than /8 (IPv4) and /32 (IPv6), whatever the spelling', () => {
    assert.deepEqual(ADMIN_SOURCE_LIMITS, { maxV4Prefix: 8, maxV6Prefix: 32 });
    for (const broad of ['0.0.0.0/0', '0.0.0.0/00', '0.0.0.0/1', '128.0.0.0/1', '10.0.0.0/7', '::/0', '::/1', '2000::/3', '2001:d00::/24', '2001:db8::/31', 'not-a-cidr']) {
      assert.equal(isTooBroad(broad), true, broad);
    }
    for (const ok of ['10.0.0.0/8', '203.0.113.0/24', '198.51.100.7/32', '2001:db8::/32', '2001:db8:1234::/48']) {
      assert.equal(isTooBroad(ok), false, ok);
    }
    assert.equal(isTooBroad('10.0.0.0/12', { maxV4Prefix: 16, maxV6Prefix: 48 }), true, 'the limits are the caller\'s');
    assert.equal(isTooBroad('2001:db8::/48', { maxV4Prefix: 16, maxV6Prefix: 48 }), false);
  });

  it('says why, with the limit and the share of the internet', () => {
    assert.equal(checkAdminSource('203.0.113.0/24'), undefined);
    assert.match(checkAdminSource('0.0.0.0/1')!, /^refusing to open an admin port to 0\.0\.0\.0\/1 \(1\/2 of all IPv4 addresses\): sources broader than \/8 are refused for IPv4/);
    assert.match(checkAdminSource('0.0.0.0/00')!, /to 0\.0\.0\.0\/00 \(every IPv4 address\)/);
    assert.match(checkAdminSource('::/0')!, /broader than \/32 are refused for IPv6/);
    assert.match(checkAdminSource('10.0.0.1')!, /is not an IPv4 or IPv6 CIDR/);
  });

  it('is what the config refuses for allowRdpFrom (--allow-rdp-from), on every cloud', () => {
    assert.equal(PoolSection.safeParse({ allowRdpFrom: '203.0.113.0/24' }).success, true);
    for (const broad of ['0.0.0.0/1', '0.0.0.0/00', '::/0']) {
      const out = PoolSection.safeParse({ allowRdpFrom: broad });
      assert.equal(out.success, false, broad);
      assert.match(out.error!.issues[0]!.message, /broader than \/(8|32)/, broad);
    }
  });
});
