// Checkov suppressions kept next to the resource they concern. Checkov reads `checkov:skip` comments only in HCL;
// the synthesized JSON has no comments, so the suppression is written into the resource's "//" property (Terraform
// ignores it), and tools/terraform/scan_report.py accepts a failed check only when that resource lists the check
// with a reason. Every suppression therefore sits in the construct that creates the resource, with its reason.
import type { TerraformDataSource, TerraformResource } from 'cdktf';

/** Marker property key inside the resource's "//" comment object. */
export const CHECKOV_SKIP_KEY = 'checkov:skip';

const CHECK_ID = /^CKV2?_[A-Z0-9]+_\d+$/;

/**
 * Marks `checkId` as accepted for `resource`, with the reason a reviewer needs. Repeated calls add checks.
 * Throws on a malformed id or an empty reason: a suppression without a reason is not accepted.
 */
export function suppressCheckovCheck(resource: TerraformResource | TerraformDataSource, checkId: string, reason: string): void {
  if (!CHECK_ID.test(checkId)) throw new Error(`"${checkId}" is not a checkov check id (e.g. CKV_AWS_338)`);
  if (reason.trim().length < 10) throw new Error(`suppression of ${checkId} needs a reason (a sentence, not "${reason}")`);
  resource.addOverride(`//.${CHECKOV_SKIP_KEY}.${checkId}`, reason.trim());
}
