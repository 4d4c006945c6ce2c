#!/usr/bin/env bash
# `npm run k8s:down`: stops the local cluster and removes everything k8s:up made: every process (control plane,
# node daemons, container shims and the containers' processes), the cgroups, mounts, network namespaces, the host
# veth and its routes, and the state directory. The cache (binaries, images, the nodes' image stores) stays.
# Safe to run when nothing is up.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || k8s_die "k8s:down needs root"

# Every process of the cluster: those in its network namespaces, their descendants (containers live in pod
# namespaces below the shims) and whatever is left in the nodes' cgroups.
cluster_pids() {
  local ns node controller
  {
    for ns in "$K8S_HUB_NETNS" $(for n in "${K8S_NODES[@]}"; do node_netns "$n"; done); do
      [ -e "/run/netns/$ns" ] && ip netns pids "$ns" 2>/dev/null
    done
    for node in "${K8S_NODES[@]}"; do
      for controller in pids memory; do
        [ -d "/sys/fs/cgroup/$controller$(node_cgroup_root "$node")" ] &&
          find "/sys/fs/cgroup/$controller$(node_cgroup_root "$node")" -name cgroup.procs -exec cat {} + 2>/dev/null
      done
    done
    cat "$K8S_RUN_DIR"/pids/*.pid 2>/dev/null || true
  } | sort -un
}
alive_pids() { local pid; for pid in $(cluster_pids); do [ -d "/proc/$pid" ] && echo "$pid"; done; return 0; }
descendants() { local pid; for pid in $(pgrep -P "$1" 2>/dev/null); do echo "$pid"; descendants "$pid"; done; }

stop_all() { # signal
  local pid all=()
  for pid in $(cluster_pids); do all+=("$pid"); mapfile -t -O "${#all[@]}" all < <(descendants "$pid"); done
  [ "${#all[@]}" = 0 ] && return 1
  kill "-$1" "${all[@]}" 2>/dev/null || true
  return 0
}
# The kubelets first (they would restart containers), then every container through its node's containerd, so the
# kept image stores hold no container records or snapshots of this cluster.
for node in "${K8S_NODES[@]}"; do
  [ -f "$K8S_RUN_DIR/$node/kubelet.pid" ] && kill -KILL "$(cat "$K8S_RUN_DIR/$node/kubelet.pid")" 2>/dev/null || true
done
for node in "${K8S_NODES[@]}"; do
  socket="$(node_containerd_socket "$node")"
  [ -S "$socket" ] || continue
  ctr_node() { timeout 20 ctr --address "$socket" --namespace k8s.io "$@"; }
  mapfile -t ids < <(ctr_node containers list --quiet 2>/dev/null || true)
  for id in "${ids[@]}"; do ctr_node tasks kill --signal SIGKILL "$id" >/dev/null 2>&1 || true; done
  for id in "${ids[@]}"; do
    ctr_node tasks delete --force "$id" >/dev/null 2>&1 || true
    ctr_node containers delete "$id" >/dev/null 2>&1 || true
  done
done

if stop_all TERM; then
  for _ in $(seq 1 50); do [ -z "$(alive_pids)" ] && break; sleep 0.2; done
fi
for _ in 1 2 3 4 5; do stop_all KILL || break; sleep 0.5; done
left="$(alive_pids | tr '\n' ' ')"
[ -z "$left" ] || k8s_log "WARNING: processes still running: $left"

# Cgroups the kubelets and runc made, deepest first.
for node in "${K8S_NODES[@]}"; do
  for hierarchy in /sys/fs/cgroup/*; do
    [ -d "$hierarchy$(node_cgroup_root "$node")" ] || continue
    find "$hierarchy$(node_cgroup_root "$node")" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
done

# Mounts: the nodes' own vanish with their mount namespaces; anything under the state or run directory that reached
# the host is unmounted here, deepest first.
for attempt in 1 2 3; do
  mapfile -t mounts < <(awk -v a="$K8S_STATE_DIR" -v b="$K8S_RUN_DIR" -v c="$K8S_CACHE_DIR/containerd" \
    'index($2, a) == 1 || index($2, b) == 1 || index($2, c) == 1 { print $2 }' /proc/mounts | sort -r)
  [ "${#mounts[@]}" = 0 ] && break
  for m in "${mounts[@]}"; do umount -l "$m" 2>/dev/null || true; done
done

bash "$K8S_TOOLS_DIR/network.sh" down
if [ -f "$K8S_RUN_DIR/created-dirs" ]; then
  while read -r path; do rm -rf "$path"; done < "$K8S_RUN_DIR/created-dirs"
fi
if [ -f "$K8S_RUN_DIR/created-run-netns" ] && [ -z "$(ls -A /run/netns 2>/dev/null)" ]; then
  umount /run/netns 2>/dev/null || true
  rmdir /run/netns 2>/dev/null || true
fi
rm -rf "$K8S_RUN_DIR" "$K8S_STATE_DIR"
k8s_log "cluster removed"
