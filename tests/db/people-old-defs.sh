#!/bin/bash
# people-old-defs.sh SRCDIR: print migration 104's people_resolve and
# people_commit_email_conflicts, renamed people_resolve_104 and
# people_commit_email_conflicts_104: the per-user loop that 110 and 113
# replaced, the reference that tests/db/people-resolve-set.sh and
# tests/bench/people-bench.sh compare them with. Read from the migration
# itself, so the reference is what 104 shipped. Load the output as a
# superuser into a migrated database.
set -euo pipefail
mig=$1/host/db/migrations/104_people_commit_emails.sql
out=$(awk '
/^CREATE (OR REPLACE )?FUNCTION people_resolve\(/ {
	on = 1; last = "^END \\$\\$;$"
	sub(/FUNCTION people_resolve\(/, "FUNCTION people_resolve_104(")
}
/^CREATE (OR REPLACE )?FUNCTION people_commit_email_conflicts\(/ {
	on = 1; last = "^    \\$\\$;$"
	sub(/FUNCTION people_commit_email_conflicts\(/,
	    "FUNCTION people_commit_email_conflicts_104(")
}
on {
	sub(/^CREATE FUNCTION/, "CREATE OR REPLACE FUNCTION")
	print
	if ($0 ~ last) { on = 0; print "" }
}' "$mig")
n=$(grep -c '^CREATE OR REPLACE FUNCTION people_[a-z_]*_104(' <<< "$out") || n=0
if [ "$n" != 2 ]; then
	echo "people-old-defs.sh: found $n of the 2 functions in $mig" >&2
	exit 1
fi
printf '%s\n' "$out"
