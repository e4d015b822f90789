#!/bin/sh
# CTest driver for the Python kit's tests: finds a Python that has pytest, or SKIPs (exit 77) saying so.
# Usage: run_pytest.sh PROVKIT_BINARY [source|installed]
#   source     the kit from this source tree (default)
#   installed  `pip install` the kit into a scratch folder first (offline, no build isolation needed) and
#              run the fixture tests against that copy, its pytest11 entry point included
set -eu
provkit="${1:?usage: run_pytest.sh PROVKIT_BINARY [source|installed]}"
mode="${2:-source}"
kit="$(cd "$(dirname "$0")/.." && pwd)"

python=""
for candidate in ${PROVKIT_PYTHON:-} python3 /usr/bin/python3; do
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c "import pytest" >/dev/null 2>&1; then
    python="$candidate"
    break
  fi
done
if [ -z "$python" ]; then
  echo "SKIP: no Python with pytest found (tried \$PROVKIT_PYTHON, python3, /usr/bin/python3);" \
       "install python3-pytest (ci/deps does)" >&2
  exit 77
fi

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
export PYTHONDONTWRITEBYTECODE=1
case "$mode" in
  source)
    cd "$scratch"
    exec "$python" -m pytest -q -p no:cacheprovider "$kit/tests" --provkit="$provkit" ;;
  installed)
    installer=""  # any pip will do: the kit is pure Python, installed into a folder for $python to import
    for candidate in "$python" python3 /usr/bin/python3; do
      if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -m pip --version >/dev/null 2>&1; then
        installer="$candidate"
        break
      fi
    done
    if [ -z "$installer" ]; then
      echo "run_pytest.sh: no Python with pip found to install the kit; install python3-pip (ci/deps does)" >&2
      exit 1
    fi
    "$installer" -m pip install --quiet --disable-pip-version-check --no-index --target "$scratch/site" "$kit"
    # Only the fixture tests, from a copy without the source tree's conftest: the installed plugin serves them.
    cp "$kit/tests/test_mock_fixture.py" "$scratch/"
    cd "$scratch"
    PYTHONPATH="$scratch/site" exec "$python" -m pytest -q -p no:cacheprovider --provkit="$provkit" \
      test_mock_fixture.py ;;
  *) echo "run_pytest.sh: unknown mode '$mode' (source or installed)" >&2; exit 2 ;;
esac
