#!/usr/bin/env bash
# Prints, as KEY=VALUE lines, where the local cluster's pieces are (read by the Kubernetes tests and the demo).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
echo "kubeconfig=$K8S_KUBECONFIG"
echo "context=$K8S_CONTEXT"
echo "kubectl=$K8S_BIN_DIR/kubectl"
echo "kubectl.cache=$K8S_KUBECTL_CACHE"
echo "nodes=${K8S_NODES[*]}"
echo "zones=$(for n in "${K8S_NODES[@]}"; do printf '%s ' "${K8S_NODE_ZONE[$n]}"; done | sed 's/ $//')"
echo "image.debian=$IMAGE_DEBIAN"
echo "image.jre=$IMAGE_JRE"
echo "image.kafka=$IMAGE_KAFKA"
echo "image.zookeeper=$IMAGE_ZOOKEEPER"
echo "image.node=$IMAGE_NODE"
echo "image.pause=$IMAGE_PAUSE"
echo "kafka.version=$KAFKA_VERSION_FOR_IMAGE"
echo "zookeeper.version=$ZOOKEEPER_VERSION_FOR_IMAGE"
echo "state=$K8S_STATE_DIR"
