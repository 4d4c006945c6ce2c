#!/usr/bin/env bash
# The local cluster's network. `up`: a control-plane namespace holding a bridge, one namespace per node with a veth
# on that bridge, and one veth for the host, with routes so the host reaches node addresses, pod addresses (each
# node owns a /24 of the pod range) and Service addresses (through node 1's kube-proxy). `down`: deletes them;
# routes and veths go with their namespaces. Nothing on the host changes but one veth and its routes.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bridge=airline-br
in_ns() { local ns="$1"; shift; nsenter --net="/run/netns/$ns" "$@"; }

up() {
  ip netns add "$K8S_HUB_NETNS"
  ip -n "$K8S_HUB_NETNS" link set lo up
  ip -n "$K8S_HUB_NETNS" link add "$bridge" type bridge
  ip -n "$K8S_HUB_NETNS" addr add "$K8S_API_ADDRESS/24" dev "$bridge"
  ip -n "$K8S_HUB_NETNS" link set "$bridge" up
  in_ns "$K8S_HUB_NETNS" sysctl -qw net.ipv4.ip_forward=1

  local node ns peer other
  for node in "${K8S_NODES[@]}"; do
    ns="$(node_netns "$node")"; peer="veth-${node#airline-}"
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip link add "$peer" netns "$K8S_HUB_NETNS" type veth peer name eth0 netns "$ns"
    ip -n "$K8S_HUB_NETNS" link set "$peer" master "$bridge" up
    ip -n "$ns" addr add "$(node_address "$node")/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" route add default via "$K8S_API_ADDRESS"
    in_ns "$ns" sysctl -qw net.ipv4.ip_forward=1
    # Pods on one node bridge reaching a Service backed by a pod on the same bridge go through kube-proxy's rules.
    in_ns "$ns" sysctl -qw net.bridge.bridge-nf-call-iptables=1 2>/dev/null || k8s_log "bridge netfilter sysctl unavailable in $ns"
    ip -n "$K8S_HUB_NETNS" route add "$(node_pod_cidr "$node")" via "$(node_address "$node")"
  done
  for node in "${K8S_NODES[@]}"; do
    for other in "${K8S_NODES[@]}"; do
      [ "$other" = "$node" ] && continue
      ip -n "$(node_netns "$node")" route add "$(node_pod_cidr "$other")" via "$(node_address "$other")"
    done
  done
  ip -n "$K8S_HUB_NETNS" route add "$K8S_SERVICE_CIDR" via "$(node_address "${K8S_NODES[0]}")"

  ip link add "$K8S_HOST_VETH" type veth peer name veth-host netns "$K8S_HUB_NETNS"
  ip -n "$K8S_HUB_NETNS" link set veth-host master "$bridge" up
  ip addr add "$K8S_HOST_ADDRESS/24" dev "$K8S_HOST_VETH"
  ip link set "$K8S_HOST_VETH" up
  for node in "${K8S_NODES[@]}"; do ip route add "$(node_pod_cidr "$node")" via "$(node_address "$node")" dev "$K8S_HOST_VETH"; done
  ip route add "$K8S_SERVICE_CIDR" via "$(node_address "${K8S_NODES[0]}")" dev "$K8S_HOST_VETH"
}

down() {
  local ns
  ip link del "$K8S_HOST_VETH" 2>/dev/null || true
  for ns in "$K8S_HUB_NETNS" $(for n in "${K8S_NODES[@]}"; do node_netns "$n"; done); do
    ip netns del "$ns" 2>/dev/null || true
  done
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) k8s_die "usage: network.sh up|down" ;;
esac
