import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressesCovered, cidrContains, cidrsOverlap, isCidr, MAX_AVAILABILITY_ZONES, parseCidr, planSubnets, subnetOf, type Ipv4Cidr } from '../../config/cidr';

function cidr(text: string): Ipv4Cidr {
  const parsed = parseCidr(text);
  assert.ok(isCidr(parsed), `${text} should parse`);
  return parsed;
}

test('parseCidr accepts network CIDRs and explains bad ones', () => {
  assert.equal(cidr('10.0.0.0/16').prefix, 16);
  assert.equal(cidr('0.0.0.0/0').network, 0);
  assert.equal(cidr('255.255.255.255/32').network, 0xffffffff);
  const hostBits = parseCidr('192.168.1.77/24');
  assert.ok(!isCidr(hostBits));
  assert.match(hostBits.fix, /192\.168\.1\.0\/24/);
  assert.ok(!isCidr(parseCidr('10.0.0.0/33')));
  assert.ok(!isCidr(parseCidr('10.0.0.0')));
  assert.ok(!isCidr(parseCidr(' 10.0.0.0/8')));
});

test('overlap and containment', () => {
  assert.ok(cidrsOverlap(cidr('10.0.0.0/16'), cidr('10.0.255.0/24')));
  assert.ok(!cidrsOverlap(cidr('10.0.0.0/16'), cidr('10.1.0.0/16')));
  assert.ok(cidrsOverlap(cidr('0.0.0.0/0'), cidr('203.0.113.0/24')));
  assert.ok(cidrContains(cidr('10.0.0.0/16'), cidr('10.0.224.0/22')));
  assert.ok(!cidrContains(cidr('10.0.0.0/16'), cidr('10.0.0.0/15')));
  assert.ok(!cidrContains(cidr('10.0.0.0/16'), cidr('10.1.0.0/24')));
});

test('subnetOf matches Terraform cidrsubnet', () => {
  assert.equal(subnetOf(cidr('10.0.0.0/16'), 3, 7).text, '10.0.224.0/19');
  assert.equal(subnetOf(cidr('10.2.0.0/16'), 8, 255).text, '10.2.255.0/24');
  assert.throws(() => subnetOf(cidr('10.0.0.0/16'), 3, 8), RangeError);
});

test('the subnet plan is disjoint and inside the VPC for every supported size', () => {
  for (const vpcText of ['10.0.0.0/16', '172.16.0.0/20', '192.168.0.0/22']) {
    const vpc = cidr(vpcText);
    for (let zones = 2; zones <= MAX_AVAILABILITY_ZONES; zones++) {
      const plan = planSubnets(vpc, zones);
      const all = [...plan.privateCidrs, ...plan.publicCidrs].map(cidr);
      assert.equal(all.length, zones * 2);
      all.forEach((subnet, index) => {
        assert.ok(cidrContains(vpc, subnet), `${subnet.text} inside ${vpcText}`);
        assert.ok(subnet.prefix <= 28, `${subnet.text} is at least a /28`);
        all.slice(index + 1).forEach((other) => assert.ok(!cidrsOverlap(subnet, other), `${subnet.text} vs ${other.text}`));
      });
    }
  }
});

test('addressesCovered counts the union: overlapping and nested blocks once', () => {
  assert.equal(addressesCovered([]), 0);
  assert.equal(addressesCovered([cidr('10.0.0.0/16')]), 65_536);
  assert.equal(addressesCovered([cidr('10.0.0.0/16'), cidr('10.0.128.0/17'), cidr('10.0.0.0/24')]), 65_536, 'nested blocks add nothing');
  assert.equal(addressesCovered([cidr('10.0.0.0/16'), cidr('10.1.0.0/16')]), 131_072, 'adjacent blocks add up');
  assert.equal(addressesCovered([cidr('10.1.0.0/16'), cidr('10.0.0.0/15')]), 131_072, 'a block inside a later, wider one counts once');
  assert.equal(addressesCovered([cidr('0.0.0.0/0')]), 2 ** 32);
  assert.equal(addressesCovered([cidr('255.255.255.255/32'), cidr('255.255.255.254/31')]), 2);
});
