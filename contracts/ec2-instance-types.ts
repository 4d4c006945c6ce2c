// Whether a name is an EC2 instance type, against the list the EC2 API itself accepts
// (ec2-instance-types.generated.ts, generated from the EC2 API model by tools/ec2/generate-instance-types.sh).
// Shared by config/validate.ts (node pools) and NodePool, which checks its prop again.
import { EC2_INSTANCE_SIZES, EC2_INSTANCE_TYPES_SOURCE } from './ec2-instance-types.generated';

export { EC2_INSTANCE_SIZES, EC2_INSTANCE_TYPES_SOURCE } from './ec2-instance-types.generated';

/** How many other families an unknown family's refusal suggests. */
const SUGGESTED_FAMILIES = 6;
/** Current general purpose, compute, memory and burstable types, suggested when a name has no family at all. */
export const EXAMPLE_INSTANCE_TYPES = ['m7i.xlarge', 'm6i.xlarge', 'c7i.xlarge', 'r7i.xlarge', 't3.large'] as const;

export function isEc2InstanceType(name: string): boolean {
  const [family, size] = splitInstanceType(name);
  return EC2_INSTANCE_SIZES[family]?.includes(size) ?? false;
}

/** `m6i.xlarge` -> ['m6i', 'xlarge']; the family may hold dashes (`u-6tb1.112xlarge`), the size may not hold dots. */
function splitInstanceType(name: string): [string, string] {
  const dot = name.indexOf('.');
  return dot < 0 ? [name, ''] : [name.slice(0, dot), name.slice(dot + 1)];
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

function generation(family: string): number {
  return Number(/\d+/.exec(family)?.[0] ?? 0);
}

/**
 * The families closest in spelling among those of the same kind (the first letter: m, c, r, t, ...), newer
 * generations first among equally close ones.
 */
function similarFamilies(family: string): string[] {
  const known = Object.keys(EC2_INSTANCE_SIZES);
  const sameKind = known.filter((candidate) => candidate[0] === family[0]);
  return (sameKind.length > 0 ? sameKind : known)
    .map((candidate) => ({ candidate, distance: editDistance(family, candidate) }))
    .sort((a, b) => a.distance - b.distance || generation(b.candidate) - generation(a.candidate) || a.candidate.localeCompare(b.candidate))
    .slice(0, SUGGESTED_FAMILIES)
    .map(({ candidate }) => candidate);
}

/** Why `name` is not an EC2 instance type and which real ones are near it, or undefined when it is one. */
export function instanceTypeProblem(name: string): { problem: string; fix: string } | undefined {
  if (isEc2InstanceType(name)) return undefined;
  if (isEc2InstanceType(name.toLowerCase())) {
    return { problem: `"${name}" is not an EC2 instance type: the names are lowercase`, fix: `write ${name.toLowerCase()}` };
  }
  const [family, size] = splitInstanceType(name);
  if (size === '') {
    return { problem: `"${name}" is not an EC2 instance type: a type is <family>.<size>`, fix: `use a real type such as ${EXAMPLE_INSTANCE_TYPES.join(', ')}` };
  }
  const sizes = EC2_INSTANCE_SIZES[family];
  if (sizes) {
    return {
      problem: `"${name}" is not an EC2 instance type: ${family} has no size "${size}"`,
      fix: `use a size ${family} comes in: ${sizes.map((candidate) => `${family}.${candidate}`).join(', ')}`,
    };
  }
  const families = similarFamilies(family);
  return {
    problem: `"${name}" is not an EC2 instance type: there is no instance family "${family}"`,
    fix: `use a real type such as ${families.map((candidate) => `${candidate}.${EC2_INSTANCE_SIZES[candidate].includes('xlarge') ? 'xlarge' : EC2_INSTANCE_SIZES[candidate][0]}`).join(', ')} (the list: ${EC2_INSTANCE_TYPES_SOURCE})`,
  };
}
