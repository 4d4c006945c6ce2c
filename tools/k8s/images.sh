#!/usr/bin/env bash
# Builds the cluster's images offline into OCI archives under $K8S_IMAGE_DIR (up.sh loads them into each node's
# containerd). Root filesystems come from Debian's packages (mmdebstrap); the rest from the cache: the Kafka and
# ZooKeeper jars Maven resolved for the local cluster (local/install.sh), this machine's Node 20 binary, the Go
# programs build.sh made, and Debian's static catatonit as the pause process. Present archives are kept.
# Usage: images.sh [--force]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
force=0; [ "${1:-}" = "--force" ] && force=1

ROOTFS_DIR="$K8S_BUILD_DIR/rootfs"
LAYER_DIR="$K8S_BUILD_DIR/layers"
mkdir -p "$K8S_IMAGE_DIR" "$ROOTFS_DIR" "$LAYER_DIR"
MIRRORS=("deb http://deb.debian.org/debian $DEBIAN_SUITE main" "deb http://deb.debian.org/debian-security $DEBIAN_SUITE-security main")

# A Debian root filesystem as one layer; the uid the app images use gets a name so tools print it.
debian_rootfs() { # name packages(comma-separated)
  local out="$ROOTFS_DIR/$1.tar"
  if [ -f "$out" ] && [ "$force" = 0 ]; then echo "$out"; return; fi
  k8s_log "mmdebstrap $1 ($2)"
  SOURCE_DATE_EPOCH=0 mmdebstrap --quiet --mode=root --format=tar --variant=minbase --include="$2" \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --essential-hook='mkdir -p "$1/usr/share/man/man1"' \
    --customize-hook="echo 'app:x:$IMAGE_APP_UID:$IMAGE_APP_UID:app:/home/app:/usr/sbin/nologin' >> \"\$1/etc/passwd\"" \
    --customize-hook="echo 'app:x:$IMAGE_APP_UID:' >> \"\$1/etc/group\"" \
    --customize-hook="mkdir -p \"\$1/home/app\" && chown $IMAGE_APP_UID:$IMAGE_APP_UID \"\$1/home/app\"" \
    --customize-hook='rm -rf "$1/var/cache/apt"/*.bin "$1/var/lib/apt/lists"/*' \
    "$DEBIAN_SUITE" "$out.partial" "${MIRRORS[@]}" >&2 || k8s_die "mmdebstrap $1 failed"
  mv -f "$out.partial" "$out"
  echo "$out"
}

# A layer from a staging directory, owned by root, with fixed times so the same content gives the same digest.
layer_from_dir() { # name dir
  local out="$LAYER_DIR/$1.tar"
  tar --numeric-owner --owner=0 --group=0 --mtime=@0 --sort=name -cf "$out.partial" -C "$2" .
  mv -f "$out.partial" "$out"
  echo "$out"
}

image() { # name layers... -- oci_image.py options
  local name="$1"; shift
  local archive layers=()
  archive="$(image_archive "$name")"
  while [ "$1" != "--" ]; do layers+=(--layer "$1"); shift; done; shift
  python3 "$K8S_TOOLS_DIR/oci_image.py" --name "$name" --out "$archive" "${layers[@]}" "$@" | cut -d' ' -f2 > "$archive.digest"
}

need_image() { [ "$force" = 1 ] || [ ! -f "$(image_archive "$1")" ]; }

# The pause image: catatonit in pause mode, statically linked.
if need_image "$IMAGE_PAUSE"; then
  stage="$(mktemp -d)"; install -D -m 0755 /usr/bin/catatonit "$stage/catatonit"
  image "$IMAGE_PAUSE" "$(layer_from_dir pause "$stage")" -- --entrypoint '["/catatonit","-P"]' --user 65535:65535
  rm -rf "$stage"
fi

BASE_PACKAGES=bash,coreutils,netcat-openbsd,procps,ca-certificates
if need_image "$IMAGE_DEBIAN" || need_image "$IMAGE_NODE" || need_image "$IMAGE_LOCAL_PATH_PROVISIONER"; then
  base="$(debian_rootfs debian "$BASE_PACKAGES")"
  need_image "$IMAGE_DEBIAN" && image "$IMAGE_DEBIAN" "$base" -- --cmd '["bash"]'
  if need_image "$IMAGE_NODE"; then
    # Debian's Node.js is 18; the image takes this machine's Node 20 (it needs only glibc and libstdc++).
    node_bin="$(readlink -f "$(command -v node)")"
    [[ "$("$node_bin" --version)" == v20.* ]] || k8s_die "node on PATH is $("$node_bin" --version), the image needs Node 20"
    stage="$(mktemp -d)"; install -D -m 0755 "$node_bin" "$stage/usr/local/bin/node"
    image "$IMAGE_NODE" "$base" "$(layer_from_dir node "$stage")" -- --cmd '["node"]' --user "$IMAGE_APP_UID:$IMAGE_APP_UID" --workdir /home/app
    rm -rf "$stage"
  fi
  if need_image "$IMAGE_LOCAL_PATH_PROVISIONER"; then
    stage="$(mktemp -d)"
    install -D -m 0755 "$K8S_ADDON_BIN_DIR/local-path-provisioner-$LOCAL_PATH_PROVISIONER_VERSION" "$stage/usr/local/bin/local-path-provisioner"
    image "$IMAGE_LOCAL_PATH_PROVISIONER" "$base" "$(layer_from_dir local-path-provisioner "$stage")" -- \
      --entrypoint '["/usr/local/bin/local-path-provisioner"]'
    rm -rf "$stage"
  fi
fi

# The Kafka and ZooKeeper images are rebuilt when the jars (the pom's resolution) or the ZooKeeper scripts change.
libs="$AIRLINE_CACHE_DIR/kafka-$KAFKA_VERSION_FOR_IMAGE/libs"
[ -f "$libs/.resolved-from" ] || bash "$REPO_ROOT/local/install.sh"
jar_input="$(cat "$libs/.resolved-from") $(cat "$K8S_TOOLS_DIR"/images/zookeeper/* | sha256sum | cut -c1-16)"
stale_jars() { [ "$(cat "$(image_archive "$1").input" 2>/dev/null)" != "$jar_input" ]; }
stale_jars "$IMAGE_KAFKA" && rm -f "$(image_archive "$IMAGE_KAFKA")"
stale_jars "$IMAGE_ZOOKEEPER" && rm -f "$(image_archive "$IMAGE_ZOOKEEPER")"
if need_image "$IMAGE_JRE" || need_image "$IMAGE_KAFKA" || need_image "$IMAGE_ZOOKEEPER"; then
  jre="$(debian_rootfs jre "$BASE_PACKAGES,openjdk-17-jre-headless")"
  need_image "$IMAGE_JRE" && image "$IMAGE_JRE" "$jre" -- --cmd '["java","-version"]'
  if need_image "$IMAGE_KAFKA"; then
    stage="$(mktemp -d)"; mkdir -p "$stage/opt/kafka/libs" "$stage/opt/kafka/config"
    cp "$libs"/*.jar "$stage/opt/kafka/libs/"
    image "$IMAGE_KAFKA" "$jre" "$(layer_from_dir kafka "$stage")" -- --env KAFKA_HOME=/opt/kafka \
      --cmd '["java","-cp","/opt/kafka/libs/*","kafka.Kafka"]' --user "$IMAGE_APP_UID:$IMAGE_APP_UID" --workdir /opt/kafka
    echo "$jar_input" > "$(image_archive "$IMAGE_KAFKA").input"
    rm -rf "$stage"
  fi
  if need_image "$IMAGE_ZOOKEEPER"; then
    # ZooKeeper's server jars and their runtime dependencies, from the same Maven resolution as the brokers.
    stage="$(mktemp -d)"; mkdir -p "$stage/opt/zookeeper/lib" "$stage/conf" "$stage/data" "$stage/datalog"
    for jar in "$libs"/zookeeper-*.jar "$libs"/netty-*.jar "$libs"/slf4j-*.jar "$libs"/reload4j-*.jar \
        "$libs"/commons-io-*.jar "$libs"/commons-cli-*.jar "$libs"/snappy-java-*.jar "$libs"/metrics-core-4*.jar; do
      cp "$jar" "$stage/opt/zookeeper/lib/"
    done
    ls "$stage/opt/zookeeper/lib/zookeeper-$ZOOKEEPER_VERSION_FOR_IMAGE.jar" >/dev/null || k8s_die "no zookeeper-$ZOOKEEPER_VERSION_FOR_IMAGE.jar in $libs"
    install -D -m 0755 "$K8S_TOOLS_DIR/images/zookeeper/docker-entrypoint.sh" "$stage/docker-entrypoint.sh"
    install -D -m 0755 "$K8S_TOOLS_DIR/images/zookeeper/zkServer.sh" "$stage/opt/zookeeper/bin/zkServer.sh"
    install -D -m 0644 "$K8S_TOOLS_DIR/images/zookeeper/log4j.properties" "$stage/opt/zookeeper/conf/log4j.properties"
    chown -R "$IMAGE_APP_UID:$IMAGE_APP_UID" "$stage/conf" "$stage/data" "$stage/datalog"
    image "$IMAGE_ZOOKEEPER" "$jre" "$(layer_from_dir zookeeper "$stage")" -- \
      --env ZOO_CONF_DIR=/conf --env ZOO_DATA_DIR=/data --env ZOO_DATA_LOG_DIR=/datalog \
      --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/opt/zookeeper/bin \
      --entrypoint '["/docker-entrypoint.sh"]' --cmd '["zkServer.sh","start-foreground"]' \
      --user "$IMAGE_APP_UID:$IMAGE_APP_UID"
    echo "$jar_input" > "$(image_archive "$IMAGE_ZOOKEEPER").input"
    rm -rf "$stage"
  fi
fi

# The Go add-ons: one static binary each.
single_binary_image() { # image binary entrypoint-path [user]
  local input; input="$(sha256sum "$2" | cut -d' ' -f1)"
  # Rebuilt when the binary changed (a new version or patch), not only when the archive is missing.
  if ! need_image "$1" && [ "$(cat "$(image_archive "$1").input" 2>/dev/null)" = "$input" ]; then return 0; fi
  local stage; stage="$(mktemp -d)"
  install -D -m 0755 "$2" "$stage$3"
  image "$1" "$(layer_from_dir "$(basename "$3")" "$stage")" -- --entrypoint "[\"$3\"]" --user "${4:-65534:65534}"
  echo "$input" > "$(image_archive "$1").input"
  rm -rf "$stage"
}
single_binary_image "$IMAGE_COREDNS" "$K8S_ADDON_BIN_DIR/coredns-$COREDNS_VERSION" /coredns
single_binary_image "$IMAGE_METRICS_SERVER" "$K8S_ADDON_BIN_DIR/metrics-server-$METRICS_SERVER_VERSION" /metrics-server
# The NetworkPolicy agent runs as root in the node's network namespace (nftables, nfqueue), as upstream ships it.
single_binary_image "$IMAGE_NETWORK_POLICIES" "$K8S_ADDON_BIN_DIR/kube-network-policies-$KUBE_NETWORK_POLICIES_VERSION" /netpol 0:0

for name in "${ALL_IMAGES[@]}"; do [ -f "$(image_archive "$name")" ] || k8s_die "image archive for $name is missing"; done
k8s_log "images ready in $K8S_IMAGE_DIR ($(du -sh "$K8S_IMAGE_DIR" | cut -f1))"
