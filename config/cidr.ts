// IPv4 CIDR arithmetic for validation and for carving subnets deterministically from the VPC CIDR.

export interface Ipv4Cidr {
  /** Network address as an unsigned 32-bit integer. */
  network: number;
  prefix: number;
  text: string;
}

const CIDR_PATTERN = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

function toDotted(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join('.');
}

function blockSize(prefix: number): number {
  return 2 ** (32 - prefix);
}

/** Parses `a.b.c.d/n`; returns an explanation instead of a value when it is not a valid network CIDR. */
export function parseCidr(text: string): Ipv4Cidr | { problem: string; fix: string } {
  const match = CIDR_PATTERN.exec(text);
  if (!match) {
    return { problem: `"${text}" is not an IPv4 CIDR`, fix: 'write it as a.b.c.d/n, e.g. 203.0.113.0/24' };
  }
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((octet) => octet > 255)) {
    return { problem: `"${text}" has an octet above 255`, fix: 'use octets between 0 and 255' };
  }
  if (prefix > 32) {
    return { problem: `"${text}" has a prefix length above 32`, fix: 'use a prefix length between 0 and 32' };
  }
  const address = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
  const network = prefix === 0 ? 0 : address - (address % blockSize(prefix));
  if (network !== address) {
    const suggestion = `${toDotted(network)}/${prefix}`;
    return { problem: `"${text}" has host bits set`, fix: `use the network address ${suggestion}` };
  }
  return { network, prefix, text };
}

export function isCidr(value: Ipv4Cidr | { problem: string }): value is Ipv4Cidr {
  return (value as Ipv4Cidr).network !== undefined;
}

export function cidrsOverlap(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  const aEnd = a.network + blockSize(a.prefix);
  const bEnd = b.network + blockSize(b.prefix);
  return a.network < bEnd && b.network < aEnd;
}

export function cidrContains(outer: Ipv4Cidr, inner: Ipv4Cidr): boolean {
  return (
    inner.prefix >= outer.prefix &&
    inner.network >= outer.network &&
    inner.network + blockSize(inner.prefix) <= outer.network + blockSize(outer.prefix)
  );
}

/** How many addresses the CIDRs cover together: overlapping and nested blocks count once. */
export function addressesCovered(cidrs: readonly Ipv4Cidr[]): number {
  const blocks = cidrs.map((cidr) => ({ start: cidr.network, end: cidr.network + blockSize(cidr.prefix) })).sort((a, b) => a.start - b.start);
  let total = 0;
  let coveredUntil = 0;
  for (const { start, end } of blocks) {
    if (end <= coveredUntil) continue;
    total += end - Math.max(start, coveredUntil);
    coveredUntil = end;
  }
  return total;
}

export function addressCount(cidr: Ipv4Cidr): number {
  return blockSize(cidr.prefix);
}

/** The `index`-th block of prefix `prefix + newBits` inside `base` (Terraform's cidrsubnet). */
export function subnetOf(base: Ipv4Cidr, newBits: number, index: number): Ipv4Cidr {
  const prefix = base.prefix + newBits;
  if (prefix > 32 || index < 0 || index >= 2 ** newBits) {
    throw new RangeError(`cannot carve block ${index} of /${prefix} from ${base.text}`);
  }
  const network = base.network + index * blockSize(prefix);
  return { network, prefix, text: `${toDotted(network)}/${prefix}` };
}

/** The largest AZ count the subnet plan supports (private subnets take eighths 0..6 of the VPC). */
export const MAX_AVAILABILITY_ZONES = 6;
/** Public subnets are eighths of the last eighth: /22 in a /16; AWS's smallest subnet is /28. */
export const MAX_VPC_PREFIX = 22;
export const MIN_VPC_PREFIX = 16;

export interface SubnetPlan {
  privateCidrs: string[];
  publicCidrs: string[];
}

/**
 * Private subnets (nodes and pods take VPC addresses, so they are large) are the first `azCount` eighths of the VPC;
 * public subnets (load balancers, NAT, the public agents) are eighths of the VPC's last eighth.
 * A /16 gives /19 private and /22 public subnets.
 */
export function planSubnets(vpc: Ipv4Cidr, azCount: number): SubnetPlan {
  const publicBlock = subnetOf(vpc, 3, 7);
  const indexes = Array.from({ length: azCount }, (_, index) => index);
  return {
    privateCidrs: indexes.map((index) => subnetOf(vpc, 3, index).text),
    publicCidrs: indexes.map((index) => subnetOf(publicBlock, 3, index).text),
  };
}
