#!/usr/bin/env bash
# Reproducible model training: a pinned Python venv in the shared cache, then model/train.py.
# Usage: npm run train [-- extra train.py args]    Env: AIRLINE_DATA, AIRLINE_CACHE_DIR, PYTHON
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache_dir="${AIRLINE_CACHE_DIR:-$HOME/.cache/airline-streaming}"
venv="$cache_dir/venv-train"
requirements="$repo_root/model/requirements.txt"
python_bin="${PYTHON:-python3}"

# Reinstall only when the pinned requirements change.
stamp="$venv/.requirements.sha256"
wanted="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [[ ! -x "$venv/bin/python" || ! -f "$stamp" || "$(cat "$stamp")" != "$wanted" ]]; then
  echo "train.sh: creating venv $venv" >&2
  mkdir -p "$cache_dir"
  "$python_bin" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  echo "$wanted" > "$stamp"
fi

data="${AIRLINE_DATA:-$repo_root/../shared/data/airlines/allyears2k_headers.train.csv}"
if [[ ! -f "$data" ]]; then
  echo "train.sh: data file not found: $data (set AIRLINE_DATA)" >&2
  exit 2
fi

exec "$venv/bin/python" "$repo_root/model/train.py" --data "$data" --out "$repo_root/model" "$@"
