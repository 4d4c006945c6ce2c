#!/usr/bin/env bash
# Builds, from the Go module proxy only, a Terraform-compatible CLI (OpenTofu, pinned) and the providers the stacks
# use into a filesystem mirror, and writes a CLI config that makes `init` use only that mirror (no registry).
# Everything lands under ${AIRLINE_CACHE_DIR:-$HOME/.cache/airline-streaming}; present, matching binaries are reused.
#
# Usage: tools/terraform/build.sh [--only tofu|aws|kubernetes] [--force | --check]
#   --force  rebuild even if the binary exists (the Go build cache still makes it a warm build)
#   --check  build nothing: exit 0 if what would be built is already there, else 1 naming what is missing
# Prints, per build, wall time and peak memory (GNU time), also kept in <cache>/tf-build/logs/<name>.time.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

only=""
force=0
check=0
while [ "$#" -gt 0 ]; do
  case "$1" in
    --only) only="${2:?--only needs a name}"; shift 2 ;;
    --force) force=1; shift ;;
    --check) check=1; shift ;;
    *) tf_die "unknown argument '$1' (usage: build.sh [--only tofu|aws|kubernetes] [--force | --check])" ;;
  esac
done
case "$only" in ""|tofu|aws|kubernetes) ;; *) tf_die "--only takes tofu, aws or kubernetes, not '$only'" ;; esac

# The first line of `tofu version`. Read whole, not through `| head -1`: under pipefail, tofu killed by SIGPIPE after
# head exits would make the check fail at random.
tofu_reported_version() {
  local text
  text="$(TF_CLI_CONFIG_FILE=/dev/null "$TOFU_BIN" version 2>/dev/null)" || return 1
  echo "${text%%$'\n'*}"
}
tofu_present() {
  [ -x "$TOFU_BIN" ] && [ "$(tofu_reported_version)" = "OpenTofu v$OPENTOFU_VERSION" ]
}
provider_present() { # "type|module|module-version|mirror-version|version-var"
  local type module modversion mirrorversion primary
  IFS='|' read -r type module modversion mirrorversion _ <<<"$1"
  primary="$(provider_binary_path "$type" "$mirrorversion" "${TF_MIRROR_HOSTS[0]}")"
  [ -x "$primary" ] && [ "$(cat "$primary.source" 2>/dev/null)" = "$(provider_source_id "$type" "$module" "$modversion")" ]
}

if [ "$check" = 1 ]; then
  missing=()
  if { [ -z "$only" ] || [ "$only" = tofu ]; } && ! tofu_present; then missing+=("tofu v$OPENTOFU_VERSION"); fi
  for entry in "${TF_PROVIDERS[@]}"; do
    type="${entry%%|*}"
    if { [ -z "$only" ] || [ "$only" = "$type" ]; } && ! provider_present "$entry"; then missing+=("provider $type"); fi
  done
  if [ "${#missing[@]}" -gt 0 ]; then echo "not built: ${missing[*]} (cache: $AIRLINE_CACHE_DIR)"; exit 1; fi
  [ -f "$TF_MIRROR_CLI_CONFIG" ] || { echo "not written: $TF_MIRROR_CLI_CONFIG"; exit 1; }
  echo "built: ${only:-tofu and every provider}"
  exit 0
fi

command -v go >/dev/null || tf_die "go is not installed (need Go >= 1.26 for the providers' go.mod)"
[ -x /usr/bin/time ] || tf_die "/usr/bin/time (GNU time) is missing: apt-get install -y time"
mkdir -p "$TF_LOG_DIR" "$TF_SRC_DIR" "$TF_BIN_DIR" "$TF_MIRROR_DIR" "$GOPATH" "$GOMODCACHE" "$GOCACHE"

# Fetches module@version into the module cache (verified against go.sum / the checksum database) and returns a
# writable copy of its source: the module cache is read-only, and building the module as the main module is what
# keeps its own go.mod (including any replace directives) in force; `go install pkg@version` refuses replaces.
writable_module_copy() { # module version
  local module="$1" version="$2" dir copy
  dir="$(go mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [ -n "$dir" ] && [ -d "$dir" ] || tf_die "go mod download $module@$version gave no source directory"
  copy="$TF_SRC_DIR/$(basename "$module")@$version"
  if [ ! -f "$copy/.copied" ]; then
    rm -rf "$copy"
    cp -r "$dir" "$copy"
    chmod -R u+w "$copy"
    touch "$copy/.copied"
  fi
  echo "$copy"
}

# Runs a build under GNU time at low priority and prints its wall time and peak RSS.
timed_build() { # name workdir output ldflags package
  local name="$1" workdir="$2" output="$3" ldflags="$4" package="$5" timefile="$TF_LOG_DIR/$1.time"
  tf_log "building $name (log: $TF_LOG_DIR/$name.log)"
  if ! (cd "$workdir" && nice -n 19 /usr/bin/time -v -o "$timefile" \
      go build -trimpath -ldflags "$ldflags" -o "$output.partial" "$package") >"$TF_LOG_DIR/$name.log" 2>&1; then
    tail -n 30 "$TF_LOG_DIR/$name.log" >&2
    tf_die "build of $name failed"
  fi
  mv -f "$output.partial" "$output"
  local wall rss
  wall="$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$timefile")"
  rss="$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$timefile")"
  echo "built $name: wall $wall, peak RSS $((rss / 1024)) MiB"
}

build_tofu() {
  if [ "$force" = 0 ] && tofu_present; then
    echo "tofu v$OPENTOFU_VERSION present: $TOFU_BIN"; return
  fi
  local src
  src="$(writable_module_copy "$OPENTOFU_MODULE" "v$OPENTOFU_VERSION")"
  mkdir -p "$(dirname "$TOFU_BIN")"
  # version.dev=no drops the -dev suffix, as the release build does.
  timed_build tofu "$src" "$TOFU_BIN" "-s -w -X github.com/opentofu/opentofu/version.dev=no" ./cmd/tofu
  tofu_present || tf_die "built tofu reports '$(tofu_reported_version)', not OpenTofu v$OPENTOFU_VERSION"
}

build_provider() { # "type|module|module-version|mirror-version|version-var"
  local type module modversion mirrorversion versionvar primary stamp host target
  IFS='|' read -r type module modversion mirrorversion versionvar <<<"$1"
  primary="$(provider_binary_path "$type" "$mirrorversion" "${TF_MIRROR_HOSTS[0]}")"
  stamp="$primary.source"
  if [ "$force" = 0 ] && provider_present "$1"; then
    echo "provider $type $mirrorversion present ($module@$modversion)"
  else
    local src patch patched
    src="$(writable_module_copy "$module" "$modversion")"
    patch="$(provider_patch "$type")"
    if [ -n "$patch" ]; then
      # A patched copy of its own, so the pristine copy stays reusable; the Go build cache keeps rebuilds short.
      patched="$src+patched"
      rm -rf "$patched"
      cp -r "$src" "$patched"
      patch -d "$patched" -p1 --forward --quiet <"$patch" || tf_die "$patch does not apply to $module@$modversion"
      echo "patched $module@$modversion with $(basename "$patch")"
      src="$patched"
    fi
    mkdir -p "$(dirname "$primary")"
    timed_build "provider-$type" "$src" "$primary" "-s -w -X $versionvar=$mirrorversion" .
    provider_source_id "$type" "$module" "$modversion" >"$stamp"
  fi
  # Same binary under every registry host name (hard link: no extra space).
  for host in "${TF_MIRROR_HOSTS[@]:1}"; do
    target="$(provider_binary_path "$type" "$mirrorversion" "$host")"
    mkdir -p "$(dirname "$target")"
    ln -f "$primary" "$target"
  done
}

write_cli_config() {
  # filesystem_mirror only; `direct` is excluded for every provider, so init can never fall back to a registry.
  cat >"$TF_MIRROR_CLI_CONFIG.partial" <<EOF
# Written by tools/terraform/build.sh. Providers come only from the local mirror.
provider_installation {
  filesystem_mirror {
    path    = "$TF_MIRROR_DIR"
    include = ["*/*/*"]
  }
  direct {
    exclude = ["*/*/*"]
  }
}
disable_checkpoint = true
EOF
  mv -f "$TF_MIRROR_CLI_CONFIG.partial" "$TF_MIRROR_CLI_CONFIG"
}

if [ -z "$only" ] || [ "$only" = tofu ]; then build_tofu; fi
for entry in "${TF_PROVIDERS[@]}"; do
  type="${entry%%|*}"
  if [ -z "$only" ] || [ "$only" = "$type" ]; then build_provider "$entry"; fi
done
write_cli_config
echo "cli config: $TF_MIRROR_CLI_CONFIG (use with TF_CLI_CONFIG_FILE)"
echo "tofu: $TOFU_BIN"
