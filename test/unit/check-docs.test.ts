import assert from 'node:assert/strict';
import { PREFLIGHT_CHECKS } from '../../src/cluster/preflight.js';
import { allChecks } from '../../src/diagnose/registry.js';

describe('check docs links (diagnose and preflight)', () => {
  it('every registered check links a whole https page, with no fragment', () => {
    assert.ok(allChecks().length > 20);
    const checks = [...allChecks(), ...PREFLIGHT_CHECKS];
    for (const c of checks) {
      assert.ok(c.docs, `${c.id} has no docs link`);
      const url = new URL(c.docs);
      assert.equal(url.protocol, 'https:', c.id);
      // Fragments were invented per check id and matched no heading on the page; none is verified, so none is allowed.
      assert.ok(!c.docs.includes('#'), `${c.id}: ${c.docs} has a fragment`);
      assert.ok(['kubernetes.io', 'github.com'].includes(url.hostname), `${c.id}: ${c.docs}`);
    }
  });
});
