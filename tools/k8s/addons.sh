#!/usr/bin/env bash
# Prints the add-on manifests of the local cluster (up.sh applies them): the NetworkPolicy agent on every node,
# CoreDNS serving the cluster zone only (there is no upstream DNS here), the local-path provisioner as the default
# StorageClass (one directory per node under the cluster's state directory; its helper pods use the local Debian
# image), and metrics-server (kubelets and its own serving certificate verified with the cluster CA).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
pki="$K8S_STATE_DIR/pki"
b64() { base64 -w0 < "$1"; }
node_paths=""
for node in "${K8S_NODES[@]}"; do
  node_paths+="{\"node\":\"$node\",\"paths\":[\"$(node_dir "$node")/local-path\"]},"
done

cat <<YAML
apiVersion: v1
kind: ServiceAccount
metadata: { name: kube-network-policies, namespace: kube-system }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: kube-network-policies }
rules:
  - { apiGroups: [""], resources: [pods, namespaces], verbs: [list, watch] }
  - { apiGroups: [networking.k8s.io], resources: [networkpolicies], verbs: [list, watch] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: kube-network-policies }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: kube-network-policies }
subjects: [{ kind: ServiceAccount, name: kube-network-policies, namespace: kube-system }]
---
apiVersion: apps/v1
kind: DaemonSet
metadata: { name: kube-network-policies, namespace: kube-system, labels: { k8s-app: kube-network-policies } }
spec:
  selector: { matchLabels: { k8s-app: kube-network-policies } }
  template:
    metadata: { labels: { k8s-app: kube-network-policies } }
    spec:
      hostNetwork: true
      serviceAccountName: kube-network-policies
      priorityClassName: system-node-critical
      tolerations: [{ operator: Exists, effect: NoSchedule }]
      containers:
        - name: kube-network-policies
          image: $IMAGE_NETWORK_POLICIES
          imagePullPolicy: Never
          args: [--hostname-override=\$(NODE_NAME), --v=1, --nfqueue-id=98, --disable-nri, --metrics-bind-address=127.0.0.1:9080]
          env: [{ name: NODE_NAME, valueFrom: { fieldRef: { fieldPath: spec.nodeName } } }]
          resources: { requests: { cpu: 20m, memory: 50Mi } }
          securityContext: { privileged: true, capabilities: { add: [NET_ADMIN] } }
---
# The API server's client certificate for kubelets (logs, exec, port-forward): the kubelet API, nothing more.
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: airline:apiserver-kubelet-client }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:kubelet-api-admin }
subjects: [{ apiGroup: rbac.authorization.k8s.io, kind: User, name: kube-apiserver-kubelet-client }]
---
apiVersion: v1
kind: ServiceAccount
metadata: { name: coredns, namespace: kube-system }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: system:coredns }
rules:
  - { apiGroups: [""], resources: [endpoints, services, pods, namespaces], verbs: [list, watch] }
  - { apiGroups: [discovery.k8s.io], resources: [endpointslices], verbs: [list, watch] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: system:coredns }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:coredns }
subjects: [{ kind: ServiceAccount, name: coredns, namespace: kube-system }]
---
apiVersion: v1
kind: ConfigMap
metadata: { name: coredns, namespace: kube-system }
data:
  Corefile: |
    .:53 {
        errors
        health {
            lameduck 5s
        }
        ready
        kubernetes $K8S_CLUSTER_DOMAIN in-addr.arpa ip6.arpa {
            pods insecure
            fallthrough in-addr.arpa ip6.arpa
            ttl 30
        }
        prometheus :9153
        cache 30
        loop
        reload
        loadbalance
    }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: coredns, namespace: kube-system, labels: { k8s-app: kube-dns } }
spec:
  replicas: 1
  selector: { matchLabels: { k8s-app: kube-dns } }
  template:
    metadata: { labels: { k8s-app: kube-dns } }
    spec:
      serviceAccountName: coredns
      priorityClassName: system-cluster-critical
      securityContext: { runAsNonRoot: true, runAsUser: 65534, seccompProfile: { type: RuntimeDefault } }
      containers:
        - name: coredns
          image: $IMAGE_COREDNS
          imagePullPolicy: Never
          args: [-conf, /etc/coredns/Corefile]
          ports:
            - { name: dns, containerPort: 53, protocol: UDP }
            - { name: dns-tcp, containerPort: 53, protocol: TCP }
            - { name: metrics, containerPort: 9153, protocol: TCP }
          resources: { requests: { cpu: 50m, memory: 40Mi }, limits: { memory: 170Mi } }
          securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: [ALL] } }
          readinessProbe: { httpGet: { path: /ready, port: 8181 }, periodSeconds: 2 }
          livenessProbe: { httpGet: { path: /health, port: 8080 }, initialDelaySeconds: 30, timeoutSeconds: 5 }
          volumeMounts: [{ name: config, mountPath: /etc/coredns, readOnly: true }]
      volumes: [{ name: config, configMap: { name: coredns } }]
---
apiVersion: v1
kind: Service
metadata: { name: kube-dns, namespace: kube-system, labels: { k8s-app: kube-dns } }
spec:
  clusterIP: $K8S_DNS_ADDRESS
  selector: { k8s-app: kube-dns }
  ports:
    - { name: dns, port: 53, protocol: UDP }
    - { name: dns-tcp, port: 53, protocol: TCP }
    - { name: metrics, port: 9153, protocol: TCP }
---
apiVersion: v1
kind: Namespace
metadata: { name: local-path-storage }
---
apiVersion: v1
kind: ServiceAccount
metadata: { name: local-path-provisioner, namespace: local-path-storage }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: local-path-provisioner }
rules:
  - { apiGroups: [""], resources: [nodes, persistentvolumeclaims, configmaps, pods, pods/log], verbs: [get, list, watch] }
  - { apiGroups: [""], resources: [persistentvolumes], verbs: [get, list, watch, create, patch, update, delete] }
  - { apiGroups: [""], resources: [events], verbs: [create, patch] }
  - { apiGroups: [storage.k8s.io], resources: [storageclasses], verbs: [get, list, watch] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: local-path-provisioner }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: local-path-provisioner }
subjects: [{ kind: ServiceAccount, name: local-path-provisioner, namespace: local-path-storage }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: local-path-provisioner, namespace: local-path-storage }
rules:
  - { apiGroups: [""], resources: [pods], verbs: [get, list, watch, create, patch, update, delete] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: local-path-provisioner, namespace: local-path-storage }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: local-path-provisioner }
subjects: [{ kind: ServiceAccount, name: local-path-provisioner, namespace: local-path-storage }]
---
apiVersion: v1
kind: ConfigMap
metadata: { name: local-path-config, namespace: local-path-storage }
data:
  config.json: '{"nodePathMap":[${node_paths%,}]}'
  setup: |-
    #!/bin/sh
    set -eu
    mkdir -m 0777 -p "\$VOL_DIR"
  teardown: |-
    #!/bin/sh
    set -eu
    rm -rf "\$VOL_DIR"
  helperPod.yaml: |-
    apiVersion: v1
    kind: Pod
    metadata: { name: helper-pod }
    spec:
      priorityClassName: system-node-critical
      tolerations: [{ key: node.kubernetes.io/disk-pressure, operator: Exists, effect: NoSchedule }]
      containers:
        - name: helper-pod
          image: $IMAGE_DEBIAN
          imagePullPolicy: Never
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: local-path-provisioner, namespace: local-path-storage }
spec:
  replicas: 1
  selector: { matchLabels: { app: local-path-provisioner } }
  template:
    metadata: { labels: { app: local-path-provisioner } }
    spec:
      serviceAccountName: local-path-provisioner
      containers:
        - name: local-path-provisioner
          image: $IMAGE_LOCAL_PATH_PROVISIONER
          imagePullPolicy: Never
          args: [start, --config, /etc/config/config.json, --service-account-name, local-path-provisioner,
            --provisioner-name, rancher.io/local-path, --helper-image, $IMAGE_DEBIAN, --configmap-name, local-path-config]
          env:
            - { name: POD_NAMESPACE, valueFrom: { fieldRef: { fieldPath: metadata.namespace } } }
          resources: { requests: { cpu: 10m, memory: 32Mi }, limits: { memory: 128Mi } }
          volumeMounts: [{ name: config, mountPath: /etc/config, readOnly: true }]
      volumes: [{ name: config, configMap: { name: local-path-config } }]
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: local-path
  annotations: { storageclass.kubernetes.io/is-default-class: "true" }
provisioner: rancher.io/local-path
volumeBindingMode: WaitForFirstConsumer
reclaimPolicy: Delete
---
apiVersion: v1
kind: ServiceAccount
metadata: { name: metrics-server, namespace: kube-system }
---
apiVersion: v1
kind: Secret
metadata: { name: metrics-server-tls, namespace: kube-system }
type: kubernetes.io/tls
data: { tls.crt: $(b64 "$pki/metrics-server.crt"), tls.key: $(b64 "$pki/metrics-server.key") }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: system:aggregated-metrics-reader
  labels:
    rbac.authorization.k8s.io/aggregate-to-admin: "true"
    rbac.authorization.k8s.io/aggregate-to-edit: "true"
    rbac.authorization.k8s.io/aggregate-to-view: "true"
rules:
  - { apiGroups: [metrics.k8s.io], resources: [pods, nodes], verbs: [get, list, watch] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: system:metrics-server }
rules:
  - { apiGroups: [""], resources: [nodes/metrics], verbs: [get] }
  - { apiGroups: [""], resources: [pods, nodes], verbs: [get, list, watch] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: metrics-server-auth-reader, namespace: kube-system }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: extension-apiserver-authentication-reader }
subjects: [{ kind: ServiceAccount, name: metrics-server, namespace: kube-system }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: metrics-server:system:auth-delegator }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:auth-delegator }
subjects: [{ kind: ServiceAccount, name: metrics-server, namespace: kube-system }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: system:metrics-server }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:metrics-server }
subjects: [{ kind: ServiceAccount, name: metrics-server, namespace: kube-system }]
---
apiVersion: v1
kind: Service
metadata: { name: metrics-server, namespace: kube-system, labels: { k8s-app: metrics-server } }
spec:
  selector: { k8s-app: metrics-server }
  ports: [{ name: https, port: 443, protocol: TCP, targetPort: https }]
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: metrics-server, namespace: kube-system, labels: { k8s-app: metrics-server } }
spec:
  replicas: 1
  selector: { matchLabels: { k8s-app: metrics-server } }
  template:
    metadata: { labels: { k8s-app: metrics-server } }
    spec:
      serviceAccountName: metrics-server
      priorityClassName: system-cluster-critical
      securityContext: { runAsNonRoot: true, runAsUser: 65534, seccompProfile: { type: RuntimeDefault } }
      containers:
        - name: metrics-server
          image: $IMAGE_METRICS_SERVER
          imagePullPolicy: Never
          args: [--secure-port=10250, --tls-cert-file=/certs/tls.crt, --tls-private-key-file=/certs/tls.key,
            --kubelet-preferred-address-types=InternalIP, --kubelet-use-node-status-port, --metric-resolution=15s,
            --kubelet-certificate-authority=/ca/ca.crt]
          ports: [{ name: https, containerPort: 10250, protocol: TCP }]
          resources: { requests: { cpu: 50m, memory: 64Mi }, limits: { memory: 256Mi } }
          securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: [ALL] } }
          readinessProbe: { httpGet: { path: /readyz, port: https, scheme: HTTPS }, periodSeconds: 5, failureThreshold: 3 }
          volumeMounts:
            - { name: certs, mountPath: /certs, readOnly: true }
            - { name: ca, mountPath: /ca, readOnly: true }
            - { name: tmp, mountPath: /tmp }
      volumes:
        - { name: certs, secret: { secretName: metrics-server-tls } }
        - { name: ca, configMap: { name: kube-root-ca.crt } }
        - { name: tmp, emptyDir: {} }
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: { name: v1beta1.metrics.k8s.io, labels: { k8s-app: metrics-server } }
spec:
  group: metrics.k8s.io
  version: v1beta1
  groupPriorityMinimum: 100
  versionPriority: 100
  service: { name: metrics-server, namespace: kube-system }
  caBundle: $(b64 "$pki/ca.crt")
YAML
