# The Go build environment every tools/ build uses (OpenTofu and providers, Kubernetes and its add-ons). Source it
# after setting AIRLINE_CACHE_DIR: module and build caches live there, shared, so no module is downloaded twice.
export GOPATH="$AIRLINE_CACHE_DIR/go/path"
export GOMODCACHE="$AIRLINE_CACHE_DIR/go/modcache"
export GOCACHE="$AIRLINE_CACHE_DIR/go/cache"
export GOTOOLCHAIN=local   # never download a Go toolchain
export GOFLAGS="-mod=mod -buildvcs=false"
export CGO_ENABLED=0     # static binaries, as the CLI and provider releases are built; part of the Go cache key
