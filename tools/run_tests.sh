#!/usr/bin/env bash
# README command 2: set up the environment and run the test suite.
# Extra arguments go to pytest (e.g. -m slow for the long training runs).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup_env.sh
VENV=${MMZEDO_VENV:-.venv}
if [ $# -eq 0 ]; then set -- -m "not slow"; fi
exec "$VENV/bin/python" -m pytest tests "$@"
