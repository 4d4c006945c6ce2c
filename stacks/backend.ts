// Where a stack keeps its Terraform state: S3 (key `<prefix>/<env>/<stack>.tfstate`, encrypted, S3-native
// locking) or a local file. Used by every stack of an environment.
import { join } from 'node:path';
import { LocalBackend, S3Backend, type TerraformStack } from 'cdktf';
import { PROJECT, type ResolvedEnvironment } from '../config/schema';

export interface StateBackendOptions {
  /** Local state regardless of config (the emulator rehearsal). */
  readonly forceLocal?: boolean;
}

export function stateKey(keyPrefix: string, environmentName: string, stackName: string): string {
  return `${keyPrefix}/${environmentName}/${stackName}.tfstate`;
}

export function configureStateBackend(stack: TerraformStack, environment: ResolvedEnvironment, stackName: string, options: StateBackendOptions = {}): void {
  const backend = environment.stateBackend;
  if (backend.kind === 'local' || options.forceLocal) {
    const directory = backend.kind === 'local' ? backend.directory : undefined;
    new LocalBackend(stack, directory ? { path: join(directory, `terraform.${stackName}.tfstate`) } : {});
    return;
  }
  const s3 = new S3Backend(stack, {
    bucket: backend.bucket,
    key: stateKey(backend.keyPrefix ?? PROJECT, environment.name, stackName),
    region: backend.region ?? environment.aws?.region,
    encrypt: true,
  });
  // S3-native state locking (Terraform >= 1.10); the cdktf 0.21 binding does not know the field yet.
  s3.addOverride('use_lockfile', true);
}
