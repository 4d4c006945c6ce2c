# Shared settings for the tools/k8s scripts (the local Kubernetes cluster). Source it; it defines pinned versions,
# paths and small helpers only. Builds land under the cache directory, outside the repository, so warm runs reuse
# them; the running cluster's state lives under $K8S_STATE_DIR and is removed by down.sh.

K8S_TOOLS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$K8S_TOOLS_DIR/../.." && pwd)"
AIRLINE_CACHE_DIR="${AIRLINE_CACHE_DIR:-$HOME/.cache/airline-streaming}"

# --- pinned versions (one place) ---
K8S_VERSION=v1.33.13            # the EKS version in config (1.33); every k8s.io staging module at v0.33.13
K8S_STAGING_VERSION=v0.33.13
COREDNS_VERSION=v1.12.4
LOCAL_PATH_PROVISIONER_VERSION=v0.0.30
METRICS_SERVER_VERSION=v0.8.0
KUBE_NETWORK_POLICIES_VERSION=v0.8.0
DEBIAN_SUITE=bookworm
# Debian packages the cluster's nodes run on (containerd + runc + CNI plugins + iptables/nftables + etcd), and the
# image tools (mmdebstrap builds the images' root filesystems; catatonit is the pause process).
K8S_APT_PACKAGES=(containerd runc containernetworking-plugins iptables nftables conntrack etcd-server mmdebstrap
  catatonit socat iproute2 time openssl netcat-openbsd)

# --- derived paths ---
K8S_CACHE_DIR="$AIRLINE_CACHE_DIR/k8s"
K8S_BIN_DIR="$K8S_CACHE_DIR/bin/$K8S_VERSION"
K8S_ADDON_BIN_DIR="$K8S_CACHE_DIR/bin/addons"
K8S_IMAGE_DIR="$K8S_CACHE_DIR/images"
K8S_BUILD_DIR="$K8S_CACHE_DIR/build"
K8S_LOG_DIR="$K8S_CACHE_DIR/logs"
K8S_STATE_DIR="${AIRLINE_K8S_STATE_DIR:-/var/lib/airline-k8s}"

source "$K8S_TOOLS_DIR/../go-env.sh"

k8s_log() { printf '[k8s/%s] %s\n' "$(basename "$0" .sh)" "$*" >&2; }
k8s_die() { k8s_log "ERROR: $*"; exit 1; }

# --- images (built here, never pulled: there is no registry) ---
K8S_IMAGE_PREFIX=localhost/airline
KAFKA_VERSION_FOR_IMAGE=3.9.2
ZOOKEEPER_VERSION_FOR_IMAGE=3.8.4
IMAGE_PAUSE="$K8S_IMAGE_PREFIX/pause:3.10"
IMAGE_DEBIAN="$K8S_IMAGE_PREFIX/debian:$DEBIAN_SUITE"
IMAGE_JRE="$K8S_IMAGE_PREFIX/jre:17-$DEBIAN_SUITE"
IMAGE_KAFKA="$K8S_IMAGE_PREFIX/kafka:$KAFKA_VERSION_FOR_IMAGE"
IMAGE_ZOOKEEPER="$K8S_IMAGE_PREFIX/zookeeper:$ZOOKEEPER_VERSION_FOR_IMAGE"
IMAGE_NODE="$K8S_IMAGE_PREFIX/node:20"
IMAGE_COREDNS="$K8S_IMAGE_PREFIX/coredns:$COREDNS_VERSION"
IMAGE_METRICS_SERVER="$K8S_IMAGE_PREFIX/metrics-server:$METRICS_SERVER_VERSION"
IMAGE_LOCAL_PATH_PROVISIONER="$K8S_IMAGE_PREFIX/local-path-provisioner:$LOCAL_PATH_PROVISIONER_VERSION"
IMAGE_NETWORK_POLICIES="$K8S_IMAGE_PREFIX/kube-network-policies:$KUBE_NETWORK_POLICIES_VERSION"
# The uid the Kafka, ZooKeeper and Node images run as (the official images use 1000 too).
IMAGE_APP_UID=1000
# One archive per image under $K8S_IMAGE_DIR, named after the image.
image_archive() { local name="${1#"$K8S_IMAGE_PREFIX"/}"; echo "$K8S_IMAGE_DIR/${name//:/_}.oci.tar"; }
ALL_IMAGES=("$IMAGE_PAUSE" "$IMAGE_DEBIAN" "$IMAGE_JRE" "$IMAGE_KAFKA" "$IMAGE_ZOOKEEPER" "$IMAGE_NODE"
  "$IMAGE_COREDNS" "$IMAGE_METRICS_SERVER" "$IMAGE_LOCAL_PATH_PROVISIONER" "$IMAGE_NETWORK_POLICIES")

# --- the running cluster: names and addresses (one place; down.sh and the tests read the same) ---
K8S_CLUSTER_NAME=airline-local
K8S_CONTEXT=airline-local
K8S_NODES=(airline-n1 airline-n2 airline-n3)
# One zone per node, so the placement rules of the AWS environments (one broker per node, zones balanced) run here.
declare -A K8S_NODE_ZONE=([airline-n1]=local-a [airline-n2]=local-b [airline-n3]=local-c)
declare -A K8S_NODE_INDEX=([airline-n1]=1 [airline-n2]=2 [airline-n3]=3)
# The control plane runs in its own network namespace behind a bridge; each node has its own namespace with one
# veth on that bridge; the host gets one veth too (the only host change, gone with down.sh).
K8S_HUB_NETNS=airline-k8s-cp
K8S_NODE_NET=10.213.0             # /24: .1 control plane, .1N node N, .254 the host
K8S_API_ADDRESS="$K8S_NODE_NET.1"
K8S_HOST_ADDRESS="$K8S_NODE_NET.254"
K8S_HOST_VETH=airline-k8s0
K8S_POD_CIDR=10.244.0.0/16        # node N owns 10.244.N.0/24
K8S_SERVICE_CIDR=10.96.0.0/16
K8S_DNS_ADDRESS=10.96.0.10
K8S_CLUSTER_DOMAIN=cluster.local
K8S_KUBECONFIG="$K8S_STATE_DIR/admin.kubeconfig"
K8S_RUN_DIR=/run/airline-k8s

node_address() { echo "$K8S_NODE_NET.1${K8S_NODE_INDEX[$1]}"; }
node_pod_cidr() { echo "10.244.${K8S_NODE_INDEX[$1]}.0/24"; }
node_netns() { echo "airline-k8s-${1#airline-}"; }
node_dir() { echo "$K8S_STATE_DIR/nodes/$1"; }
# containerd's root (its image store) outlives the cluster so a warm k8s:up does not re-import the images.
node_containerd_root() { echo "$K8S_CACHE_DIR/containerd/$1"; }
node_containerd_socket() { echo "$K8S_RUN_DIR/$1/containerd.sock"; }
node_cgroup_root() { echo "/$1"; }
K8S_KUBECTL_CACHE="$K8S_STATE_DIR/kubectl-cache"   # not ~/.kube: nothing of the cluster outlives k8s:down
kubectl_admin() { "$K8S_BIN_DIR/kubectl" --kubeconfig "$K8S_KUBECONFIG" --cache-dir "$K8S_KUBECTL_CACHE" "$@"; }
# Fixed host paths a kubelet, containerd or CNI uses whatever it is configured with. Each node mounts a tmpfs of its
# own on them (they are not shared between nodes); up.sh creates the missing ones and down.sh removes what it created.
K8S_NODE_PRIVATE_DIRS=(/run/containerd /var/lib/kubelet /var/lib/cni /var/log/containers /var/log/pods)
