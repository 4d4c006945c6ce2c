#!/usr/bin/env bash
# One node of the local cluster, started by up.sh inside the node's network namespace and a mount namespace of its
# own: runs containerd, the kubelet and kube-proxy, and waits. Every mount the node makes
# (pod volumes, container root filesystems, pod network namespaces) stays in its mount namespace, so none outlives it.
# Usage (from up.sh): nsenter --net=/run/netns/NETNS unshare --mount --propagation slave node-run.sh NODE
set -euo pipefail
source "$(dirname "$0")/lib.sh"
node="${1:?usage: node-run.sh NODE}"
dir="$(node_dir "$node")"
run="$K8S_RUN_DIR/$node"
mkdir -p "$run" "$dir/logs"

# Mounts made here propagate to this node's own mounts (kubelet needs shared propagation) but never to the host.
mount --make-rshared /
# Pod network namespaces, containerd's shim sockets, the kubelet's device-plugin socket, CNI's result cache and
# the container log links are at fixed paths: each node gets its own tmpfs there, gone when the node stops.
mount -t tmpfs -o mode=0755 airline-netns /run/netns
for path in "${K8S_NODE_PRIVATE_DIRS[@]}"; do
  mount -t tmpfs -o mode=0755 "airline-${path//\//-}" "$path"
done

start() { # name command...
  local name="$1"; shift
  "$@" >"$dir/logs/$name.log" 2>&1 &
  echo $! > "$run/$name.pid"
}

start containerd containerd --config "$dir/containerd.toml"
for _ in $(seq 1 100); do [ -S "$(node_containerd_socket "$node")" ] && break; sleep 0.1; done
[ -S "$(node_containerd_socket "$node")" ] || { echo "containerd of $node did not open its socket" >&2; exit 1; }
touch "$run/containerd.ready"

# The images are loaded by up.sh (through the socket) before it lets the kubelet go on.
for _ in $(seq 1 1800); do [ -f "$run/images.ready" ] && break; sleep 0.1; done
[ -f "$run/images.ready" ] || { echo "images for $node were not loaded in time" >&2; exit 1; }

# The kubelet runs pods under a cgroup root of this node's own, which must exist in every v1 hierarchy.
cgroup="$(node_cgroup_root "$node")"
for hierarchy in /sys/fs/cgroup/*/; do
  mkdir -p "$hierarchy${cgroup#/}"
done
# A new v1 cpuset starts with no CPUs or memory nodes: give it its parent's.
cat /sys/fs/cgroup/cpuset/cpuset.cpus > "/sys/fs/cgroup/cpuset$cgroup/cpuset.cpus"
cat /sys/fs/cgroup/cpuset/cpuset.mems > "/sys/fs/cgroup/cpuset$cgroup/cpuset.mems"

start kubelet "$K8S_BIN_DIR/kubelet" --config "$dir/kubelet.yaml" --kubeconfig "$dir/kubelet.kubeconfig" \
  --root-dir "$dir/kubelet" --cert-dir "$dir/pki" \
  --hostname-override "$node" --node-ip "$(node_address "$node")" \
  --node-labels "topology.kubernetes.io/zone=${K8S_NODE_ZONE[$node]},topology.kubernetes.io/region=local,airline.io/local-node=true" \
  --v=1
start kube-proxy "$K8S_BIN_DIR/kube-proxy" --config "$dir/kube-proxy.yaml" --hostname-override "$node" --v=1
wait -n || true
echo "a daemon of $node exited; see $dir/logs" >&2
