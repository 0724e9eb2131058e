#!/usr/bin/env bash
# Create or update the virtual environment in .venv (or $VENV) from requirements.txt.
# Re-installs only when requirements.txt changed (its SHA-256 is stored in the venv).
# .venv may be a symbolic link to a shared venv outside the clone (.ci/run does that).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${VENV:-.venv}
stamp="$venv/.nn-kurs-requirements.sha256"
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$venv/bin/python" ]; then
  exit 0
fi
python=${PYTHON:-}
if [ -z "$python" ]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1; then python=$candidate; break; fi
  done
fi
if ! "$python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
  echo "Hinweis: nn-kurs ist für Python 3.11 festgelegt; gefunden: $("$python" --version 2>&1)." >&2
  echo "         Setzen Sie PYTHON=/pfad/zu/python3.11, falls die Installation scheitert." >&2
fi
target=$(readlink -f "$venv" || echo "$venv")
mkdir -p "$(dirname "$target")"
echo "==> Lege die Python-Umgebung an: $target (einige Minuten beim ersten Mal)"
[ -x "$target/bin/python" ] || "$python" -m venv "$target"
[ -e "$venv" ] || ln -s "$target" "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet -r requirements.txt
echo "$want" > "$stamp"
echo "==> Umgebung bereit."
