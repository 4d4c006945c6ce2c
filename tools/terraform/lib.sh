# Shared settings for the tools/terraform scripts. Source it; it defines paths and pinned versions only.
# Everything built or installed lives under the cache directory, outside the repository, so later runs reuse it.

TF_TOOLS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$TF_TOOLS_DIR/../.." && pwd)"
AIRLINE_CACHE_DIR="${AIRLINE_CACHE_DIR:-$HOME/.cache/airline-streaming}"

# --- pinned versions (one place) ---
OPENTOFU_MODULE=github.com/opentofu/opentofu
OPENTOFU_VERSION=1.10.10
MOTO_PIP_SPEC='moto[server]==5.2.5'
CHECKOV_PIP_SPEC='checkov==3.3.30'
BOTO3_PIP_SPEC='boto3==1.44.5'

# --- derived paths ---
TF_BIN_DIR="$AIRLINE_CACHE_DIR/bin"
TOFU_BIN="$TF_BIN_DIR/tofu-$OPENTOFU_VERSION/tofu"
TF_MIRROR_DIR="$AIRLINE_CACHE_DIR/tf-mirror"
# The CLI config build.sh writes: providers from the local mirror only.
TF_MIRROR_CLI_CONFIG="$AIRLINE_CACHE_DIR/tf-cli.tfrc"
# Another provider installation can be used instead (e.g. a mirror holding the official releases of the pinned
# versions): AIRLINE_TF_CLI_CONFIG=FILE AIRLINE_TF_PROVIDER_VERSIONS="aws=6.25.0 kubernetes=2.38.0".
TF_CLI_CONFIG="${AIRLINE_TF_CLI_CONFIG:-$TF_MIRROR_CLI_CONFIG}"
TF_SRC_DIR="$AIRLINE_CACHE_DIR/tf-src"
TF_LOG_DIR="$AIRLINE_CACHE_DIR/tf-build/logs"
VENV_ROOT="$AIRLINE_CACHE_DIR/venvs"

source "$TF_TOOLS_DIR/../go-env.sh"

tf_log() { printf '[%s] %s\n' "$(basename "$0" .sh)" "$*" >&2; }
tf_die() { tf_log "ERROR: $*"; exit 1; }

# Providers the stacks use, built from the Go module proxy into the filesystem mirror.
# The bindings pin aws 6.25.0 and kubernetes 2.38.0, but the module proxy reachable here answers
# "403 This module version is not available" for every revision of those two repositories except one each
# (see /work/notes/readme-terraform.md). These are those revisions; MIRROR_VERSION is the version the
# source itself declares (next unreleased version, marked -dev), used as the mirror directory name.
# Fields: type|module|module version|mirror version|-X variable for the version
TF_PROVIDERS=(
  "aws|github.com/hashicorp/terraform-provider-aws|v1.60.1-0.20260602190131-5f2286d6d836|6.48.0-dev|github.com/hashicorp/terraform-provider-aws/version.ProviderVersion"
  "kubernetes|github.com/hashicorp/terraform-provider-kubernetes|v1.13.4-0.20260821094251-3a33fb6cc605|3.2.2-dev|main.Version"
)
# Versions the cdktf bindings pin (what the synthesized JSON asks for).
declare -A TF_PINNED_PROVIDER_VERSIONS=([aws]=6.25.0 [kubernetes]=2.38.0)
TF_PLATFORM=linux_amd64
# OpenTofu resolves a bare source "aws" to registry.opentofu.org/hashicorp/aws, Terraform to
# registry.terraform.io/hashicorp/aws: the mirror holds both so either CLI can use it.
TF_MIRROR_HOSTS=(registry.opentofu.org registry.terraform.io)

# A provider's fix, if any: tools/terraform/patches/<type>.patch (each says what it fixes and which test shows it).
provider_patch() { # type
  local file="$TF_TOOLS_DIR/patches/$1.patch"
  if [ -f "$file" ]; then echo "$file"; fi
}

# What a built binary was built from: module@version, plus the patch's hash when there is one.
provider_source_id() { # type module module-version
  local patch; patch="$(provider_patch "$1")"
  if [ -n "$patch" ]; then echo "$2@$3+patch-$(sha256sum "$patch" | cut -c1-12)"; else echo "$2@$3"; fi
}

provider_binary_path() { # type mirror-version host
  echo "$TF_MIRROR_DIR/$3/hashicorp/$1/$2/$TF_PLATFORM/terraform-provider-$1_v$2"
}

# NAME=VERSION per provider, as the provider installation in use holds them.
provider_version_args() {
  if [ -n "${AIRLINE_TF_PROVIDER_VERSIONS:-}" ]; then
    echo "$AIRLINE_TF_PROVIDER_VERSIONS"
  else
    local entry type mirrorversion
    for entry in "${TF_PROVIDERS[@]}"; do
      IFS='|' read -r type _ _ mirrorversion _ <<<"$entry"
      printf '%s=%s ' "$type" "$mirrorversion"
    done
    echo
  fi
}

# Makes sure the CLI and the providers are there: builds them, or with AIRLINE_TF_CLI_CONFIG only the CLI.
# With provider names (e.g. `ensure_cli_and_providers kubernetes`) only those are built: a local environment's
# streaming stack needs no AWS provider, whose cold build is by far the longest.
ensure_cli_and_providers() {
  if [ -n "${AIRLINE_TF_CLI_CONFIG:-}" ]; then
    [ -f "$AIRLINE_TF_CLI_CONFIG" ] || tf_die "AIRLINE_TF_CLI_CONFIG=$AIRLINE_TF_CLI_CONFIG does not exist"
    [ -n "${AIRLINE_TF_PROVIDER_VERSIONS:-}" ] || tf_die "AIRLINE_TF_CLI_CONFIG needs AIRLINE_TF_PROVIDER_VERSIONS (e.g. \"aws=6.25.0 kubernetes=2.38.0\")"
    bash "$TF_TOOLS_DIR/build.sh" --only tofu >&2
  elif [ "$#" -gt 0 ]; then
    bash "$TF_TOOLS_DIR/build.sh" --only tofu >&2
    local provider
    for provider in "$@"; do bash "$TF_TOOLS_DIR/build.sh" --only "$provider" >&2; done
  else
    bash "$TF_TOOLS_DIR/build.sh" >&2
  fi
}

# kubectl for the scripts: the one on PATH, else the one tools/k8s builds (same release as the local cluster).
kubectl_command() {
  if command -v kubectl >/dev/null; then echo kubectl; return; fi
  local built
  built="$(bash "$REPO_ROOT/tools/k8s/info.sh" | sed -n 's/^kubectl=//p')"
  [ -x "$built" ] && echo "$built"
}

# Starts moto (the local AWS emulator) on a free loopback port, logging to DIR/moto.log; sets MOTO_PID and
# AWS_EMULATOR_ENDPOINT. The caller kills MOTO_PID when done. AWS managed policies (AmazonEKSClusterPolicy, ...)
# exist in moto only when it is asked to load them.
start_moto() { # DIR
  local moto_bin port
  moto_bin="$(bash "$TF_TOOLS_DIR/venv.sh" moto "$MOTO_PIP_SPEC" "$BOTO3_PIP_SPEC")"
  MOTO_PYTHON="$moto_bin/python"
  port="$("$MOTO_PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  MOTO_IAM_LOAD_MANAGED_POLICIES=true "$moto_bin/moto_server" -H 127.0.0.1 -p "$port" >"$1/moto.log" 2>&1 &
  MOTO_PID=$!
  local _
  for _ in $(seq 1 60); do
    curl -sf -o /dev/null "http://127.0.0.1:$port/moto-api/" && break
    kill -0 "$MOTO_PID" 2>/dev/null || { cat "$1/moto.log" >&2; tf_die "moto server exited"; }
    sleep 0.5
  done
  curl -sf -o /dev/null "http://127.0.0.1:$port/moto-api/" || tf_die "moto did not answer on 127.0.0.1:$port"
  AWS_EMULATOR_ENDPOINT="http://127.0.0.1:$port"
  export AWS_EMULATOR_ENDPOINT
  tf_log "moto on $AWS_EMULATOR_ENDPOINT (pid $MOTO_PID)"
}

# Production's PersistentVolumes (reclaim policy Retain) claimed from NAMESPACE, switched to Delete so that each
# goes with its volume once its claim is gone. Prints one line per volume; returns 1 if one could not be switched.
k8s_delete_retained_volumes() { # NAMESPACE KUBECTL...
  local namespace="$1" listing pv policy claim handle; shift
  listing="$("$@" get pv -o jsonpath="{range .items[?(@.spec.claimRef.namespace==\"$namespace\")]}{.metadata.name} {.spec.persistentVolumeReclaimPolicy} {.spec.claimRef.name} {.spec.csi.volumeHandle}{\"\\n\"}{end}")" || return 1
  while read -r pv policy claim handle; do
    [ -n "$pv" ] && [ "$policy" = Retain ] || continue
    echo "DELETING retained volume: PersistentVolume $pv (claim $namespace/$claim, volume ${handle:-$pv})"
    "$@" patch pv "$pv" --type merge -p '{"spec":{"persistentVolumeReclaimPolicy":"Delete"}}' >/dev/null || return 1
  done <<<"$listing"
}

# Waits up to TIMEOUT seconds until no PersistentVolume is claimed from NAMESPACE; prints those still there.
k8s_wait_volumes_gone() { # NAMESPACE TIMEOUT KUBECTL...
  local namespace="$1" deadline=$((SECONDS + $2)) remaining; shift 2
  while :; do
    remaining="$("$@" get pv -o jsonpath="{range .items[?(@.spec.claimRef.namespace==\"$namespace\")]}{.metadata.name}{\"\\n\"}{end}")"
    [ -z "$remaining" ] && return 0
    [ "$SECONDS" -lt "$deadline" ] || { echo "$remaining"; return 1; }
    sleep 5
  done
}

# What of the project is still in a cluster: the namespace and what is in it, volumes claimed from it, the project's
# cluster roles and bindings. One "LEFTOVER <what>" line each; nothing when clean.
k8s_project_leftovers() { # NAMESPACE KUBECTL...
  local namespace="$1" kind name pv; shift
  if "$@" get namespace "$namespace" >/dev/null 2>&1; then
    echo "LEFTOVER namespace $namespace"
    for kind in pods services persistentvolumeclaims; do
      for name in $("$@" -n "$namespace" get "$kind" -o name 2>/dev/null); do echo "LEFTOVER $namespace/$name"; done
    done
  fi
  for pv in $("$@" get pv -o jsonpath="{range .items[?(@.spec.claimRef.namespace==\"$namespace\")]}{.metadata.name}{\"\\n\"}{end}" 2>/dev/null); do
    echo "LEFTOVER persistentvolume/$pv (claim in $namespace)"
  done
  for name in $("$@" get clusterroles,clusterrolebindings -l app.kubernetes.io/part-of=airline-streaming -o name 2>/dev/null); do
    echo "LEFTOVER $name"
  done
}
