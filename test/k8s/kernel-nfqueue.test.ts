// Why tools/k8s/patches/kube-network-policies-v0.8.0.patch exists, shown on this machine's kernel: it refuses
// nftables' native queue expression (no nft_queue) but accepts the xtables NFQUEUE target through nft_compat, which
// is what the patched NetworkPolicy agent uses. If a kernel starts accepting the native expression, the first
// assertion fails and the patch can go. Runs in a network namespace of its own.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

const netns = `airline-nfq-${randomBytes(3).toString('hex')}`;
const inNetns = (command: string[], input?: string) =>
  spawnSync('ip', ['netns', 'exec', netns, ...command], { input, encoding: 'utf8' });

describe('this kernel and NFQUEUE (why the NetworkPolicy agent is patched)', () => {
  before(() => execFileSync('ip', ['netns', 'add', netns]));
  after(() => execFileSync('ip', ['netns', 'del', netns]));

  it('refuses the native nftables queue expression', () => {
    const result = inNetns(['nft', '-f', '-'], 'table inet probe {\n chain c {\n type filter hook postrouting priority 95;\n queue num 98 bypass\n }\n}\n');
    assert.notEqual(result.status, 0, 'the kernel accepted "queue": the kube-network-policies patch is no longer needed');
    assert.match(result.stderr, /No such file or directory/);
  });

  it('accepts the xtables NFQUEUE target (nft_compat), as the patched agent sends it', () => {
    const result = inNetns(['iptables-nft', '-A', 'FORWARD', '-j', 'NFQUEUE', '--queue-num', '98', '--queue-bypass']);
    assert.equal(result.status, 0, result.stderr);
    const listed = inNetns(['nft', '--debug=netlink', 'list', 'chain', 'ip', 'filter', 'FORWARD']);
    assert.match(listed.stdout + listed.stderr, /target name NFQUEUE rev 3/);
  });
});
