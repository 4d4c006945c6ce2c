#!/usr/bin/env bash
# Prints what of the host the local cluster could leave behind, one sorted section each: its processes, mounts,
# network namespaces, links, routes, nftables and iptables rules, the nodes' cgroups and the fixed paths the nodes
# use. A snapshot before `k8s:up` and one after `k8s:down` must be equal (test/k8s-run.ts compares them).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
section() { printf '== %s\n' "$1"; }
section processes
ps -eo comm= | grep -E '^(etcd|kube-|kubelet|containerd|runc|coredns|metrics-server|local-path-pro|netpol|catatonit)' | sort | uniq -c
section mounts
awk '{ print $2, $3 }' /proc/mounts | sort
section netns
ip netns list 2>/dev/null | sort
section links
ip -br link | awk '{ print $1 }' | sort
section routes
ip route | sort
section nftables
nft list ruleset 2>/dev/null
section iptables-legacy
iptables-legacy-save 2>/dev/null | grep -v '^#' | sed 's/\[[0-9:]*\]//'
section cgroups
for node in "${K8S_NODES[@]}"; do ls -d /sys/fs/cgroup/*"$(node_cgroup_root "$node")" 2>/dev/null; done
section paths
for path in "${K8S_NODE_PRIVATE_DIRS[@]}" /run/netns "$K8S_STATE_DIR" "$K8S_RUN_DIR" "$HOME/.kube"; do
  [ -e "$path" ] && echo "$path"
done
exit 0
