import { Construct } from 'constructs';
import { StorageClassV1 } from '@cdktf/provider-kubernetes/lib/storage-class-v1';

export interface EncryptedGp3StorageClassProps {
  readonly name?: string;
  /** Optional customer-managed KMS key; without it EBS uses the account's default aws/ebs key. */
  readonly kmsKeyArn?: string;
  readonly labels?: Record<string, string>;
}

const STORAGE_CLASS_DEFAULTS = { name: 'kafka-gp3-encrypted' } as const;

/**
 * Encrypted gp3 EBS volumes through the EBS CSI driver (installed by the platform stack's addons). Volumes bind when
 * a pod is scheduled (WaitForFirstConsumer), so each volume is created in its pod's zone; they are deleted with
 * their claims.
 */
export class EncryptedGp3StorageClass extends Construct {
  readonly storageClassName: string;

  constructor(scope: Construct, id: string, props: EncryptedGp3StorageClassProps = {}) {
    super(scope, id);
    const parameters: Record<string, string> = { type: 'gp3', encrypted: 'true', 'csi.storage.k8s.io/fstype': 'xfs' };
    if (props.kmsKeyArn) parameters.kmsKeyId = props.kmsKeyArn;
    const storageClass = new StorageClassV1(this, 'storage-class', {
      metadata: { name: props.name ?? STORAGE_CLASS_DEFAULTS.name, labels: props.labels },
      storageProvisioner: 'ebs.csi.aws.com',
      volumeBindingMode: 'WaitForFirstConsumer',
      reclaimPolicy: 'Delete',
      allowVolumeExpansion: true,
      parameters,
    });
    this.storageClassName = storageClass.metadata.name;
  }
}
