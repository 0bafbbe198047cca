#!/bin/bash
# jira-timezone: JQL date literals are read in the API user's time zone.
# For a user in America/Los_Angeles (UTC-7 in summer) and one in
# Asia/Kolkata (UTC+5:30, with timestamps rendered in UTC), issues changed
# a minute after the watermark, and one changed five minutes before it
# (late indexing; the sync's overlap window), are all picked up by the
# incremental sync, and the literal sent equals the watermark minus 15
# minutes in the user's zone (computed here with Node's Intl, not ours).
set -euo pipefail
. "$abs_top_srcdir/tests/connectors/jira-lib.sh"

# check_zone ZONE SANDBOX_ARGS...: one site, full + incremental sync.
check_zone() {
	local zone=$1 id wm lit want before
	shift
	if [ -n "$JR_SANDBOX_PID" ]; then
		kill -TERM "$JR_SANDBOX_PID"
		harness_wait_exit "$JR_SANDBOX_PID" 10 || jr_fail "sandbox did not stop"
	fi
	jr_start_sandbox --seed tz --projects 1 --issues 30 --user-tz "$zone" "$@"
	id=$(jr_integration '{}')
	jr_run_ok "$id"
	jr_verify "$id"
	wm=$(jr_sql "SELECT value::json->>'watermark' FROM integration_state
		WHERE integration_id = $id AND key = 'synced'")
	[ -n "$wm" ] || jr_fail "no watermark after the first sync"
	# one change a minute after the watermark, one five minutes before
	before=$(node -e 'process.stdout.write(new Date(Date.parse(process.argv[1]) - 300000).toISOString())' "$wm")
	jr_api POST /_sandbox/clock "{\"set\": \"$before\"}" >/dev/null
	jr_api POST /_sandbox/mutate '[{"op": "edit_issue", "key": "PLAT-2", "summary": "late index"}]' >/dev/null
	jr_api POST /_sandbox/clock '{"advance": 360}' >/dev/null
	jr_api POST /_sandbox/mutate '[{"op": "edit_issue", "key": "PLAT-4", "summary": "just after"},
		{"op": "transition", "key": "PLAT-5", "to": "Blocked"}]' >/dev/null
	jr_run_ok "$id"
	lit=$(jr_sql "SELECT substring(request_params->>'jql' FROM 'updated >= \"([^\"]*)\"')
		FROM raw_extraction_data WHERE integration_id = $id AND entity = 'issues'
		ORDER BY id DESC LIMIT 1")
	want=$(node -e '
		const t = new Date(Date.parse(process.argv[1]) - 15 * 60000);
		const p = Object.fromEntries(new Intl.DateTimeFormat("en-CA", { timeZone: process.argv[2],
			year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
			hourCycle: "h23" }).formatToParts(t).map(x => [x.type, x.value]));
		process.stdout.write(`${p.year}/${p.month}/${p.day} ${p.hour}:${p.minute}`);
	' "$wm" "$zone")
	jr_eq "$zone: JQL literal for watermark $wm" "$lit" "$want"
	jr_verify "$id"
	for k in PLAT-2 PLAT-4 PLAT-5; do
		n=$(jr_sql "SELECT count(*) FROM work_items WHERE integration_id = $id AND key = '$k'
			AND updated_at >= '$before'::timestamptz")
		jr_eq "$zone: $k changed near the watermark is loaded" "$n" 1
	done
}

jr_setup jira-timezone --seed tz --projects 1 --issues 30
check_zone America/Los_Angeles
check_zone Asia/Kolkata --utc-timestamps
jr_log "PASS"
