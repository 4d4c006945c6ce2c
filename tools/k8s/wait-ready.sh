#!/usr/bin/env bash
# Waits until the local cluster works: every node Ready, CoreDNS, the local-path provisioner and metrics-server
# available, then (unless --quick) runs one pod that resolves the kubernetes Service by DNS, connects to it through
# kube-proxy and writes to and reads from a dynamically provisioned volume. Exits non-zero naming what is not ready.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
quick=0; [ "${1:-}" = "--quick" ] && quick=1
timeout_s="${AIRLINE_K8S_READY_TIMEOUT:-180}"
k=(kubectl_admin)

deadline=$((SECONDS + timeout_s))
until [ "$("${k[@]}" get nodes --no-headers 2>/dev/null | wc -l)" -ge "${#K8S_NODES[@]}" ]; do
  [ "$SECONDS" -lt "$deadline" ] || k8s_die "only $("${k[@]}" get nodes --no-headers 2>/dev/null | wc -l) of ${#K8S_NODES[@]} nodes registered"
  sleep 0.5
done
"${k[@]}" wait --for=condition=Ready node --all --timeout="${timeout_s}s" >/dev/null 2>&1 || {
  "${k[@]}" get nodes >&2 || true; k8s_die "nodes not Ready within ${timeout_s}s"; }
nodes="$("${k[@]}" get nodes --no-headers 2>/dev/null | grep -cw Ready || true)"
[ "$nodes" = "${#K8S_NODES[@]}" ] || k8s_die "$nodes of ${#K8S_NODES[@]} nodes Ready"
for deployment in kube-system/coredns local-path-storage/local-path-provisioner kube-system/metrics-server; do
  "${k[@]}" -n "${deployment%%/*}" rollout status "deployment/${deployment#*/}" --timeout="${timeout_s}s" >/dev/null 2>&1 || {
    "${k[@]}" -n "${deployment%%/*}" get pods -o wide >&2 || true; k8s_die "$deployment not available"; }
done
"${k[@]}" -n kube-system rollout status daemonset/kube-network-policies --timeout="${timeout_s}s" >/dev/null 2>&1 ||
  k8s_die "the NetworkPolicy agent is not running on every node"
"${k[@]}" wait --for=condition=Available apiservice/v1beta1.metrics.k8s.io --timeout="${timeout_s}s" >/dev/null 2>&1 ||
  k8s_die "the metrics API (metrics-server) is not available"
[ "$quick" = 1 ] && exit 0

ns=airline-k8s-check
"${k[@]}" delete namespace "$ns" --ignore-not-found --wait=true >/dev/null
"${k[@]}" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Namespace
metadata: { name: $ns }
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: check, namespace: $ns }
spec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: 16Mi } } }
---
apiVersion: v1
kind: Pod
metadata: { name: check, namespace: $ns }
spec:
  restartPolicy: Never
  containers:
    - name: check
      image: $IMAGE_DEBIAN
      imagePullPolicy: Never
      command: [bash, -ec]
      args:
        - |
          getent hosts kubernetes.default.svc.$K8S_CLUSTER_DOMAIN
          nc -z -w 5 kubernetes.default.svc.$K8S_CLUSTER_DOMAIN 443
          echo volume-ok > /data/probe && cat /data/probe
      volumeMounts: [{ name: data, mountPath: /data }]
  volumes: [{ name: data, persistentVolumeClaim: { claimName: check } }]
YAML
if ! "${k[@]}" -n "$ns" wait --for=jsonpath='{.status.phase}'=Succeeded pod/check --timeout="${timeout_s}s" >/dev/null 2>&1; then
  "${k[@]}" -n "$ns" describe pod check >&2 || true
  "${k[@]}" -n "$ns" logs check >&2 || true
  k8s_die "the check pod (DNS, Service through kube-proxy, dynamic volume) did not succeed"
fi
[[ "$("${k[@]}" -n "$ns" logs check)" == *volume-ok* ]] || k8s_die "the check pod did not read back what it wrote"
"${k[@]}" delete namespace "$ns" --wait=false >/dev/null
k8s_log "DNS, Services and volumes work"
