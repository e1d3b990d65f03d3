import assert from 'node:assert/strict';
import { nsgRules, sameRules } from '../../src/cloud/azure/network-security.js';
import { desiredFirewalls, firewallKey } from '../../src/cloud/gcp/firewall.js';
import type { ResolvedPlacement } from '../../src/cloud/provider.js';
import { isWinK8sError } from '../../src/errors.js';

/**
 * The clouds' desired-state functions are pure: what a pool's firewall should be, from the
 * placement and the flags, with no API at all. The wire tests check that the providers apply
 * them; these check the decisions themselves, corner by corner.
 */
const placement: ResolvedPlacement = { region: 'r', networkId: 'net', subnetId: 'sub', networkCidr: '10.1.0.0/16,10.2.0.0/24', extraFirewallIds: [] };
const ref = { cluster: 'demo', pool: 'win' };

const refusal = (fn: () => unknown): { field?: string; message: string } => {
  try {
    fn();
  } catch (err) {
    assert.ok(isWinK8sError(err) && err.exitCode === 2, String(err));
    return err;
  }
  return assert.fail('expected a refusal');
};

describe('desired firewall state (pure)', () => {
  it('Azure: the node ports from every network range, RDP only when asked and never broader than /8', () => {
    const rules = nsgRules(placement, undefined);
    assert.deepEqual(
      rules.map((r) => [r.name, r.protocol, r.destinationPortRange, r.sourceAddressPrefixes]),
      [
        ['win-k8s-kubelet', 'Tcp', '10250', ['10.1.0.0/16', '10.2.0.0/24']],
        ['win-k8s-kube-proxy-health', 'Tcp', '10256', ['10.1.0.0/16', '10.2.0.0/24']],
        ['win-k8s-vxlan', 'Udp', '4789', ['10.1.0.0/16', '10.2.0.0/24']],
      ],
    );
    const withRdp = nsgRules(placement, '203.0.113.7/32');
    assert.deepEqual(withRdp.slice(-1).map((r) => [r.name, r.destinationPortRange, r.sourceAddressPrefix]), [['win-k8s-rdp', '3389', '203.0.113.7/32']]);
    for (const broad of ['0.0.0.0/1', '0.0.0.0/00', '*', 'Internet']) assert.match(refusal(() => nsgRules(placement, broad)).message, /--allow-rdp-from/, broad);
    // The same rules in another order, or with their ranges listed otherwise, are the same.
    const shuffled = [...withRdp].reverse().map((r) => ({ ...r, ...(r.sourceAddressPrefixes ? { sourceAddressPrefixes: [...r.sourceAddressPrefixes].reverse() } : {}) }));
    assert.ok(sameRules(shuffled, withRdp));
    assert.ok(!sameRules(rules, withRdp));
  });

  it('GCP: one rule to the pool tag for the node ports, a separate RDP rule only when asked, never to the whole internet', () => {
    const [nodes, ...rest] = desiredFirewalls(ref, placement, undefined);
    assert.deepEqual(rest, []);
    assert.deepEqual(nodes!.sourceRanges, ['10.1.0.0/16', '10.2.0.0/24']);
    assert.deepEqual(nodes!.targetTags, ['win-k8s-demo-win']);
    assert.deepEqual(nodes!.allowed, [
      { IPProtocol: 'tcp', ports: ['10250', '10256'] },
      { IPProtocol: 'udp', ports: ['4789'] },
    ]);
    const rdp = desiredFirewalls(ref, placement, '198.51.100.0/24')[1]!;
    assert.deepEqual([rdp.sourceRanges, rdp.allowed], [['198.51.100.0/24'], [{ IPProtocol: 'tcp', ports: ['3389'] }]]);
    assert.equal(refusal(() => desiredFirewalls(ref, placement, '0.0.0.0/1')).field, '--allow-rdp-from');
    assert.equal(refusal(() => desiredFirewalls(ref, { ...placement, networkCidr: '0.0.0.0/0' }, undefined)).field, '--subnet-id');
    // Order of ranges and ports does not make a rule different.
    assert.equal(firewallKey({ ...nodes!, sourceRanges: [...nodes!.sourceRanges!].reverse() }), firewallKey(nodes!));
  });
});
