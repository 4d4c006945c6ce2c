#!/usr/bin/env bash
# Creates (once) a Python venv under the cache with a pinned pip spec, and prints its bin directory.
# Usage: venv.sh NAME 'pkg==x.y.z' ['pkg2==...']. Reused when the marker file matches the requested specs.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

name="${1:?usage: venv.sh NAME SPEC...}"; shift
[ "$#" -ge 1 ] || tf_die "usage: venv.sh NAME SPEC..."
venv="$VENV_ROOT/$name"
want="$*"
if [ -f "$venv/.installed-specs" ] && [ "$(cat "$venv/.installed-specs")" = "$want" ]; then
  echo "$venv/bin"; exit 0
fi
tf_log "creating venv $venv with: $want"
rm -rf "$venv"
mkdir -p "$VENV_ROOT"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check --no-input "$@" >&2
echo "$want" > "$venv/.installed-specs"
echo "$venv/bin"
