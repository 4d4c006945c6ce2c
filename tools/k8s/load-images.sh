#!/usr/bin/env bash
# Loads the locally built images into one node's containerd (namespace k8s.io, where the kubelet looks). An image
# already there with the same manifest digest is skipped, so a warm k8s:up loads nothing.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
node="${1:?usage: load-images.sh NODE}"
ctr_node() { ctr --address "$(node_containerd_socket "$node")" --namespace k8s.io "$@"; }
loaded=0
for name in "${ALL_IMAGES[@]}"; do
  archive="$(image_archive "$name")"
  want="$(cat "$archive.digest")"
  have="$(ctr_node images ls "name==$name" 2>/dev/null | awk 'NR > 1 { print $3 }')"
  [ "$have" = "$want" ] && continue
  ctr_node images import --snapshotter overlayfs "$archive" >/dev/null || k8s_die "import of $name into $node failed"
  loaded=$((loaded + 1))
done
k8s_log "$node: $loaded of ${#ALL_IMAGES[@]} images loaded, the rest were there"
