import { createHash } from 'node:crypto';
import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { JobV1 } from '@cdktf/provider-kubernetes/lib/job-v1';
import { DEFAULTS, PROJECT } from '../../config/schema';
import {
  CLIENT_PRINCIPALS,
  KAFKA_ACLS,
  KAFKA_SASL_MECHANISM,
  KUBERNETES_SECRETS,
  kubernetesUserSecretName,
  type AclEntry,
  type AclOperation,
  type AclResourceType,
  type ClientRole,
} from '../../contracts/kafka-security';
import { nonRootPodSecurityContext, restrictedContainerSecurityContext, WRITABLE_TMP } from '../k8s/security';
import { escapeTerraformTemplate } from '../k8s/terraform-escape';

export interface KafkaAccessProps {
  readonly namespace: string;
  /** The brokers' image: it holds Kafka's ConfigCommand and AclCommand. */
  readonly image?: string;
  readonly zookeeperConnect: string;
  /** The Secret with ZooKeeper's client JAAS file (KafkaClusterCredentials.zookeeperSaslSecretName). */
  readonly zookeeperSaslSecretName: string;
  /** The ACL table; default the contract's (contracts/kafka-security.ts). */
  readonly acls?: readonly AclEntry[];
  /** Resources the Job waits for (the credentials Job, the ZooKeeper ensemble). */
  readonly dependsOn?: ITerraformDependable[];
  readonly name?: string;
}

export const KAFKA_ACCESS_DEFAULTS = {
  name: 'kafka-access',
  image: DEFAULTS.streaming.kafka.image,
  /** apache/kafka's `appuser`. */
  uid: 1000,
  kafkaHome: '/opt/kafka',
  activeDeadlineSeconds: 600,
} as const;

const RESOURCE_OPTION: Record<AclResourceType, string> = {
  TOPIC: '--topic',
  GROUP: '--group',
  TRANSACTIONAL_ID: '--transactional-id',
  CLUSTER: '--cluster',
};

/** AclCommand spells operations in camel case (DESCRIBE_CONFIGS -> DescribeConfigs). */
const operationName = (operation: AclOperation) =>
  operation.toLowerCase().split('_').map((word) => word[0].toUpperCase() + word.slice(1)).join('');

/**
 * The ACL table as AclCommand invocations: entries of one principal, pattern type and operation set share one
 * invocation (AclCommand grants every listed operation on every listed resource), so nothing beyond the table is
 * granted and each JVM start (about a second) does as much as it can.
 */
export function aclCommandArguments(acls: readonly AclEntry[]): string[][] {
  const byResource = new Map<string, { entry: AclEntry; operations: Set<AclOperation> }>();
  for (const entry of acls) {
    const key = `${entry.principal}|${entry.patternType}|${entry.resourceType}|${entry.name}`;
    const found = byResource.get(key) ?? { entry, operations: new Set<AclOperation>() };
    found.operations.add(entry.operation);
    byResource.set(key, found);
  }
  const groups = new Map<string, { principal: string; patternType: string; operations: AclOperation[]; resources: AclEntry[] }>();
  for (const { entry, operations } of byResource.values()) {
    const sorted = [...operations].sort();
    const key = `${entry.principal}|${entry.patternType}|${sorted.join(',')}`;
    const group = groups.get(key) ?? { principal: entry.principal, patternType: entry.patternType, operations: sorted, resources: [] };
    group.resources.push(entry);
    groups.set(key, group);
  }
  return [...groups.values()].map((group) => [
    '--add',
    '--force',
    '--allow-principal',
    group.principal,
    ...group.operations.flatMap((operation) => ['--operation', operationName(operation)]),
    ...group.resources.flatMap((entry) => (entry.resourceType === 'CLUSTER' ? ['--cluster'] : [RESOURCE_OPTION[entry.resourceType], entry.name])),
    '--resource-pattern-type',
    group.patternType.toLowerCase(),
  ]);
}

/** Kafka's tools log warnings and errors only, to the Job's output. */
const TOOL_LOG4J_PROPERTIES = `log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.Target=System.err
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
`;

const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

const USERS_DIR = '/var/run/airline/kafka-users';
const ZOOKEEPER_SASL_DIR = '/var/run/airline/zookeeper-sasl';

/** The Job's script: every principal's SCRAM credential from its Secret, then the ACL table (both idempotent). */
export function accessScript(acls: readonly AclEntry[]): string {
  const users = Object.values(CLIENT_PRINCIPALS);
  const lines = [
    '#!/bin/bash',
    '# Writes to ZooKeeper (as the brokers do, SASL-authenticated): SCRAM credentials, then ACLs.',
    'set -euo pipefail',
    'tool() { java -Xmx128m -Xms32m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Djava.security.auth.login.config="$ZOOKEEPER_JAAS" -Dlog4j.configuration="file:$LOG4J_CONFIG" -cp "$KAFKA_HOME/libs/*" "$@"; }',
    'authorizer=(--authorizer-properties "zookeeper.connect=$ZOOKEEPER_CONNECT" zookeeper.set.acl=true)',
    'umask 077',
    '# The Secrets are the source of truth: every run writes them (after a rotation or a restore of old volumes too).',
    `for user in ${users.map(quote).join(' ')}; do`,
    `  printf '${KAFKA_SASL_MECHANISM}=password=%s\\n' "$(cat "$USERS_DIR/$user/password")" > /tmp/scram.properties`,
    '  tool kafka.admin.ConfigCommand --zookeeper "$ZOOKEEPER_CONNECT" --alter --entity-type users --entity-name "$user" \\',
    '    --add-config-file /tmp/scram.properties >/dev/null',
    '  rm -f /tmp/scram.properties',
    '  echo "credential of $user: written"',
    'done',
    ...aclCommandArguments(acls).map((args) => `tool kafka.admin.AclCommand "\${authorizer[@]}" ${args.map(quote).join(' ')} >/dev/null`),
    `echo "ACLs: ${acls.length} entries in place"`,
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * Registers every client principal's SCRAM credential and the ACL table in ZooKeeper with Kafka's own tools, from a
 * Job on the brokers' image, before any client starts. Passwords come from the principals' Secrets (made in the
 * cluster by KafkaClusterCredentials); ZooKeeper is reached with SASL like the brokers. Re-runs change nothing unless
 * a Secret changed; entries removed from the ACL table stay until removed with AclCommand --remove.
 */
export class KafkaAccess extends Construct {
  readonly jobName: string;
  readonly podLabels: Record<string, string>;
  readonly script: string;
  readonly job: JobV1;

  constructor(scope: Construct, id: string, props: KafkaAccessProps) {
    super(scope, id);
    const d = KAFKA_ACCESS_DEFAULTS;
    const name = props.name ?? d.name;
    const labels = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': PROJECT };
    this.podLabels = { ...labels };
    this.script = accessScript(props.acls ?? KAFKA_ACLS);
    const hash = createHash('sha256').update(this.script).update(TOOL_LOG4J_PROPERTIES).update(props.zookeeperConnect).update(props.image ?? d.image).digest('hex').slice(0, 10);
    this.jobName = `${name}-${hash}`;

    const script = new ConfigMapV1(this, 'script', {
      metadata: { name: `${name}-script`, namespace: props.namespace, labels },
      data: { 'grant-access.sh': escapeTerraformTemplate(this.script), 'log4j.properties': TOOL_LOG4J_PROPERTIES },
    });
    const roles = Object.keys(CLIENT_PRINCIPALS) as ClientRole[];

    this.job = new JobV1(this, 'job', {
      dependsOn: [...(props.dependsOn ?? []), script],
      metadata: { name: this.jobName, namespace: props.namespace, labels },
      spec: {
        backoffLimit: 6,
        activeDeadlineSeconds: d.activeDeadlineSeconds,
        ttlSecondsAfterFinished: String(7 * 24 * 3600),
        template: {
          metadata: { labels: this.podLabels, annotations: { 'airline.io/script-hash': hash } },
          spec: {
            restartPolicy: 'OnFailure',
            automountServiceAccountToken: false,
            securityContext: nonRootPodSecurityContext(d.uid),
            container: [
              {
                name: 'grant-access',
                image: props.image ?? d.image,
                command: ['bash', '/opt/airline/access/grant-access.sh'],
                env: [
                  { name: 'KAFKA_HOME', value: d.kafkaHome },
                  { name: 'ZOOKEEPER_CONNECT', value: props.zookeeperConnect },
                  { name: 'ZOOKEEPER_JAAS', value: `${ZOOKEEPER_SASL_DIR}/${KUBERNETES_SECRETS.keys.zookeeperClientJaas}` },
                  { name: 'USERS_DIR', value: USERS_DIR },
                  { name: 'LOG4J_CONFIG', value: '/opt/airline/access/log4j.properties' },
                ],
                resources: { requests: { cpu: '200m', memory: '256Mi' }, limits: { memory: '384Mi' } },
                securityContext: restrictedContainerSecurityContext(),
                volumeMount: [
                  { name: 'script', mountPath: '/opt/airline/access', readOnly: true },
                  { name: 'zookeeper-sasl', mountPath: ZOOKEEPER_SASL_DIR, readOnly: true },
                  WRITABLE_TMP.volumeMount,
                  ...roles.map((role) => ({ name: `user-${role.toLowerCase()}`, mountPath: `${USERS_DIR}/${CLIENT_PRINCIPALS[role]}`, readOnly: true })),
                ],
              },
            ],
            volume: [
              { name: 'script', configMap: { name: script.metadata.name, defaultMode: '0555' } },
              { name: 'zookeeper-sasl', secret: { secretName: props.zookeeperSaslSecretName, defaultMode: '0400' } },
              { name: WRITABLE_TMP.volume.name, emptyDir: { sizeLimit: '16Mi', medium: 'Memory' } },
              ...roles.map((role) => ({ name: `user-${role.toLowerCase()}`, secret: { secretName: kubernetesUserSecretName(role), defaultMode: '0400' } })),
            ],
          },
        },
      },
      waitForCompletion: true,
      timeouts: { create: '12m', update: '12m' },
    });
  }
}
