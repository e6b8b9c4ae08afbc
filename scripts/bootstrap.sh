#!/usr/bin/env bash
# Creates .venv with Python 3.10 and installs the pinned dependencies.
# Re-runs the install only when a requirements or constraints file changed.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
REQUIREMENTS=${REQUIREMENTS:-requirements-dev.txt}

find_python310() {
  if [[ -n "${TRIPDESK_PYTHON:-}" ]]; then
    echo "$TRIPDESK_PYTHON"; return 0
  fi
  if command -v pyenv >/dev/null 2>&1; then
    local version
    version=$(pyenv versions --bare 2>/dev/null | grep -E '^3\.10\.[0-9]+$' | sort -V | tail -n 1 || true)
    if [[ -n "$version" ]]; then
      echo "$(pyenv root)/versions/$version/bin/python"; return 0
    fi
  fi
  for candidate in python3.10 "$HOME/.pyenv/versions"/3.10.*/bin/python; do
    if command -v "$candidate" >/dev/null 2>&1 || [[ -x "$candidate" ]]; then
      echo "$candidate"; return 0
    fi
  done
  return 1
}

if [[ -x "$VENV/bin/python" ]] && ! "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))'; then
  echo "bootstrap: $VENV is not Python 3.10; recreating it" >&2
  rm -rf "$VENV"
fi

if [[ ! -x "$VENV/bin/python" ]]; then
  if ! PYTHON=$(find_python310); then
    cat >&2 <<'MSG'
bootstrap: Python 3.10 was not found (Rasa 3.6.21 needs Python >=3.8,<3.11).
  Install it with pyenv:   pyenv install 3.10.13
  or point to one:         TRIPDESK_PYTHON=/path/to/python3.10 make run
MSG
    exit 1
  fi
  echo "bootstrap: creating $VENV with $PYTHON"
  "$PYTHON" -m venv "$VENV"
fi

STAMP="$VENV/.requirements.sha256"
WANT=$(cat requirements.txt requirements-dev.txt constraints.txt | sha256sum | cut -d' ' -f1)-$REQUIREMENTS
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$WANT" ]]; then
  exit 0
fi
pip_install() {
  # Some machines' pip configuration names local package folders that do not exist;
  # pip warns about each one for every package. Those lines say nothing about us.
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$@" 2>&1 \
    | { grep -v "is ignored: it is neither a file nor a directory" || true; }
  return "${PIPESTATUS[0]}"
}
echo "bootstrap: installing dependencies into $VENV (first time takes about 2 minutes)"
pip_install --upgrade "pip==24.0"
pip_install -r "$REQUIREMENTS" -c constraints.txt
echo "$WANT" > "$STAMP"
echo "bootstrap: dependencies ready"
