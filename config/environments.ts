// The environments as plain data. Adding an environment is adding an entry here (validated by validate.ts).
// A list, not an object keyed by name: a repeated key in an object literal silently replaces the earlier entry,
// while a repeated name in the list is refused (config/index.ts).
// Admin CIDRs below are documentation ranges (RFC 5737): replace them with your office/VPN CIDRs.
// The state bucket is a placeholder: create a bucket and set AIRLINE_STATE_BUCKET (or edit `bucket` here),
// or use local state for a first try with AIRLINE_STATE=local.
import { DEFAULTS, type EnvironmentEntry } from './schema';

export const STATE_BUCKET_PLACEHOLDER = 'airline-streaming-tfstate-replace-me';

const platformTeam = 'platform-team';

// Production pins images by digest. These digests could not be read (no registry is reachable from the machine
// this config was written on) and are not made up: the reason says so until someone pins them (README,
// "Pinning images by digest").
const DIGEST_NOT_READ = 'No registry was reachable from the build machine to read the digest; pin it by digest before the first production deploy';

export const ENVIRONMENTS: readonly EnvironmentEntry[] = [
  {
    name: 'dev',
    production: false,
    target: 'aws',
    aws: {
      region: 'us-east-1',
      availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
      adminCidrs: ['203.0.113.0/24'],
      natMode: 'single',
      privateAgents: { count: 5, instanceType: 'm6i.xlarge' },
      publicAgents: { count: 1, instanceType: 'm6i.large' },
      logRetentionDays: 7,
    },
    tags: { owner: platformTeam, 'expires-at': '2027-06-30' },
    stateBackend: { kind: 's3', bucket: STATE_BUCKET_PLACEHOLDER, region: 'us-east-1' },
  },
  {
    name: 'staging',
    production: false,
    target: 'aws',
    aws: {
      region: 'us-east-1',
      availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
      vpcCidr: '10.1.0.0/16',
      adminCidrs: ['203.0.113.0/24', '198.51.100.0/24'],
      natMode: 'single',
      logRetentionDays: 30,
    },
    tags: { owner: platformTeam, 'expires-at': '2027-06-30' },
    stateBackend: { kind: 's3', bucket: STATE_BUCKET_PLACEHOLDER, region: 'us-east-1' },
  },
  {
    name: 'prod',
    production: true,
    target: 'aws',
    aws: {
      region: 'us-east-1',
      availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
      vpcCidr: '10.2.0.0/16',
      adminCidrs: ['203.0.113.0/24', '198.51.100.0/24'],
      natMode: 'per-az',
      privateAgents: { count: 6, instanceType: 'm6i.2xlarge', diskGiB: 100 },
      publicAgents: { count: 2, instanceType: 'm6i.xlarge' },
      flowLogs: true,
      logRetentionDays: 90,
    },
    streaming: {
      nodeRuntimeImage: { reference: DEFAULTS.streaming.nodeRuntimeImage, reason: DIGEST_NOT_READ },
      zookeeper: { image: { reference: DEFAULTS.streaming.zookeeper.image, reason: DIGEST_NOT_READ } },
      kafka: { image: { reference: DEFAULTS.streaming.kafka.image, reason: DIGEST_NOT_READ }, externalAccess: true },
    },
    tags: { owner: platformTeam, 'expires-at': '2027-12-31' },
    stateBackend: { kind: 's3', bucket: STATE_BUCKET_PLACEHOLDER, region: 'us-east-1' },
  },
  {
    name: 'local',
    production: false,
    target: 'local',
    // The cluster of `npm run k8s:up` (tools/k8s) and the images built there (tools/k8s/lib.sh names them).
    local: { kubeconfigPath: '/var/lib/airline-k8s/admin.kubeconfig', kubeconfigContext: 'airline-local' },
    streaming: {
      nodeRuntimeImage: 'localhost/airline/node:20',
      zookeeper: { image: 'localhost/airline/zookeeper:3.8.4', heapMb: 256, storageGiB: 1 },
      // NodePorts, so `npm run demo -- --on k8s` replays and collects from this machine.
      kafka: { image: 'localhost/airline/kafka:3.9.2', heapMb: 512, storageGiB: 5, externalAccess: true },
    },
    tags: { owner: platformTeam, 'expires-at': '2027-12-31' },
    stateBackend: { kind: 'local' },
  },
];
