#!/usr/bin/env bash
# Create the project virtualenv with Python 3.11+ (used by `make`).
# Usage: scripts/bootstrap_venv.sh VENV_DIR
set -euo pipefail

venv="${1:-.venv}"

if [[ -x "$venv/bin/python" ]] && "$venv/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    exit 0
fi

python=""
for candidate in ${PYTHON:-} python3.11 python3.12 python3.13 python3; do
    if command -v "$candidate" >/dev/null 2>&1 \
        && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        python="$(command -v "$candidate")"
        break
    fi
done
if [[ -z "$python" ]]; then
    echo "error: Python 3.11 or newer is needed (tried python3.11, python3.12, python3.13, python3)." >&2
    echo "       On Debian/Ubuntu: sudo apt-get install python3.11 python3.11-venv" >&2
    exit 1
fi

echo "Creating $venv with $python ($("$python" --version 2>&1))"
rm -rf "$venv"
if "$python" -m venv "$venv" 2>/dev/null; then
    exit 0
fi

# Debian/Ubuntu ship ensurepip separately (python3.X-venv). Fall back to a venv
# without pip, bootstrapped from the pip wheel Debian keeps for virtualenvs.
rm -rf "$venv"
wheel="$(ls /usr/share/python-wheels/pip-*.whl 2>/dev/null | sort -V | tail -n 1 || true)"
if [[ -n "$wheel" ]] && "$python" -m venv --without-pip "$venv"; then
    "$venv/bin/python" "$wheel/pip" install --quiet "$wheel"
    exit 0
fi
rm -rf "$venv"
ver="$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
echo "error: '$python -m venv' failed: the venv module (ensurepip) is missing." >&2
echo "       On Debian/Ubuntu: sudo apt-get install python${ver}-venv   (then run make again)" >&2
exit 1
