#!/bin/bash
# structure.sh: the tree keeps the shape docs/architecture.md promises.
#  - no include cycle between modules of host/ or plugins/
#    (scripts/include-cycles.py);
#  - only host/jobs/jobstate.c writes etl_jobs and job_transitions.
set -euo pipefail
src=${abs_top_srcdir:?}
fail=0
check() { if "${@:2}"; then echo "ok - $1"; else echo "not ok - $1"; fail=1; fi; }

py=/usr/bin/python3
[ -x "$py" ] || { echo "not ok - $py is missing (Debian's python3)"; exit 1; }
for d in host plugins; do
	check "no include cycle in $d/" "$py" "$src/scripts/include-cycles.py" "$src/$d"
done

# A write is INSERT INTO / UPDATE / DELETE FROM one of the two tables.
writers=$(grep -rlE "(INSERT INTO|UPDATE|DELETE FROM)[[:space:]]+(etl_jobs|job_transitions)\b" \
	"$src/host" --include='*.c' --include='*.h' | sed "s|^$src/||" | sort -u)
echo "# writers of etl_jobs/job_transitions: ${writers:-none}"
check "only jobs/jobstate.c writes job state" test "$writers" = "host/jobs/jobstate.c"
exit "$fail"
