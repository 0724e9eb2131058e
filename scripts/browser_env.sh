#!/usr/bin/env bash
# Set up what `make test-browser` needs, then run scripts/browser_test.py:
# - Chromium: Debian's `chromium` (installed with apt-get when missing and we are root);
# - playwright (tests/browser-requirements.txt) in a small venv of its own, kept outside the clone
#   like .venv (keyed by the pin file) and linked as build/browser-venv.
# If the browser cannot be had, print one line saying why and skip (exit 0); CI shows that line.
set -euo pipefail
cd "$(dirname "$0")/.."
chromium=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "==> Installiere chromium (apt-get) für den Browser-Test"
  log=$(mktemp)
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
    >"$log" 2>&1 || tail -n 5 "$log"
  rm -f "$log"
fi
if [ ! -x "$chromium" ]; then
  echo "ÜBERSPRUNGEN: Browser-Test – kein Chromium unter $chromium (als root: apt-get install chromium)."
  exit 0
fi
key=$(sha256sum tests/browser-requirements.txt | cut -c1-16)
cache=${NNKURS_VENV_CACHE:-$HOME/.cache/nn-kurs}
venv="$cache/browser-venv-$key"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import playwright" 2>/dev/null; then
  echo "==> Lege die Umgebung des Browser-Tests an: $venv"
  mkdir -p "$cache"
  rm -rf "$venv"
  if ! { python3 -m venv "$venv" && "$venv/bin/python" -m pip install --quiet \
         -r tests/browser-requirements.txt; }; then
    rm -rf "$venv"
    echo "ÜBERSPRUNGEN: Browser-Test – playwright ließ sich nicht installieren (siehe oben)."
    exit 0
  fi
fi
mkdir -p build
ln -sfn "$venv" build/browser-venv
exec build/browser-venv/bin/python scripts/browser_test.py --chromium "$chromium" "$@"
