// Log retention is per environment (aws.logRetentionDays): demo environments keep less than the year checkov expects.
import type { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { suppressCheckovCheck } from '../checkov';

export const LONG_RETENTION_DAYS = 365;

export function suppressShortRetention(logGroup: CloudwatchLogGroup, retentionDays: number): void {
  if (retentionDays >= LONG_RETENTION_DAYS) return;
  suppressCheckovCheck(logGroup, 'CKV_AWS_338',
    `Retention is set per environment (aws.logRetentionDays = ${retentionDays}); demo environments are torn down after their expires-at date.`);
}
