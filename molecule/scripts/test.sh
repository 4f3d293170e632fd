#!/usr/bin/env bash
# molecule test -s SCENARIO, its output also saved to build/logs/molecule-SCENARIO.log;
# when the scenario fails, the tasks that failed are printed again at the very end
# (molecule/scripts/failed_tasks.py), so that the last lines of a CI log say why.
#
# usage: molecule/scripts/test.sh SCENARIO [MOLECULE-TEST-ARGS...]
# Exit status: molecule's.
set -uo pipefail

[ $# -ge 1 ] || { echo "usage: $0 SCENARIO [ARGS...]" >&2; exit 2; }
scenario=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
logs=$here/../../build/logs
mkdir -p "$logs"
log=$logs/molecule-$scenario.log

molecule test -s "$scenario" "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
if [ "$rc" -ne 0 ]; then
    python3 "$here/failed_tasks.py" "$log" "molecule $scenario" || true
fi
exit "$rc"
