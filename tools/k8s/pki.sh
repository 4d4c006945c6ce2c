#!/usr/bin/env bash
# Certificates and kubeconfigs of the local cluster, made fresh for each cluster: kubeadm's certificate and
# kubeconfig phases (the cluster CA, the API server's serving and kubelet-client certificates, the front proxy for
# aggregated APIs such as metrics-server, the service-account key pair), one client kubeconfig per component and
# per node, and per-node kubelet serving certificates signed by the cluster CA (so the API server and
# metrics-server verify the kubelets instead of skipping verification).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
pki="$K8S_STATE_DIR/pki"
kubeadm="$K8S_BIN_DIR/kubeadm"
mkdir -p "$pki"
config="$K8S_STATE_DIR/kubeadm.yaml"
cat > "$config" <<YAML
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint: { advertiseAddress: $K8S_API_ADDRESS, bindPort: 6443 }
nodeRegistration: { name: airline-control-plane }
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: $K8S_VERSION
clusterName: $K8S_CLUSTER_NAME
controlPlaneEndpoint: "$K8S_API_ADDRESS:6443"
certificatesDir: $pki
networking: { serviceSubnet: $K8S_SERVICE_CIDR, podSubnet: $K8S_POD_CIDR, dnsDomain: $K8S_CLUSTER_DOMAIN }
apiServer: { certSANs: ["$K8S_API_ADDRESS"] }
YAML
for cert in ca apiserver apiserver-kubelet-client front-proxy-ca front-proxy-client sa; do
  "$kubeadm" init phase certs "$cert" --config "$config" >/dev/null
done
"$kubeadm" init phase kubeconfig admin --config "$config" --kubeconfig-dir "$K8S_STATE_DIR" >/dev/null
"$kubeadm" init phase kubeconfig super-admin --config "$config" --kubeconfig-dir "$K8S_STATE_DIR" >/dev/null
"$kubeadm" init phase kubeconfig controller-manager --config "$config" --kubeconfig-dir "$K8S_STATE_DIR" >/dev/null
"$kubeadm" init phase kubeconfig scheduler --config "$config" --kubeconfig-dir "$K8S_STATE_DIR" >/dev/null
# admin.conf is bound to kubeadm:cluster-admins, a group kubeadm binds only during init: use the super-admin
# identity (system:masters) as the cluster's admin kubeconfig, under the project's context name.
"$K8S_BIN_DIR/kubectl" --kubeconfig "$K8S_STATE_DIR/super-admin.conf" config rename-context \
  "$(KUBECONFIG="$K8S_STATE_DIR/super-admin.conf" "$K8S_BIN_DIR/kubectl" config current-context)" "$K8S_CONTEXT" >/dev/null
cp "$K8S_STATE_DIR/super-admin.conf" "$K8S_KUBECONFIG"
rm -f "$K8S_STATE_DIR/admin.conf" "$K8S_STATE_DIR/super-admin.conf"
chmod 0600 "$K8S_KUBECONFIG"

user_kubeconfig() { # file client-name [org]
  local args=(--config "$config" --client-name "$2")
  [ -n "${3:-}" ] && args+=(--org "$3")
  "$kubeadm" kubeconfig user "${args[@]}" > "$1" 2>/dev/null
  chmod 0600 "$1"
}
for node in "${K8S_NODES[@]}"; do
  dir="$(node_dir "$node")"
  mkdir -p "$dir/pki"
  user_kubeconfig "$dir/kubelet.kubeconfig" "system:node:$node" system:nodes
  user_kubeconfig "$dir/kube-proxy.kubeconfig" system:kube-proxy
  # The kubelet's serving certificate: its node name and address, signed by the cluster CA.
  openssl req -new -newkey rsa:2048 -nodes -subj "/O=system:nodes/CN=system:node:$node" \
    -keyout "$dir/pki/kubelet.key" -out "$dir/pki/kubelet.csr" 2>/dev/null
  printf 'subjectAltName=DNS:%s,IP:%s\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n' \
    "$node" "$(node_address "$node")" > "$dir/pki/kubelet.ext"
  openssl x509 -req -in "$dir/pki/kubelet.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 30 -sha256 -extfile "$dir/pki/kubelet.ext" -out "$dir/pki/kubelet.crt" 2>/dev/null
  chmod 0600 "$dir/pki/kubelet.key"
done

# metrics-server's serving certificate, so the aggregated metrics API is verified with the cluster CA.
openssl req -new -newkey rsa:2048 -nodes -subj "/CN=metrics-server.kube-system.svc" \
  -keyout "$pki/metrics-server.key" -out "$pki/metrics-server.csr" 2>/dev/null
printf 'subjectAltName=DNS:metrics-server.kube-system.svc,DNS:metrics-server.kube-system.svc.%s\nextendedKeyUsage=serverAuth\n' \
  "$K8S_CLUSTER_DOMAIN" > "$pki/metrics-server.ext"
openssl x509 -req -in "$pki/metrics-server.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
  -days 30 -sha256 -extfile "$pki/metrics-server.ext" -out "$pki/metrics-server.crt" 2>/dev/null
