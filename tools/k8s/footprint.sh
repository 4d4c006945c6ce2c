#!/usr/bin/env bash
# Memory of the running local cluster: the proportional set size (PSS, shared pages split between their users) of
# every process of it (control plane, node daemons, shims and containers), summed, with the top entries by command.
# Usage: tools/k8s/footprint.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
[ -e "/run/netns/$K8S_HUB_NETNS" ] || k8s_die "the cluster is not up"
pids() {
  local ns node h
  for ns in "$K8S_HUB_NETNS" $(for n in "${K8S_NODES[@]}"; do node_netns "$n"; done); do ip netns pids "$ns"; done
  for node in "${K8S_NODES[@]}"; do
    h="/sys/fs/cgroup/memory$(node_cgroup_root "$node")"
    [ -d "$h" ] && find "$h" -name cgroup.procs -exec cat {} +
  done
  return 0
}
# Children of the listed processes (containers run in pod namespaces below the shims).
all="$(pids | sort -un)"
for pid in $all; do all+=" $(pgrep -P "$pid" | tr '\n' ' ' || true)"; done
samples="$(for pid in $(echo "$all" | tr ' ' '\n' | sort -un); do
  [ -r "/proc/$pid/smaps_rollup" ] || continue
  pss="$(awk '/^Pss:/ { print $2 }' "/proc/$pid/smaps_rollup" 2>/dev/null || true)"
  [ -n "$pss" ] && echo "$pss $(cat "/proc/$pid/comm" 2>/dev/null)"
done)"
# The total first, then the top commands (sorted apart, so the total line is never cut off).
echo "$samples" | awk '{ total += $1 } END { printf "cluster PSS: %.0f MiB\n", total / 1024 }'
echo "$samples" | awk '{ by[$2] += $1 } END { for (c in by) printf "%8.0f MiB  %s\n", by[c] / 1024, c }' | sort -k1,1 -rn | head -15
