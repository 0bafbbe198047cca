#!/bin/bash
# Changes made from the command line are in the audit log (issue 18,
# docs/auth.md): integration add / set-secret / update, mapping set /
# reset / recompute, job depend / force / force-start / reset. Each once,
# with the actor "cli:LOGIN", its target and no secret value; and a change
# whose audit row cannot be written fails loudly instead of going
# unrecorded.
set -euo pipefail
. "$abs_top_srcdir/tests/db/warehouse-lib.sh"
wh_setup
T=$(wh_tenant audited)
ME=$(id -un)
SECRET='s3cr3t-value-must-not-appear'

printf '{"repos": 1}\n' > "$WH_DIR/i.json"
I=$(ph integration add --tenant audited --plugin sandbox --name src --config "$WH_DIR/i.json" --json |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
printf '%s\n' "$SECRET" | ph integration set-secret "$I" token > /dev/null
printf '{"repos": 2}\n' > "$WH_DIR/u.json"
ph integration update "$I" --config "$WH_DIR/u.json" > /dev/null
ph mapping set --integration "$I" --type Story --to story > /dev/null 2>&1
ph mapping reset --integration "$I" > /dev/null
ph mapping recompute --integration "$I" > /dev/null
I2=$(ph integration add --tenant audited --plugin sandbox --name other --config "$WH_DIR/i.json" --json |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
J=$(wh_sql "SELECT id FROM etl_jobs WHERE integration_id = $I")
J2=$(wh_sql "SELECT id FROM etl_jobs WHERE integration_id = $I2")
ph job depend "$J" --on "$J2" > /dev/null
ph job force "$J" PAUSED --reason "audit test" > /dev/null
ph job force-start "$J" --reason "audit test start" > /dev/null
ph job reset "$J" --reason "audit test reset" > /dev/null

ph audit --tenant audited --json > "$WH_DIR/audit.json"
check() { # check ACTION TARGET: exactly one row, by this user
	local n
	n=$(python3 - "$WH_DIR/audit.json" "$1" "$2" "cli:$ME" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
print(sum(1 for e in rows if e["action"] == sys.argv[2] and e["target"] == sys.argv[3]
          and e["actor"] == sys.argv[4]))
PY
)
	[ "$n" = 1 ] || wh_fail "audit: $1 on $2 by cli:$ME recorded $n times: $(cat "$WH_DIR/audit.json")"
}
check integration.create "integration:$I"
check integration.create "integration:$I2"
check integration.secret_set "integration:$I"
check integration.update "integration:$I"
check mapping.set "integration:$I"
check mapping.reset "integration:$I"
check mapping.recompute "integration:$I"
check job.depend "job:$J"
check job.force "job:$J"
check job.force-start "job:$J"
check job.reset "job:$J"
grep -q "$SECRET" "$WH_DIR/audit.json" && wh_fail "the secret's value is in the audit log"
wh_contains "$WH_DIR/audit.json" '"field":"token"'
wh_contains "$WH_DIR/audit.json" '"reason":"audit test start"'

# an audit row that cannot be written: the command says so and fails
wh_sql "ALTER TABLE audit_events ADD CONSTRAINT no_more CHECK (action <> 'mapping.recompute') NOT VALID"
wh_expect_fail "$WH_DIR/fail.err" ph mapping recompute --integration "$I"
wh_contains "$WH_DIR/fail.err" "the change was made, but recording it in the audit log failed"
wh_sql "ALTER TABLE audit_events DROP CONSTRAINT no_more"
echo "PASS: CLI changes audited once each, by their actor, without secrets; an unrecordable change fails"
