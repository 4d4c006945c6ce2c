#!/usr/bin/env bash
# `npm run rehearse -- <env>`: a deploy/teardown rehearsal of platform-<env> against moto (a local AWS emulator on
# 127.0.0.1, free port), with the OpenTofu CLI and providers from tools/terraform/build.sh:
#   synth with the emulator profile (AWS_EMULATOR_ENDPOINT) -> apply -> plan again, expecting no changes
#   (-detailed-exitcode 0) -> teardown.sh (destroy + leftover scan) -> list everything left in the emulator
#   -> leftover detector check: a volume tagged for the environment, created in moto, must be reported.
# Nothing leaves this machine: moto listens on loopback and the AWS provider talks only to it.
#
# Usage: tools/terraform/rehearse.sh ENV [--keep]   (--keep: leave the work directory for inspection)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

env_name=""; keep=0
while [ "$#" -gt 0 ]; do
  case "$1" in
    --keep) keep=1; shift ;;
    -*) tf_die "unknown option '$1' (usage: rehearse.sh ENV [--keep])" ;;
    *) [ -z "$env_name" ] || tf_die "one environment at a time"; env_name="$1"; shift ;;
  esac
done
[ -n "$env_name" ] || tf_die "usage: rehearse.sh ENV [--keep]"
info="$(cd "$REPO_ROOT" && node --import tsx tools/terraform/env-info.ts "$env_name")" || exit 2
eval "$info"
[ "$ENV_TARGET" = aws ] || tf_die "environment $env_name has target $ENV_TARGET: only aws environments have a platform stack"

ensure_cli_and_providers
work="$(mktemp -d -t tf-rehearse.XXXXXX)"
MOTO_PID=""
cleanup() {
  if [ -n "$MOTO_PID" ]; then kill "$MOTO_PID" 2>/dev/null || true; wait "$MOTO_PID" 2>/dev/null || true; fi
  if [ "$keep" = 1 ]; then tf_log "work directory kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
start_moto "$work"
moto_bin="$(dirname "$MOTO_PYTHON")"
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION="$ENV_REGION"
# Anything not addressed to moto (e.g. an S3 state backend) goes to a dead loopback proxy and fails here.
export HTTPS_PROXY=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 NO_PROXY=127.0.0.1,localhost

# Synth in the work directory so local state lands there, never in the repository.
stacks_dir="$work/synth/stacks"
(cd "$work" && CDKTF_OUTDIR="$work/synth" AIRLINE_ENVIRONMENTS="$env_name" node --import "$REPO_ROOT/node_modules/tsx/dist/loader.mjs" "$REPO_ROOT/main.ts" >"$work/synth.log" 2>&1) || {
  cat "$work/synth.log" >&2; tf_die "synth with the emulator profile failed"; }
dir="$stacks_dir/platform-$env_name"
[ -f "$dir/cdk.tf.json" ] || tf_die "synth produced no platform-$env_name stack"
backend="$(node -e 'const j=require(process.argv[1]); console.log(Object.keys((j.terraform||{}).backend||{local:1}).join(","))' "$dir/cdk.tf.json")"
[ "$backend" = local ] || tf_die "the emulator profile must use local state, but platform-$env_name has backend '$backend'"
disabled="$(cd "$REPO_ROOT" && node --import tsx -e 'const { emulatorProfileFromEnvironment } = require("./constructs/aws/emulator-profile"); console.log([...emulatorProfileFromEnvironment(process.env).disabledParts].join(","))')"

read -ra mirror_args <<<"$(provider_version_args)"
(cd "$REPO_ROOT" && node --import tsx tools/terraform/provider-override.ts "$dir" "${mirror_args[@]}")
export TF_CLI_CONFIG_FILE="$TF_CLI_CONFIG" TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1
resource_count="$(node -e 'const j=require(process.argv[1]); let n=0; for (const t of Object.values(j.resource||{})) n+=Object.keys(t).length; console.log(n)' "$dir/cdk.tf.json")"

exec 3>&1  # step summaries go to the terminal even when a step's own output goes to a log
step() { # name command...: runs it, prints its duration, returns its status
  local name="$1" start=$SECONDS status=0; shift
  tf_log "$name"
  "$@" || status=$?
  echo "rehearsal step '$name': $((SECONDS - start)) s (exit $status)" >&3
  return "$status"
}

cd "$dir"
step init "$TOFU_BIN" init -input=false -no-color >"$work/init.log" 2>&1 || { cat "$work/init.log" >&2; tf_die "init failed"; }
if ! step apply "$TOFU_BIN" apply -auto-approve -input=false -no-color >"$work/apply.log" 2>&1; then
  tail -n 60 "$work/apply.log" >&2
  tf_log "apply failed; destroying what was created"
  "$TOFU_BIN" destroy -auto-approve -input=false -no-color >"$work/destroy-after-failure.log" 2>&1 || true
  tf_die "apply failed (log above)"
fi
applied="$("$TOFU_BIN" state list | grep -vc '^data\.' || true)"
echo "applied: $applied resources in state ($resource_count resources in platform-$env_name; switched off by the emulator profile: ${disabled:-none recorded})"

plan_status=0
"$TOFU_BIN" plan -detailed-exitcode -input=false -no-color >"$work/plan.log" 2>&1 || plan_status=$?
case "$plan_status" in
  0) echo "second plan: no changes (-detailed-exitcode 0)" ;;
  2) grep -E '^\s+[~+-/]|will be|must be' "$work/plan.log" | head -n 80 >&2; echo "second plan: CHANGES PENDING (exit 2)" ;;
  *) tail -n 40 "$work/plan.log" >&2; echo "second plan: ERROR (exit $plan_status)" ;;
esac
cd "$REPO_ROOT"

teardown_status=0
step teardown bash "$TF_TOOLS_DIR/teardown.sh" "$env_name" --stacks-dir "$stacks_dir" --yes || teardown_status=$?

everything_status=0
"$moto_bin/python" "$TF_TOOLS_DIR/find_leftovers.py" --env "$env_name" --region "$ENV_REGION" --cluster "$ENV_CLUSTER" \
  --endpoint "$AWS_EMULATOR_ENDPOINT" --everything || everything_status=$?

# The leftover detector must see what a destroy would miss: a volume the EBS CSI driver would have made.
volume="$("$moto_bin/python" - "$AWS_EMULATOR_ENDPOINT" "$ENV_REGION" "$ENV_CLUSTER" <<'EOF'
import sys, boto3
endpoint, region, cluster = sys.argv[1:]
ec2 = boto3.client("ec2", endpoint_url=endpoint, region_name=region)
zone = ec2.describe_availability_zones()["AvailabilityZones"][0]["ZoneName"]
tags = [{"Key": f"kubernetes.io/cluster/{cluster}", "Value": "owned"}, {"Key": "CSIVolumeName", "Value": "pvc-rehearsal"}]
print(ec2.create_volume(AvailabilityZone=zone, Size=1, TagSpecifications=[{"ResourceType": "volume", "Tags": tags}])["VolumeId"])
EOF
)"
detector_status=0
detector_output="$(bash "$TF_TOOLS_DIR/teardown.sh" "$env_name" --leftovers-only 2>&1)" || detector_status=$?
echo "$detector_output"
detector_ok=0
if [ "$detector_status" = 1 ] && grep -q "$volume" <<<"$detector_output"; then detector_ok=1; fi

echo "----"
results=()
[ "$plan_status" = 0 ] && results+=("PASS second plan shows no changes") || results+=("FAIL second plan exit $plan_status")
[ "$teardown_status" = 0 ] && results+=("PASS teardown destroyed everything and found no leftovers") || results+=("FAIL teardown exit $teardown_status")
[ "$everything_status" = 0 ] && results+=("PASS nothing left in the emulator") || results+=("FAIL resources left in the emulator")
[ "$detector_ok" = 1 ] && results+=("PASS planted leftover $volume reported (exit 1)") || results+=("FAIL planted leftover $volume not reported (exit $detector_status)")
passed=0; failed=0
for line in "${results[@]}"; do
  echo "$line"
  case "$line" in PASS*) passed=$((passed + 1)) ;; *) failed=$((failed + 1)) ;; esac
done
echo "rehearsal: $passed passed, $failed failed"
[ "$failed" = 0 ]
