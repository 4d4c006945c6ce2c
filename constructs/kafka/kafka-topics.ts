import { createHash } from 'node:crypto';
import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { JobV1 } from '@cdktf/provider-kubernetes/lib/job-v1';
import { PROJECT, type TopicSpec } from '../../config/schema';
import { BOUNDS, assertWithin } from '../../contracts/bounds';
import { settingError } from '../../contracts/config-error';
import { PERMANENT_EXIT_CODES } from '../../contracts/topic-provisioner';
import type { ClientCredentialsMount } from './cluster-credentials';
import { NodeAppBundle } from '../k8s/node-app-bundle';
import { nonRootPodSecurityContext, restrictedContainerSecurityContext } from '../k8s/security';

export interface KafkaTopicsProps {
  readonly namespace: string;
  /** Image that runs the bundled Node program (NodeAppBundle); default NODE_APP_IMAGE, the official Node 20 image. */
  readonly nodeRuntimeImage?: string;
  /** Bootstrap address inside the cluster (BootstrapVip.bootstrapAddress). */
  readonly bootstrap: string;
  readonly topics: ReadonlyArray<Required<TopicSpec>>;
  /** The provisioner waits until this many brokers are registered. */
  readonly expectedBrokers: number;
  /** Resources the Job must wait for (the brokers' StatefulSet). */
  readonly dependsOn?: ITerraformDependable[];
  /** The provisioner's own wait-for-brokers deadline. */
  readonly timeoutMs?: number;
  readonly backoffLimit?: number;
  readonly activeDeadlineSeconds?: number;
  readonly ttlSecondsAfterFinished?: number;
  readonly name?: string;
  /** The provisioner principal's credentials (KafkaClusterCredentials.clientMount('topicsProvisioner')). */
  readonly credentials?: ClientCredentialsMount;
}

export const KAFKA_TOPICS_DEFAULTS = {
  name: 'kafka-topics',
  /** The topic provisioner's CLI (services/topics/). */
  entry: 'services/topics/cli.ts',
  timeoutMs: 300_000,
  backoffLimit: 4,
  activeDeadlineSeconds: 900,
  /**
   * Finished Jobs stay a week for their logs. After that Kubernetes deletes the Job, and the next apply creates it
   * again: a re-run of the idempotent provisioner that reports "unchanged".
   */
  ttlSecondsAfterFinished: 7 * 24 * 3600,
  /** The Node image's `node` user. */
  uid: 1000,
  /** Provisioner exit codes that no retry can fix (invalid spec, refused drift). */
  permanentExitCodes: PERMANENT_EXIT_CODES,
} as const;

/** What the Job is asked to do, in a stable form (its hash names the Job). */
export function topicsSpecJson(topics: ReadonlyArray<Required<TopicSpec>>): string {
  return JSON.stringify(
    topics.map((topic) => ({
      name: topic.name,
      partitions: topic.partitions,
      replicationFactor: topic.replicationFactor,
      config: Object.fromEntries(Object.entries(topic.config).sort(([a], [b]) => a.localeCompare(b))),
    })),
  );
}

/**
 * Creates and checks the configured topics with a Kubernetes Job that runs this project's topic provisioner
 * (bundled into a ConfigMap, official Node image). The Job's name carries a hash of the spec, the bundle and the
 * target, so a changed spec or provisioner makes Terraform replace the Job and the provisioner runs again; apply
 * waits for it to complete and fails if it fails.
 */
export class KafkaTopics extends Construct {
  readonly jobName: string;
  /** Labels of the Job's pods. */
  readonly podLabels: Record<string, string>;
  readonly specHash: string;
  readonly specJson: string;
  readonly job: JobV1;
  readonly bundle: NodeAppBundle;

  constructor(scope: Construct, id: string, props: KafkaTopicsProps) {
    super(scope, id);
    const d = KAFKA_TOPICS_DEFAULTS;
    if (props.topics.length === 0) throw settingError('KafkaTopics.topics', 'is empty', 'list at least one topic');
    assertWithin('KafkaTopics.expectedBrokers', props.expectedBrokers, BOUNDS.kafkaBrokers);
    const tooReplicated = props.topics.filter((topic) => topic.replicationFactor > props.expectedBrokers);
    if (tooReplicated.length > 0) {
      throw settingError(
        'KafkaTopics.topics',
        `replication factor above the ${props.expectedBrokers} brokers for ` +
          tooReplicated.map((topic) => `${topic.name} (RF ${topic.replicationFactor})`).join(', '),
        `use a replication factor of at most ${props.expectedBrokers} or add brokers`,
      );
    }
    const name = props.name ?? d.name;
    const timeoutMs = props.timeoutMs ?? d.timeoutMs;
    const activeDeadlineSeconds = props.activeDeadlineSeconds ?? d.activeDeadlineSeconds;
    const labels = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': PROJECT };
    this.podLabels = { ...labels };

    this.bundle = new NodeAppBundle(this, 'provisioner', {
      entry: d.entry,
      name: 'topic-provisioner',
      namespace: props.namespace,
      labels,
      image: props.nodeRuntimeImage,
    });
    this.specJson = topicsSpecJson(props.topics);
    this.specHash = createHash('sha256')
      .update(this.specJson)
      .update(`\n${props.bootstrap}\n${props.expectedBrokers}\n${timeoutMs}\n`)
      .update(JSON.stringify(props.credentials ?? {}))
      .update(this.bundle.contentHash)
      .digest('hex')
      .slice(0, 16);
    this.jobName = `${name}-${this.specHash.slice(0, 10)}`;

    this.job = new JobV1(this, 'job', {
      dependsOn: [...(props.dependsOn ?? []), this.bundle.configMap],
      metadata: {
        name: this.jobName,
        namespace: props.namespace,
        labels,
        annotations: { 'airline.io/spec-hash': this.specHash, 'airline.io/topics': props.topics.map((t) => t.name).join(',') },
      },
      spec: {
        backoffLimit: props.backoffLimit ?? d.backoffLimit,
        activeDeadlineSeconds,
        ttlSecondsAfterFinished: String(props.ttlSecondsAfterFinished ?? d.ttlSecondsAfterFinished),
        podFailurePolicy: {
          rule: [
            { action: 'FailJob', onExitCodes: { containerName: 'provisioner', operator: 'In', values: [...d.permanentExitCodes] } },
          ],
        },
        template: {
          metadata: { labels, annotations: { ...this.bundle.podAnnotations, 'airline.io/spec-hash': this.specHash } },
          spec: {
            // podFailurePolicy needs Never; failed pods stay for their logs.
            restartPolicy: 'Never',
            automountServiceAccountToken: false,
            securityContext: nonRootPodSecurityContext(d.uid),
            container: [
              {
                name: 'provisioner',
                image: this.bundle.image,
                command: this.bundle.command,
                env: [
                  { name: 'KAFKA_BOOTSTRAP', value: props.bootstrap },
                  { name: 'TOPICS_SPEC', value: this.specJson },
                  { name: 'EXPECTED_BROKERS', value: String(props.expectedBrokers) },
                  { name: 'TIMEOUT_MS', value: String(timeoutMs) },
                  ...(props.credentials?.env ?? []),
                ],
                resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
                securityContext: restrictedContainerSecurityContext(),
                volumeMount: [this.bundle.volumeMount, ...(props.credentials?.volumeMounts ?? [])],
              },
            ],
            volume: [this.bundle.volume, ...(props.credentials?.volumes ?? [])],
          },
        },
      },
      waitForCompletion: true,
      timeouts: { create: `${Math.ceil(activeDeadlineSeconds / 60) + 2}m`, update: `${Math.ceil(activeDeadlineSeconds / 60) + 2}m` },
    });
  }
}
