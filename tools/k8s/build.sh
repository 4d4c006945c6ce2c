#!/usr/bin/env bash
# Builds everything the local Kubernetes cluster runs, from the reachable registries only, into the cache:
#  - kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kube-proxy, kubectl, kubeadm (PKI only):
#    k8s.io/kubernetes through the Go module proxy, in a wrapper module that pins every k8s.io staging module to
#    the same release, with the version stamped so the binaries report it (not v0.0.0);
#  - CoreDNS, the local-path provisioner, metrics-server and kube-network-policies from the Go module proxy;
#  - the images (tools/k8s/images.sh).
# Present, matching outputs are reused, so a warm run only checks. Usage: build.sh [--only binaries|images] [--force]
set -euo pipefail
source "$(dirname "$0")/lib.sh"

only=""
force=0
while [ "$#" -gt 0 ]; do
  case "$1" in
    --only) only="${2:?--only needs binaries or images}"; shift 2 ;;
    --force) force=1; shift ;;
    *) k8s_die "unknown argument '$1' (usage: build.sh [--only binaries|images] [--force])" ;;
  esac
done

command -v go >/dev/null || k8s_die "go is not installed"
mkdir -p "$K8S_BIN_DIR" "$K8S_ADDON_BIN_DIR" "$K8S_BUILD_DIR" "$K8S_LOG_DIR" "$GOPATH" "$GOMODCACHE" "$GOCACHE"

# Runs a go build under GNU time at low priority; prints wall time and peak RSS.
timed_go_build() { # name workdir ldflags output-dir-or-file packages...
  local name="$1" workdir="$2" ldflags="$3" output="$4"; shift 4
  local timefile="$K8S_LOG_DIR/$name.time"
  k8s_log "building $name (log: $K8S_LOG_DIR/$name.log)"
  if ! (cd "$workdir" && nice -n 19 /usr/bin/time -v -o "$timefile" \
      go build -trimpath -ldflags "$ldflags" -o "$output" "$@") >"$K8S_LOG_DIR/$name.log" 2>&1; then
    tail -n 30 "$K8S_LOG_DIR/$name.log" >&2
    k8s_die "build of $name failed"
  fi
  local wall rss
  wall="$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$timefile")"
  rss="$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$timefile")"
  echo "built $name: wall $wall, peak RSS $((rss / 1024)) MiB"
}

K8S_COMMANDS=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl kubeadm)

build_kubernetes() {
  local missing=0 cmd
  for cmd in "${K8S_COMMANDS[@]}"; do [ -x "$K8S_BIN_DIR/$cmd" ] || missing=1; done
  # Output is captured before matching: with pipefail, grep -q closing the pipe early would fail the check.
  if [ "$force" = 0 ] && [ "$missing" = 0 ] && [[ "$("$K8S_BIN_DIR/kubectl" version --client 2>/dev/null)" == *"Client Version: $K8S_VERSION"* ]]; then
    echo "kubernetes $K8S_VERSION present: $K8S_BIN_DIR"; return
  fi
  local work="$K8S_BUILD_DIR/kubernetes-$K8S_VERSION" gomod
  mkdir -p "$work"
  # k8s.io/kubernetes replaces its staging modules with ./staging paths, which a dependent module cannot use:
  # the wrapper pins each of them to the release that matches.
  gomod="$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
  [ -f "$gomod" ] || k8s_die "go mod download k8s.io/kubernetes@$K8S_VERSION gave no go.mod"
  {
    echo "module airline.local/k8s-build"
    echo
    echo "go 1.24.0"
    echo
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo
    sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/src/k8s.io/.*#replace \1 => \1 '"$K8S_STAGING_VERSION"'#p' "$gomod"
  } > "$work/go.mod"
  [ "$(grep -c '^replace ' "$work/go.mod")" -ge 25 ] || k8s_die "found too few staging modules in $gomod"
  printf 'package tools\n\nimport (\n' > "$work/tools.go"
  for cmd in "${K8S_COMMANDS[@]}"; do printf '\t_ "k8s.io/kubernetes/cmd/%s"\n' "$cmd" >> "$work/tools.go"; done
  printf ')\n' >> "$work/tools.go"
  (cd "$work" && go mod tidy >"$K8S_LOG_DIR/kubernetes-tidy.log" 2>&1) || { tail -20 "$K8S_LOG_DIR/kubernetes-tidy.log" >&2; k8s_die "go mod tidy failed"; }
  local minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
  local stamp="" pkg
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    stamp+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    stamp+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  local pkgs=()
  for cmd in "${K8S_COMMANDS[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$cmd"); done
  timed_go_build kubernetes "$work" "-s -w$stamp" "$K8S_BIN_DIR/" "${pkgs[@]}"
  [[ "$("$K8S_BIN_DIR/kubectl" version --client)" == *"Client Version: $K8S_VERSION"* ]] || k8s_die "kubectl does not report $K8S_VERSION"
}

# A program from the Go module proxy, built as the main module of a writable copy (keeps its replace directives).
# A patch in tools/k8s/patches/NAME-VERSION.patch is applied first, and its own Go tests run before the build.
build_addon() { # name module version package
  local name="$1" module="$2" version="$3" package="$4" out="$K8S_ADDON_BIN_DIR/$1-$3"
  local patch="$K8S_TOOLS_DIR/patches/$name-$version.patch" source_id="$module@$version"
  [ -f "$patch" ] && source_id+=" patch $(sha256sum "$patch" | cut -c1-16)"
  if [ "$force" = 0 ] && [ -x "$out" ] && [ "$(cat "$out.source" 2>/dev/null)" = "$source_id" ]; then
    echo "$name $version present"; return
  fi
  local dir copy="$K8S_BUILD_DIR/$name-$version"
  dir="$(go mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [ -d "$dir" ] || k8s_die "go mod download $module@$version gave no source directory"
  rm -rf "$copy"; cp -r "$dir" "$copy"; chmod -R u+w "$copy"
  if [ -f "$patch" ]; then
    patch -s -p1 -d "$copy" < "$patch" || k8s_die "$patch does not apply to $module@$version"
    # The tests the patch adds (not the module's whole suite: some of it needs kernel features this one lacks).
    local packages names
    packages="$(sed -n 's#^+++ b/\(.*\)/[^/]*_test\.go$#./\1#p' "$patch" | sort -u)"
    names="$(sed -n 's/^+func \(Test[A-Za-z0-9_]*\)(.*/\1/p' "$patch" | paste -sd'|')"
    if [ -n "$packages" ] && [ -n "$names" ]; then
      # shellcheck disable=SC2086 # one package path per word
      (cd "$copy" && go test -run "^($names)\$" $packages >"$K8S_LOG_DIR/$name-patch-tests.log" 2>&1) ||
        { tail -20 "$K8S_LOG_DIR/$name-patch-tests.log" >&2; k8s_die "the tests of $patch failed"; }
      k8s_log "$name: patch applied, its tests pass ($names)"
    fi
  fi
  timed_go_build "$name" "$copy" "-s -w" "$out" "$package"
  echo "$source_id" > "$out.source"
}

build_binaries() {
  build_kubernetes
  build_addon coredns github.com/coredns/coredns "$COREDNS_VERSION" .
  build_addon local-path-provisioner github.com/rancher/local-path-provisioner "$LOCAL_PATH_PROVISIONER_VERSION" .
  build_addon metrics-server sigs.k8s.io/metrics-server "$METRICS_SERVER_VERSION" ./cmd/metrics-server
  build_addon kube-network-policies sigs.k8s.io/kube-network-policies "$KUBE_NETWORK_POLICIES_VERSION" ./cmd
}

case "$only" in
  "") build_binaries; bash "$K8S_TOOLS_DIR/images.sh" ;;
  binaries) build_binaries ;;
  images) bash "$K8S_TOOLS_DIR/images.sh" ;;
  *) k8s_die "--only takes binaries or images, not '$only'" ;;
esac
