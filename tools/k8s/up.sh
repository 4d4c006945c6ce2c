#!/usr/bin/env bash
# `npm run k8s:up`: a real three-node Kubernetes cluster on this machine, from what build.sh made (it runs build.sh
# first; a warm run only checks). Control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler) in
# one network namespace; three nodes, each a network namespace + mount namespace with its own containerd, kubelet and
# kube-proxy; the NetworkPolicy agent (kube-network-policies) on each node, CoreDNS, the local-path provisioner (default StorageClass) and metrics-server
# as pods. Exits 0 only when every node is Ready and a pod resolved a Service by DNS, reached it through kube-proxy
# and wrote to a dynamically provisioned volume. Last line: kubeconfig=PATH context=NAME.
# A cluster already up and healthy is left as it is. `npm run k8s:down` removes everything this made.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
started=$(date +%s%N)
elapsed() { echo "$(( ($(date +%s%N) - started) / 1000000 ))ms"; }
[ "$(id -u)" = 0 ] || k8s_die "k8s:up needs root (network namespaces, mounts, cgroups)"

# --- packages and builds ---
missing=()
for pkg in "${K8S_APT_PACKAGES[@]}"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
if [ "${#missing[@]}" -gt 0 ]; then
  k8s_log "installing Debian packages: ${missing[*]}"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
bash "$K8S_TOOLS_DIR/build.sh" >&2

print_result() { echo "kubeconfig=$K8S_KUBECONFIG context=$K8S_CONTEXT"; }

if [ -e "/run/netns/$K8S_HUB_NETNS" ]; then
  if kubectl_admin get --raw /readyz >/dev/null 2>&1 && bash "$K8S_TOOLS_DIR/wait-ready.sh" --quick; then
    k8s_log "cluster already up"; print_result; exit 0
  fi
  k8s_log "a previous cluster is half up: taking it down first"
  bash "$K8S_TOOLS_DIR/down.sh" >&2
fi
trap 'status=$?; if [ "$status" != 0 ]; then k8s_log "k8s:up failed (exit $status); logs under $K8S_STATE_DIR (kept until npm run k8s:down)"; fi' EXIT

mkdir -p "$K8S_STATE_DIR/logs" "$K8S_RUN_DIR/pids"
# What up creates on the host outside its own directories, noted so down removes exactly that.
for path in "${K8S_NODE_PRIVATE_DIRS[@]}"; do
  [ -d "$path" ] || { mkdir -p "$path"; echo "$path" >> "$K8S_RUN_DIR/created-dirs"; }
done
mountpoint -q /run/netns || touch "$K8S_RUN_DIR/created-run-netns"   # `ip netns add` mounts it

# --- certificates and kubeconfigs (kubeadm's phases; nothing else of kubeadm runs) ---
bash "$K8S_TOOLS_DIR/pki.sh" >&2
k8s_log "pki ready ($(elapsed))"

# --- network ---
bash "$K8S_TOOLS_DIR/network.sh" up >&2
k8s_log "network ready ($(elapsed))"

# --- control plane ---
in_hub() { nsenter --net="/run/netns/$K8S_HUB_NETNS" "$@"; }
daemon() { # name command... : runs detached in the control-plane namespace, output to logs/NAME.log
  local name="$1"; shift
  in_hub setsid "$@" >"$K8S_STATE_DIR/logs/$name.log" 2>&1 < /dev/null &
  echo $! > "$K8S_RUN_DIR/pids/$name.pid"
}
pki="$K8S_STATE_DIR/pki"
daemon etcd etcd --name airline --data-dir "$K8S_STATE_DIR/etcd" \
  --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
  --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
  --initial-cluster airline=http://127.0.0.1:2380 --listen-metrics-urls '' --quota-backend-bytes 1073741824 \
  --snapshot-count 10000
daemon kube-apiserver "$K8S_BIN_DIR/kube-apiserver" \
  --advertise-address "$K8S_API_ADDRESS" --bind-address "$K8S_API_ADDRESS" --secure-port 6443 \
  --etcd-servers http://127.0.0.1:2379 \
  --service-cluster-ip-range "$K8S_SERVICE_CIDR" --service-node-port-range 30000-32767 \
  --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
  --allow-privileged=true \
  --client-ca-file "$pki/ca.crt" \
  --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
  --kubelet-client-certificate "$pki/apiserver-kubelet-client.crt" --kubelet-client-key "$pki/apiserver-kubelet-client.key" \
  --kubelet-certificate-authority "$pki/ca.crt" --kubelet-preferred-address-types InternalIP \
  --service-account-issuer "https://kubernetes.default.svc.$K8S_CLUSTER_DOMAIN" \
  --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
  --proxy-client-cert-file "$pki/front-proxy-client.crt" --proxy-client-key-file "$pki/front-proxy-client.key" \
  --requestheader-client-ca-file "$pki/front-proxy-ca.crt" --requestheader-allowed-names front-proxy-client \
  --requestheader-extra-headers-prefix X-Remote-Extra- --requestheader-group-headers X-Remote-Group \
  --requestheader-username-headers X-Remote-User --enable-aggregator-routing=true \
  --profiling=false --v=1
for _ in $(seq 1 600); do kubectl_admin get --raw /readyz >/dev/null 2>&1 && break; sleep 0.1; done
kubectl_admin get --raw /readyz >/dev/null || k8s_die "kube-apiserver is not ready (log: $K8S_STATE_DIR/logs/kube-apiserver.log)"
k8s_log "kube-apiserver ready ($(elapsed))"
daemon kube-controller-manager "$K8S_BIN_DIR/kube-controller-manager" \
  --kubeconfig "$K8S_STATE_DIR/controller-manager.conf" \
  --authentication-kubeconfig "$K8S_STATE_DIR/controller-manager.conf" \
  --authorization-kubeconfig "$K8S_STATE_DIR/controller-manager.conf" \
  --bind-address 127.0.0.1 --leader-elect=false --use-service-account-credentials=true \
  --cluster-signing-cert-file "$pki/ca.crt" --cluster-signing-key-file "$pki/ca.key" \
  --root-ca-file "$pki/ca.crt" --service-account-private-key-file "$pki/sa.key" \
  --service-cluster-ip-range "$K8S_SERVICE_CIDR" --cluster-cidr "$K8S_POD_CIDR" --allocate-node-cidrs=false \
  --controllers '*,-cloud-node-lifecycle' --profiling=false --v=1
daemon kube-scheduler "$K8S_BIN_DIR/kube-scheduler" --kubeconfig "$K8S_STATE_DIR/scheduler.conf" \
  --authentication-kubeconfig "$K8S_STATE_DIR/scheduler.conf" --authorization-kubeconfig "$K8S_STATE_DIR/scheduler.conf" \
  --bind-address 127.0.0.1 --leader-elect=false --profiling=false --v=1

# --- nodes ---
for node in "${K8S_NODES[@]}"; do
  bash "$K8S_TOOLS_DIR/node-config.sh" "$node"
  mkdir -p "$K8S_RUN_DIR/$node" "$(node_dir "$node")/logs"
  rm -f "$K8S_RUN_DIR/$node/"*.ready
  setsid nsenter --net="/run/netns/$(node_netns "$node")" unshare --mount --propagation slave \
    bash "$K8S_TOOLS_DIR/node-run.sh" "$node" >"$(node_dir "$node")/logs/node-run.log" 2>&1 < /dev/null &
  echo $! > "$K8S_RUN_DIR/pids/node-$node.pid"
done
for node in "${K8S_NODES[@]}"; do
  for _ in $(seq 1 100); do [ -f "$K8S_RUN_DIR/$node/containerd.ready" ] && break; sleep 0.1; done
  [ -f "$K8S_RUN_DIR/$node/containerd.ready" ] || k8s_die "containerd of $node did not start (log: $(node_dir "$node")/logs)"
done
# One loader per node in parallel; an image already in a node's store with the same digest is skipped.
pids=()
for node in "${K8S_NODES[@]}"; do bash "$K8S_TOOLS_DIR/load-images.sh" "$node" & pids+=($!); done
for pid in "${pids[@]}"; do wait "$pid" || k8s_die "loading images failed"; done
for node in "${K8S_NODES[@]}"; do touch "$K8S_RUN_DIR/$node/images.ready"; done
k8s_log "nodes started, images loaded ($(elapsed))"

# --- add-ons: CoreDNS, local-path provisioner (default StorageClass), metrics-server ---
bash "$K8S_TOOLS_DIR/addons.sh" | kubectl_admin apply --server-side --force-conflicts -f - >/dev/null
k8s_log "add-ons applied ($(elapsed))"

bash "$K8S_TOOLS_DIR/wait-ready.sh"
k8s_log "cluster ready in $(elapsed)"
print_result
