#!/usr/bin/env bash
# `npm run deploy -- ENV`: applies streaming-ENV of a cluster environment (target local, such as the `local`
# environment on the cluster of `npm run k8s:up`) offline, with the OpenTofu CLI and the kubernetes provider that
# tools/terraform/build.sh builds: what `npx cdktf deploy streaming-ENV` does where the registry's providers are
# reachable. Synthesizes into cdktf.out (where `cdktf deploy` and `npm run teardown` keep their working
# directories), points the stack at the mirror's provider version through an override file, `init`, `apply`, then
# plans again and requires no changes.
#
# Usage: tools/terraform/deploy.sh ENV [--plan-only]
set -euo pipefail
source "$(dirname "$0")/lib.sh"

env_name=""; plan_only=0
while [ "$#" -gt 0 ]; do
  case "$1" in
    --plan-only) plan_only=1; shift ;;
    -*) tf_die "unknown option '$1' (usage: deploy.sh ENV [--plan-only])" ;;
    *) [ -z "$env_name" ] || tf_die "one environment at a time"; env_name="$1"; shift ;;
  esac
done
[ -n "$env_name" ] || tf_die "usage: deploy.sh ENV [--plan-only]"
info="$(cd "$REPO_ROOT" && node --import tsx tools/terraform/env-info.ts "$env_name")" || exit 2
eval "$info"
[ "$ENV_TARGET" = local ] || tf_die "environment $env_name has target $ENV_TARGET: deploy AWS environments with npx cdktf deploy (they need the registry's AWS provider and credentials)"

ensure_cli_and_providers kubernetes
started=$SECONDS
tf_log "synthesizing streaming-$env_name into $REPO_ROOT/cdktf.out"
(cd "$REPO_ROOT" && AIRLINE_ENVIRONMENTS="$env_name" node --import tsx main.ts >/dev/null) || tf_die "synth failed; nothing applied"
dir="$REPO_ROOT/cdktf.out/stacks/streaming-$env_name"
[ -f "$dir/cdk.tf.json" ] || tf_die "synth produced no streaming-$env_name stack"

read -ra mirror_args <<<"$(provider_version_args)"
(cd "$REPO_ROOT" && node --import tsx tools/terraform/provider-override.ts "$dir" "${mirror_args[@]}")
export TF_CLI_CONFIG_FILE="$TF_CLI_CONFIG" TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1
cd "$dir"
"$TOFU_BIN" init -input=false -no-color >"$dir/deploy-init.log" 2>&1 || { cat "$dir/deploy-init.log" >&2; tf_die "init failed"; }
if [ "$plan_only" = 1 ]; then
  "$TOFU_BIN" plan -input=false -no-color
  exit
fi
"$TOFU_BIN" apply -auto-approve -input=false -no-color || tf_die "apply of streaming-$env_name failed (see above); npm run teardown -- $env_name removes what was made"
tf_log "applied streaming-$env_name in $((SECONDS - started)) s"
status=0
"$TOFU_BIN" plan -detailed-exitcode -input=false -no-color >"$dir/deploy-replan.log" 2>&1 || status=$?
case "$status" in
  0) echo "second plan: no changes" ;;
  2) grep -E '^\s+[~+-/]|will be|must be' "$dir/deploy-replan.log" | head -n 60 >&2; tf_die "second plan: CHANGES PENDING" ;;
  *) tail -n 40 "$dir/deploy-replan.log" >&2; tf_die "second plan failed (exit $status)" ;;
esac
"$TOFU_BIN" output -no-color
