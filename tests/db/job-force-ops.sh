#!/bin/bash
# Dependencies: a prerequisite that failed in the cycle skips the
# dependent (reason recorded, next run one interval away) or, with
# --on-failure run, lets it run; a transient error with retries left
# skips nothing. `job deps --tenant` prints the graph (text and JSON) with
# the housekeeping system job; `job list` shows it.
# Force operations: force-stop, force-start, reset [--clear-checkpoint],
# each recorded with actor and reason, refused where they make no sense;
# the same on the housekeeping system job.
set -euo pipefail
. "$abs_top_srcdir/tests/db/warehouse-lib.sh"
wh_setup
jq_() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

T=$(wh_tenant alpha)
wh_sql "INSERT INTO integrations (tenant_id, name, type, plugin) VALUES ($T, 'github', 'Data', 'sandbox'), ($T, 'jira', 'Data', 'sandbox'), ($T, 'hk', 'Data', 'sandbox')"
wh_sql "INSERT INTO etl_jobs (tenant_id, integration_id) SELECT tenant_id, id FROM integrations ORDER BY id"
job() { wh_sql "SELECT j.id FROM etl_jobs j JOIN integrations i ON i.id = j.integration_id WHERE i.name = '$1'"; }
G=$(job github); J=$(job jira); H=$(job hk)
IG=$(wh_sql "SELECT integration_id FROM etl_jobs WHERE id = $G")
IJ=$(wh_sql "SELECT integration_id FROM etl_jobs WHERE id = $J")

ph job depend "$H" --on "$G" --on "$J" > /dev/null
ph job depend "$H" --on-failure run > "$WH_DIR/of.out"
wh_contains "$WH_DIR/of.out" "on failure: run"
ph job depend "$H" --on "$J" --on-failure skip > /dev/null
[ "$(wh_sql "SELECT string_agg(depends_on || ':' || on_failure, ',' ORDER BY depends_on) FROM job_dependencies WHERE job_id = $H")" = "$G:run,$J:skip" ] ||
	wh_fail "on_failure per edge: $(wh_sql "SELECT string_agg(depends_on || ':' || on_failure, ',') FROM job_dependencies")"
wh_expect_fail "$WH_DIR/of.err" ph job depend "$H" --on-failure maybe
wh_contains "$WH_DIR/of.err" "on-failure 'maybe': use skip"

# this cycle: github finished, jira failed for good; hk is due
wh_sql "UPDATE etl_jobs SET state = 'FINISHED', last_started_at = now() - interval '1 hour', last_finished_at = now() - interval '50 minutes', next_run_at = now() - interval '1 second' WHERE id = $H"
wh_sql "UPDATE etl_jobs SET state = 'FINISHED', last_started_at = now() - interval '2 min', last_finished_at = now() - interval '1 min', next_run_at = now() + interval '1 hour' WHERE id = $G"
# a transient error with retries left is not a failure yet
wh_sql "UPDATE etl_jobs SET state = 'ERROR', last_started_at = now() - interval '1 min', last_error = 'rate limited', last_error_class = 'transient', retry_count = 1, max_retries = 5, next_run_at = now() + interval '1 hour' WHERE id = $J"
due() { wh_sql "SELECT coalesce(string_agg(job_id::text, ',' ORDER BY job_id), '') FROM orch_due_jobs(100) WHERE tenant_id = $T"; }
[ "$(wh_sql "SELECT count(*) FROM orch_skip_failed_deps()")" = 0 ] || wh_fail "skipped on a transient error with retries left"
[ -z "$(due)" ] || wh_fail "due while jira is retrying: $(due)"
wh_sql "UPDATE etl_jobs SET last_error = 'token rejected (401)', last_error_class = 'permanent' WHERE id = $J"
[ "$(wh_sql "SELECT job_id || '|' || reason FROM orch_skip_failed_deps()")" = "$H|skipped: job $J (jira) failed: token rejected (401)" ] ||
	wh_fail "the failed prerequisite did not skip hk"
[ "$(wh_sql "SELECT from_state || '|' || to_state || '|' || reason FROM job_transitions WHERE job_id = $H")" = "FINISHED|FINISHED|skipped: job $J (jira) failed: token rejected (401)" ] ||
	wh_fail "the skip is not recorded with its reason"
[ "$(wh_sql "SELECT next_run_at > now() + interval '3 hours' FROM etl_jobs WHERE id = $H")" = t ] || wh_fail "a skipped job's next run is not one interval away"
[ -z "$(due)" ] || wh_fail "hk due after its skip: $(due)"
[ "$(wh_sql "SELECT count(*) FROM orch_skip_failed_deps()")" = 0 ] || wh_fail "skipped twice in one cycle"
# run anyway: the same failure lets hk run
wh_sql "UPDATE job_dependencies SET on_failure = 'run' WHERE job_id = $H"
wh_sql "UPDATE etl_jobs SET next_run_at = now() - interval '1 second', last_started_at = now() - interval '1 hour' WHERE id = $H"
[ "$(due)" = "$H" ] || wh_fail "on_failure run: hk not due ($(due))"

# the graph
ph job deps --tenant alpha > "$WH_DIR/deps.txt"
wh_contains "$WH_DIR/deps.txt" "tenant alpha ($T): 3 jobs, 2 edges"
wh_contains "$WH_DIR/deps.txt" "job $H hk (sandbox, FINISHED)"
wh_contains "$WH_DIR/deps.txt" "  after job $G github (FINISHED): finished since; on failure: run"
wh_contains "$WH_DIR/deps.txt" "  after job $J jira (ERROR): failed, runs anyway; on failure: run"
wh_contains "$WH_DIR/deps.txt" "system job housekeeping (NOT_STARTED, every 3600 s)"
ph job deps --tenant alpha --json > "$WH_DIR/deps.json"
[ "$(jq_ "$WH_DIR/deps.json" "sorted((e['job_id'], e['after'], e['satisfied']) for e in d['edges'])")" = "[($H, $G, True), ($H, $J, True)]" ] ||
	{ cat "$WH_DIR/deps.json"; wh_fail "deps --json edges"; }
[ "$(jq_ "$WH_DIR/deps.json" "[s['name'] for s in d['system_jobs']]")" = "['housekeeping']" ] || wh_fail "deps --json: system jobs"
wh_expect_fail "$WH_DIR/deps.err" ph job deps
wh_contains "$WH_DIR/deps.err" "usage: pulse-host job deps --tenant T"
ph job list --json > "$WH_DIR/list.json"
[ "$(jq_ "$WH_DIR/list.json" "(len(d['jobs']), [s['name'] + ':' + s['state'] for s in d['system_jobs']])")" = "(3, ['housekeeping:NOT_STARTED'])" ] ||
	{ cat "$WH_DIR/list.json"; wh_fail "job list --json"; }
ph job list --tenant alpha > "$WH_DIR/list.txt"
wh_contains "$WH_DIR/list.txt" "housekeeping"

# force operations
wh_sql "INSERT INTO integration_state (tenant_id, integration_id, key, value) VALUES ($T, $IG, 'cursor', 'abc'), ($T, $IG, 'page', '9'), ($T, $IJ, 'page', '4')"
wh_expect_fail "$WH_DIR/r.err" ph job force-stop "$G"
wh_contains "$WH_DIR/r.err" "--reason TEXT is required"
ph job force-stop "$G" --reason "wrong token" --json > "$WH_DIR/fs.json"
wh_contains "$WH_DIR/fs.json" '"from":"FINISHED","to":"ERROR"'
[ "$(wh_sql "SELECT last_error || '|' || (next_run_at > now() + interval '3 hours') FROM etl_jobs WHERE id = $G")" = "stopped by operator: wrong token|true" ] ||
	wh_fail "force-stop: last_error or next run"
last() { wh_sql "SELECT from_state || '|' || to_state || '|' || reason || '|' || (actor LIKE 'cli:%') FROM job_transitions WHERE job_id = $1 ORDER BY id DESC LIMIT 1"; }
[ "$(last "$G")" = "FINISHED|ERROR|forced: stopped by operator: wrong token|true" ] || wh_fail "force-stop transition: $(last "$G")"
ph job force-start "$G" --reason "token fixed" > "$WH_DIR/fst.out"
wh_contains "$WH_DIR/fst.out" "job $G: ERROR -> PENDING (force-start by cli:"
[ "$(last "$G")" = "ERROR|PENDING|forced: force-start: token fixed|true" ] || wh_fail "force-start transition: $(last "$G")"
[ "$(due | cut -d, -f1)" = "$G" ] || wh_fail "force-started job not first in the pick: $(due)"
wh_expect_fail "$WH_DIR/fst.err" ph job force-start "$G" --reason again
wh_contains "$WH_DIR/fst.err" "is PENDING already"
ph job reset "$G" --clear-checkpoint --reason "full resync" > "$WH_DIR/rs.out"
wh_contains "$WH_DIR/rs.out" "PENDING -> NOT_STARTED (reset by cli:"
wh_contains "$WH_DIR/rs.out" "checkpoint cleared (2 entries)"
[ "$(last "$G")" = "PENDING|NOT_STARTED|forced: reset (checkpoint cleared): full resync|true" ] || wh_fail "reset transition: $(last "$G")"
[ "$(wh_sql "SELECT string_agg(integration_id || ':' || key, ',') FROM integration_state")" = "$IJ:page" ] || wh_fail "reset cleared more or less than github's checkpoint"
ph job reset "$J" --reason "keep cursor" > /dev/null
[ "$(wh_sql "SELECT count(*) FROM integration_state WHERE integration_id = $IJ")" = 1 ] || wh_fail "reset without --clear-checkpoint removed it"
# a job running on another host: refused, nothing changed
wh_sql "UPDATE etl_jobs SET state = 'RUNNING', owner = 'elsewhere.example:4242' WHERE id = $J"
n=$(wh_sql "SELECT count(*) FROM job_transitions")
wh_expect_fail "$WH_DIR/rr.err" ph job reset "$J" --reason x
wh_contains "$WH_DIR/rr.err" "is RUNNING: force-stop it first"
wh_expect_fail "$WH_DIR/fr.err" ph job force-stop "$J" --reason x
wh_contains "$WH_DIR/fr.err" "runs on another host (elsewhere.example:4242)"
[ "$(wh_sql "SELECT count(*) FROM job_transitions")" = "$n" ] || wh_fail "a refused force left a transition"
[ "$(wh_sql "SELECT state FROM etl_jobs WHERE id = $J")" = RUNNING ] || wh_fail "a refused force changed the job"

# the housekeeping system job
ph job force-start housekeeping --reason "after the restore" > "$WH_DIR/hs.out"
wh_contains "$WH_DIR/hs.out" "job housekeeping: force-start from NOT_STARTED by cli:"
ph job force-stop housekeeping --reason "not now" --json > "$WH_DIR/hst.json"
wh_contains "$WH_DIR/hst.json" '"action":"force-stop","from":"NOT_STARTED"'
[ "$(wh_sql "SELECT string_agg(from_state || '>' || to_state || ':' || reason || ':' || (actor LIKE 'cli:%'), ',' ORDER BY id) FROM system_job_transitions")" = \
  "NOT_STARTED>NOT_STARTED:force-start: after the restore:true,NOT_STARTED>ERROR:stopped by operator: not now:true" ] ||
	wh_fail "system job transitions: $(wh_sql "SELECT string_agg(from_state || '>' || to_state || ':' || reason, ',' ORDER BY id) FROM system_job_transitions")"
wh_expect_fail "$WH_DIR/hc.err" ph job reset housekeeping --clear-checkpoint --reason x
wh_contains "$WH_DIR/hc.err" "has no checkpoint"
# tenants read system jobs; only the functions write them
[ "$(wh_app_sql "BEGIN; SET LOCAL app.tenant_id = '$T'; SELECT state FROM system_jobs; COMMIT;")" = ERROR ] || wh_fail "a tenant does not see the system job"
wh_app_sql "BEGIN; SET LOCAL app.tenant_id = '$T'; UPDATE system_jobs SET state = 'FINISHED'; COMMIT;" > /dev/null 2>&1 || :
[ "$(wh_sql "SELECT state FROM system_jobs")" = ERROR ] || wh_fail "the app role wrote system_jobs directly"
echo "PASS: failed prerequisites skip or run, the graph, force-stop/start/reset recorded with actor and reason"
