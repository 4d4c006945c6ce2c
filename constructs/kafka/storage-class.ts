import { Construct } from 'constructs';
import { StorageClassV1 } from '@cdktf/provider-kubernetes/lib/storage-class-v1';
import { reclaimPolicy, type VolumeRetention } from '../k8s/stateful-storage';

export interface EncryptedGp3StorageClassProps {
  readonly name?: string;
  /** Optional customer-managed KMS key; without it EBS uses the account's default aws/ebs key. */
  readonly kmsKeyArn?: string;
  readonly labels?: Record<string, string>;
  /** `retain`: a volume stays in EBS after its claim is deleted (production); `delete`: it goes with the claim. */
  readonly volumeRetention?: VolumeRetention;
  /**
   * Tags the EBS CSI driver puts on every volume it creates, e.g. the environment's project/environment tags, so
   * the teardown's leftover scan finds volumes that outlived the cluster.
   */
  readonly volumeTags?: Record<string, string>;
}

export const STORAGE_CLASS_DEFAULTS = { name: 'kafka-gp3-encrypted', volumeRetention: 'delete' as VolumeRetention } as const;

/**
 * Encrypted gp3 EBS volumes through the EBS CSI driver (installed by the platform stack's addons). Volumes bind when
 * a pod is scheduled (WaitForFirstConsumer), so each volume is created in its pod's zone; they are deleted with
 * their claims unless the class retains them.
 */
export class EncryptedGp3StorageClass extends Construct {
  readonly storageClassName: string;

  constructor(scope: Construct, id: string, props: EncryptedGp3StorageClassProps = {}) {
    super(scope, id);
    const parameters: Record<string, string> = { type: 'gp3', encrypted: 'true', 'csi.storage.k8s.io/fstype': 'xfs' };
    if (props.kmsKeyArn) parameters.kmsKeyId = props.kmsKeyArn;
    // The driver's tag parameters: tagSpecification_1, _2, ... each "key=value".
    Object.entries(props.volumeTags ?? {}).forEach(([key, value], index) => {
      parameters[`tagSpecification_${index + 1}`] = `${key}=${value}`;
    });
    const storageClass = new StorageClassV1(this, 'storage-class', {
      metadata: { name: props.name ?? STORAGE_CLASS_DEFAULTS.name, labels: props.labels },
      storageProvisioner: 'ebs.csi.aws.com',
      volumeBindingMode: 'WaitForFirstConsumer',
      reclaimPolicy: reclaimPolicy(props.volumeRetention ?? STORAGE_CLASS_DEFAULTS.volumeRetention),
      allowVolumeExpansion: true,
      parameters,
    });
    this.storageClassName = storageClass.metadata.name;
  }
}
