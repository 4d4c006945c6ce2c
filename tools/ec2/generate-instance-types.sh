#!/usr/bin/env bash
# Regenerates contracts/ec2-instance-types.generated.ts from the EC2 API model of a pinned botocore (see
# instance_types.py). Run it after raising BOTOCORE_PIP_SPEC, and commit the result.
# Usage: bash tools/ec2/generate-instance-types.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
BOTOCORE_PIP_SPEC='botocore==1.44.8'
bin="$(bash "$here/../terraform/venv.sh" botocore "$BOTOCORE_PIP_SPEC")"
target="$here/../../contracts/ec2-instance-types.generated.ts"
"$bin/python" "$here/instance_types.py" > "$target.tmp"
mv "$target.tmp" "$target"
echo "wrote $target" >&2
