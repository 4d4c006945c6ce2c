#!/usr/bin/env bash
# Writes one node's configuration under its directory: containerd (own root, state and socket; the local pause
# image; images never pulled nor collected), its CNI network (a bridge and host-local addresses from the node's /24),
# the kubelet (cgroupfs driver under a cgroup root of its own, cluster DNS, certificates signed by the cluster CA,
# image garbage collection off) and kube-proxy (iptables mode).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
node="${1:?usage: node-config.sh NODE}"
dir="$(node_dir "$node")"
root="$(node_containerd_root "$node")"
socket="$(node_containerd_socket "$node")"
mkdir -p "$dir/cni" "$dir/kubelet" "$dir/local-path" "$dir/cni-ipam" "$root" "$(dirname "$socket")"

cat > "$dir/containerd.toml" <<TOML
version = 2
root = "$root"
state = "$K8S_RUN_DIR/$node/containerd-state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "$socket"
[ttrpc]
  address = "$socket.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$root/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$IMAGE_PAUSE"
  disable_apparmor = true
  restrict_oom_score_adj = true
  enable_unprivileged_ports = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    discard_unpacked_layers = false
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$dir/cni"
    max_conf_num = 1
TOML

cat > "$dir/cni/10-airline.conflist" <<JSON
{
  "cniVersion": "0.4.0",
  "name": "airline-pods",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "cni0",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$dir/cni-ipam",
        "ranges": [[{ "subnet": "$(node_pod_cidr "$node")" }]],
        "routes": [{ "dst": "0.0.0.0/0" }]
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
JSON

: > "$dir/resolv.conf"   # no upstream DNS here: pods get the cluster DNS only
cat > "$dir/kubelet.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $(node_address "$node")
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
containerRuntimeEndpoint: unix://$socket
cgroupDriver: cgroupfs
cgroupRoot: $(node_cgroup_root "$node")
cgroupsPerQOS: true
failSwapOn: false
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: true }
  x509: { clientCAFile: $K8S_STATE_DIR/pki/ca.crt }
authorization: { mode: Webhook }
tlsCertFile: $dir/pki/kubelet.crt
tlsPrivateKeyFile: $dir/pki/kubelet.key
clusterDNS: [$K8S_DNS_ADDRESS]
clusterDomain: $K8S_CLUSTER_DOMAIN
resolvConf: $dir/resolv.conf
# The images are built here and cannot be pulled again: never collect them.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
# Three nodes share one machine: each offers a third of its memory.
systemReserved: { memory: 16Gi }
evictionHard: { memory.available: 200Mi, nodefs.available: 5%, imagefs.available: 5% }
serializeImagePulls: false
maxPods: 60
volumePluginDir: $dir/kubelet-plugins
podLogsDir: $dir/pod-logs
YAML

cat > "$dir/kube-proxy.yaml" <<YAML
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: { kubeconfig: $dir/kube-proxy.kubeconfig }
mode: iptables
clusterCIDR: $K8S_POD_CIDR
bindAddress: $(node_address "$node")
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
nodePortAddresses: ["$(node_address "$node")/32"]
# Connection-tracking table sizes are machine-wide: leave them as they are.
conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s }
YAML
