import { Construct, type IConstruct } from 'constructs';
import { Aspects, TerraformResource, TerraformStack, type IAspect } from 'cdktf';
import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import { settingError } from '../../contracts/config-error';

export interface AppNamespaceProps {
  readonly name: string;
  readonly labels?: Record<string, string>;
}

/** Makes every Kubernetes resource of a stack wait for the namespace: created first, destroyed last. */
class NamespaceFirst implements IAspect {
  constructor(private readonly namespace: NamespaceV1) {}

  visit(node: IConstruct): void {
    if (!(node instanceof TerraformResource) || node === this.namespace) return;
    if (!node.terraformResourceType.startsWith('kubernetes_')) return;
    // depends_on takes a bare address (`type.name`), not an interpolation.
    const dependency = `${this.namespace.terraformResourceType}.${this.namespace.friendlyUniqueId}`;
    if (!(node.dependsOn ?? []).includes(dependency)) node.dependsOn = [...(node.dependsOn ?? []), dependency];
  }
}

/**
 * The namespace the streaming workloads live in, with the Pod Security level they all meet. `name` is the plain
 * name (so DNS names and content hashes never contain a Terraform reference); ordering comes from depends_on,
 * added to every Kubernetes resource of the stack.
 */
export class AppNamespace extends Construct {
  readonly name: string;
  readonly resource: NamespaceV1;

  constructor(scope: Construct, id: string, props: AppNamespaceProps) {
    super(scope, id);
    if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(props.name)) {
      throw settingError('AppNamespace.name', `"${props.name}" is not a DNS label`, 'use up to 63 lowercase letters, digits or dashes');
    }
    this.name = props.name;
    this.resource = new NamespaceV1(this, 'namespace', {
      metadata: {
        name: props.name,
        labels: {
          ...props.labels,
          // Every pod here runs as a non-root user without privileges or capabilities; enforce it.
          'pod-security.kubernetes.io/enforce': 'restricted',
        },
      },
    });
    Aspects.of(TerraformStack.of(this)).add(new NamespaceFirst(this.resource));
  }
}
