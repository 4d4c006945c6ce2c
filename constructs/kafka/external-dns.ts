import { Construct } from 'constructs';
import { Route53Zone } from '@cdktf/provider-aws/lib/route53-zone';
import { Route53Record } from '@cdktf/provider-aws/lib/route53-record';
import { settingError } from '../../contracts/config-error';

export interface KafkaExternalDnsProps {
  /** Private zone name, e.g. 'kafka.dev.internal'. */
  readonly domain: string;
  /** The VPC the zone answers in (the EKS cluster's VPC). */
  readonly vpcId: string;
  /** NLB host name behind `bootstrap.<domain>`. */
  readonly bootstrapTarget: string;
  /** NLB host names behind `broker-<id>.<domain>`, index = broker id. */
  readonly brokerTargets: string[];
  readonly ttlSeconds?: number;
}

const EXTERNAL_DNS_DEFAULTS = { ttlSeconds: 60 } as const;

/** The host name pattern brokers advertise on their EXTERNAL listener; `{id}` is the broker id. */
export function externalBrokerHostTemplate(domain: string): string {
  return `broker-{id}.${domain}`;
}

/** The external bootstrap name (a CNAME to the bootstrap load balancer). */
export function externalBootstrapHostname(domain: string): string {
  return `bootstrap.${domain}`;
}

/**
 * Static names for external Kafka clients in a private hosted zone of the cluster's VPC: `bootstrap.<domain>` and
 * `broker-<id>.<domain>` (CNAMEs to the NLBs). Brokers advertise these names, so clients keep working when a load
 * balancer is re-created with a new AWS host name.
 */
export class KafkaExternalDns extends Construct {
  readonly zoneId: string;
  readonly bootstrapName: string;
  readonly brokerNames: string[];

  constructor(scope: Construct, id: string, props: KafkaExternalDnsProps) {
    super(scope, id);
    if (!/^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(props.domain)) {
      throw settingError('KafkaExternalDns.domain', `"${props.domain}" is not a valid DNS domain`, 'use a lowercase DNS name such as kafka.dev.internal');
    }
    const ttl = props.ttlSeconds ?? EXTERNAL_DNS_DEFAULTS.ttlSeconds;
    const zone = new Route53Zone(this, 'zone', {
      name: props.domain,
      comment: 'Kafka external listener names (private to the cluster VPC)',
      vpc: [{ vpcId: props.vpcId }],
      // Records are managed here; nothing else should hold the zone back at teardown.
      forceDestroy: true,
    });
    this.zoneId = zone.zoneId;
    this.bootstrapName = externalBootstrapHostname(props.domain);
    this.brokerNames = props.brokerTargets.map((_, brokerId) =>
      externalBrokerHostTemplate(props.domain).replace('{id}', String(brokerId)),
    );
    const record = (recordId: string, name: string, target: string) =>
      new Route53Record(this, recordId, { zoneId: zone.zoneId, name, type: 'CNAME', ttl, records: [target] });
    record('bootstrap', this.bootstrapName, props.bootstrapTarget);
    props.brokerTargets.forEach((target, brokerId) => record(`broker-${brokerId}`, this.brokerNames[brokerId], target));
  }
}
