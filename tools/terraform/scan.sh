#!/usr/bin/env bash
# `npm run scan`: checkov (pinned, venv under the cache) over every synthesized stack of every environment.
# Fails when any check fails without a suppression kept next to its resource (see constructs/checkov.ts).
#
# Usage: tools/terraform/scan.sh [--stacks-dir DIR]
#   default: synthesize all stacks into a temporary directory first; --stacks-dir scans an existing synth output.
# checkov runs offline: --skip-download, no platform mapping, and HTTP(S) pointed at an unused loopback port.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

stacks_dir=""
while [ "$#" -gt 0 ]; do
  case "$1" in
    --stacks-dir) stacks_dir="${2:?--stacks-dir needs a directory}"; shift 2 ;;
    *) tf_die "unknown argument '$1' (usage: scan.sh [--stacks-dir DIR])" ;;
  esac
done

bin="$(bash "$TF_TOOLS_DIR/venv.sh" checkov "$CHECKOV_PIP_SPEC")"
work="$(mktemp -d -t tf-scan.XXXXXX)"
trap 'rm -rf "$work"' EXIT

if [ -z "$stacks_dir" ]; then
  (cd "$REPO_ROOT" && CDKTF_OUTDIR="$work/synth" node --import tsx main.ts >"$work/synth.log" 2>&1) || {
    cat "$work/synth.log" >&2; tf_die "synth failed"; }
  stacks_dir="$work/synth/stacks"
fi
ls "$stacks_dir"/*/cdk.tf.json >/dev/null 2>&1 || tf_die "no synthesized stacks in $stacks_dir"

# Only the stacks' Terraform JSON (not manifests, state or .terraform directories) goes to checkov.
mkdir -p "$work/scan"
for file in "$stacks_dir"/*/cdk.tf.json; do
  stack="$(basename "$(dirname "$file")")"
  mkdir -p "$work/scan/$stack"
  cp "$file" "$work/scan/$stack/cdk.tf.json"
done
tf_log "scanning $(ls "$work/scan" | wc -l) stacks: $(ls "$work/scan" | tr '\n' ' ')"

export BC_SKIP_MAPPING=TRUE CHECKOV_RUN_SCA_PACKAGE_SCAN_V2=false
export HTTPS_PROXY=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 NO_PROXY=
status=0
"$bin/checkov" --directory "$work/scan" --framework terraform_json --skip-download --compact \
  --output json --output-file-path "$work/report" >"$work/checkov.log" 2>&1 || status=$?
# checkov exits 1 when checks fail (judged below); anything else, or no report, is an error of the run itself.
if [ "$status" -gt 1 ] || [ ! -s "$work/report/results_json.json" ]; then
  cat "$work/checkov.log" >&2
  tf_die "checkov did not produce a report (exit $status)"
fi
"$bin/python" "$TF_TOOLS_DIR/scan_report.py" "$work/report/results_json.json"
