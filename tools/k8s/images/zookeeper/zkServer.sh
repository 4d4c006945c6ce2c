#!/bin/bash
# `zkServer.sh start-foreground` for the locally built ZooKeeper image (the release tarball's script is not on
# Maven Central): runs QuorumPeerMain on $ZOO_CONF_DIR/zoo.cfg with a heap of $ZK_SERVER_HEAP MB.
set -euo pipefail
if [ "${1:-}" != "start-foreground" ]; then
  echo "usage: zkServer.sh start-foreground (this image runs ZooKeeper in the foreground only)" >&2
  exit 2
fi
: "${ZOO_CONF_DIR:=/conf}" "${ZK_SERVER_HEAP:=1000}"
# shellcheck disable=SC2086 # JVMFLAGS and SERVER_JVMFLAGS hold several flags
exec java "-Xmx${ZK_SERVER_HEAP}m" ${SERVER_JVMFLAGS:-} ${JVMFLAGS:-} \
  -Dzookeeper.log.dir=/tmp -Dlog4j.configuration=file:/opt/zookeeper/conf/log4j.properties \
  -cp '/opt/zookeeper/lib/*' org.apache.zookeeper.server.quorum.QuorumPeerMain "$ZOO_CONF_DIR/zoo.cfg"
