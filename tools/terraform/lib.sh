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
