#!/usr/bin/env bash
# `npm run test:terraform`: offline `init -backend=false` + `validate` of every synthesized stack of every environment,
# with the OpenTofu CLI and providers from tools/terraform/build.sh (built first if missing: a cold build is long).
#
# Usage: tools/terraform/test-terraform.sh [--stacks-dir DIR] [--no-build] [STACK...]
#   default: synthesize all stacks into a temporary directory (the app as `cdktf synth` runs it), test all of them.
#   --stacks-dir DIR  test an existing synth output (e.g. cdktf.out/stacks) instead.
#   --no-build        use what build.sh already built; a stack whose provider is missing then fails at init.
# Each stack is tested in a temporary copy, so cdktf.out gets no .terraform directories or lock files.
# Any HTTP(S) traffic goes to an unused loopback proxy port: a registry contact would fail the test, not pass quietly.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

stacks_dir=""
build=1
selected=()
while [ "$#" -gt 0 ]; do
  case "$1" in
    --stacks-dir) stacks_dir="${2:?--stacks-dir needs a directory}"; shift 2 ;;
    --no-build) build=0; shift ;;
    -*) tf_die "unknown option '$1' (usage: test-terraform.sh [--stacks-dir DIR] [--no-build] [STACK...])" ;;
    *) selected+=("$1"); shift ;;
  esac
done

if [ "$build" = 1 ]; then
  ensure_cli_and_providers
else
  [ -x "$TOFU_BIN" ] && [ -f "$TF_CLI_CONFIG" ] || tf_die "--no-build, but the CLI or its config is missing: run tools/terraform/build.sh"
fi

work="$(mktemp -d -t tf-test.XXXXXX)"
trap 'rm -rf "$work"' EXIT

if [ -z "$stacks_dir" ]; then
  tf_log "synthesizing all stacks into $work/synth"
  (cd "$REPO_ROOT" && CDKTF_OUTDIR="$work/synth" node --import tsx main.ts >"$work/synth.log" 2>&1) || {
    cat "$work/synth.log" >&2; tf_die "synth failed"; }
  stacks_dir="$work/synth/stacks"
fi
[ -d "$stacks_dir" ] || tf_die "no stacks directory at $stacks_dir"

if [ "${#selected[@]}" -eq 0 ]; then
  for dir in "$stacks_dir"/*/; do [ -f "$dir/cdk.tf.json" ] && selected+=("$(basename "$dir")"); done
fi
[ "${#selected[@]}" -gt 0 ] || tf_die "no synthesized stacks in $stacks_dir"

read -ra mirror_args <<<"$(provider_version_args)"

export TF_CLI_CONFIG_FILE="$TF_CLI_CONFIG"
export TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1
export HTTPS_PROXY=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 NO_PROXY=
unset TF_PLUGIN_CACHE_DIR

passed=0; failed=0; failed_names=()
for stack in "${selected[@]}"; do
  src="$stacks_dir/$stack"
  [ -f "$src/cdk.tf.json" ] || tf_die "stack '$stack' not found in $stacks_dir"
  dir="$work/stacks/$stack"
  mkdir -p "$dir"
  cp -r "$src/." "$dir/"
  rm -rf "$dir/.terraform" "$dir/.terraform.lock.hcl"
  log="$work/$stack.log"
  validate_log="$work/$stack.validate.log"
  start=$(date +%s%N)
  if (cd "$REPO_ROOT" && node --import tsx tools/terraform/provider-override.ts "$dir" "${mirror_args[@]}") >"$log" 2>&1 \
    && (cd "$dir" && "$TOFU_BIN" init -backend=false -no-color >>"$log" 2>&1) \
    && (cd "$dir" && "$TOFU_BIN" validate -no-color >"$validate_log" 2>&1); then
    # Warnings of the configuration itself (e.g. deprecated attributes), not of init's lock file.
    warnings=$(grep -c '^Warning:' "$validate_log" || true)
    printf 'PASS %-28s %5.1fs  %s validate warning(s)\n' "$stack" "$(( ($(date +%s%N) - start) / 1000000 ))e-3" "$warnings"
    passed=$((passed + 1))
    cat "$validate_log" >>"$log"
  else
    printf 'FAIL %s\n' "$stack"
    cat "$validate_log" >>"$log" 2>/dev/null || true
    sed 's/^/    /' "$log"
    failed=$((failed + 1)); failed_names+=("$stack")
  fi
  if [ -n "${TF_TEST_VERBOSE:-}" ]; then sed 's/^/    /' "$log"; fi
done

echo "providers: ${mirror_args[*]} (the bindings pin: $(for t in "${!TF_PINNED_PROVIDER_VERSIONS[@]}"; do printf '%s=%s ' "$t" "${TF_PINNED_PROVIDER_VERSIONS[$t]}"; done))"
echo "validate: $passed passed, $failed failed"
[ "$failed" -eq 0 ] || { echo "failed stacks: ${failed_names[*]}"; exit 1; }
