#!/bin/bash
# job depend: the orchestrator's pick (orch_due_jobs) holds a job back
# until the jobs it depends on have FINISHED since its last start; cycles
# are refused with the cycle named; the API's job rows carry depends_on.
# job force: any state but RUNNING, recorded with reason and actor; bad
# states refused with a clear message.
set -euo pipefail
. "$abs_top_srcdir/tests/db/warehouse-lib.sh"
wh_setup

T=$(wh_tenant alpha)
O=$(wh_tenant other)
wh_sql "INSERT INTO integrations (tenant_id, name, type, plugin) VALUES ($T, 'github', 'Data', 'sandbox'), ($T, 'jira', 'Data', 'sandbox'), ($T, 'hk', 'Data', 'sandbox'), ($O, 'x', 'Data', 'sandbox')"
wh_sql "INSERT INTO etl_jobs (tenant_id, integration_id) SELECT tenant_id, id FROM integrations ORDER BY id"
job() { wh_sql "SELECT j.id FROM etl_jobs j JOIN integrations i ON i.id = j.integration_id WHERE i.name = '$1'"; }
G=$(job github); J=$(job jira); H=$(job hk); X=$(job x)

ph job depend "$H" --on "$G" --on "$J" > "$WH_DIR/dep.out"
wh_contains "$WH_DIR/dep.out" "job $H (hk) after job $G (github, NOT_STARTED): waiting"
ph job depend --tenant alpha --json > "$WH_DIR/dep.json"
[ "$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))))" "$WH_DIR/dep.json")" = 2 ] || wh_fail "tenant graph: $(cat "$WH_DIR/dep.json")"

# cycles and bad edges are refused, nothing saved
wh_expect_fail "$WH_DIR/cyc.err" ph job depend "$G" --on "$H"
wh_contains "$WH_DIR/cyc.err" "job $G cannot depend on job $H: that would make a cycle (job $G -> job $H -> job $G)"
wh_expect_fail "$WH_DIR/self.err" ph job depend "$G" --on "$G"
wh_contains "$WH_DIR/self.err" "cannot depend on itself"
wh_expect_fail "$WH_DIR/x.err" ph job depend "$G" --on "$X"
wh_contains "$WH_DIR/x.err" "job $X not found in this tenant"
[ "$(wh_sql "SELECT count(*) FROM job_dependencies")" = 2 ] || wh_fail "a refused edge was saved"
# a longer cycle, refused in the same transaction as a valid edge
wh_expect_fail "$WH_DIR/cyc2.err" ph job depend "$J" --remove "$G" --on "$G" --on "$H"
wh_contains "$WH_DIR/cyc2.err" "job $J -> job $H -> job $J"
wh_contains "$WH_DIR/cyc2.err" "nothing changed"
[ "$(wh_sql "SELECT count(*) FROM job_dependencies")" = 2 ] || wh_fail "half of a refused edit was saved"

due() { wh_sql "SELECT string_agg(job_id::text, ',' ORDER BY job_id) FROM orch_due_jobs(100) WHERE tenant_id = $T"; }
# never run: github and jira are due, hk waits for both
[ "$(due)" = "$G,$J" ] || wh_fail "due at first: $(due), expected $G,$J"
wh_sql "UPDATE etl_jobs SET state = 'FINISHED', last_started_at = now() - interval '2 min', last_finished_at = now() - interval '1 min', next_run_at = now() + interval '1 hour' WHERE id = $G"
[ "$(due)" = "$J" ] || wh_fail "after github only: $(due), expected $J"
wh_sql "UPDATE etl_jobs SET state = 'RUNNING' WHERE id = $J"
[ -z "$(due)" ] || wh_fail "hk picked while jira runs: $(due)"
wh_sql "UPDATE etl_jobs SET state = 'FINISHED', last_finished_at = now(), next_run_at = now() + interval '1 hour' WHERE id = $J"
[ "$(due)" = "$H" ] || wh_fail "both finished: $(due), expected $H"
# hk ran after them; its next cycle waits for their next finish
wh_sql "UPDATE etl_jobs SET state = 'FINISHED', last_started_at = now() + interval '1 second', last_finished_at = now() + interval '2 seconds', next_run_at = now() - interval '1 second' WHERE id = $H"
[ -z "$(due)" ] || wh_fail "hk due again before its dependencies finished again: $(due)"
# an error retry continues its cycle: it does not wait
wh_sql "UPDATE etl_jobs SET state = 'ERROR' WHERE id = $H"
[ "$(due)" = "$H" ] || wh_fail "hk's retry after an error waited for its dependencies"
ph job depend "$H" --json > "$WH_DIR/h.json"
wh_contains "$WH_DIR/h.json" '"satisfied":false'
ph job depend "$H" --remove "$J" > /dev/null
[ "$(wh_sql "SELECT string_agg(depends_on::text, ',') FROM job_dependencies WHERE job_id = $H")" = "$G" ] || wh_fail "--remove"

# force
wh_expect_fail "$WH_DIR/f1.err" ph job force "$G" BOGUS --reason x
wh_contains "$WH_DIR/f1.err" "'BOGUS' is not a state a job can be forced into; use one of NOT_STARTED, PENDING, FINISHED, ERROR, PAUSED"
wh_expect_fail "$WH_DIR/f2.err" ph job force "$G" RUNNING --reason x
wh_contains "$WH_DIR/f2.err" "RUNNING only comes from a job process"
wh_expect_fail "$WH_DIR/f3.err" ph job force "$G" PAUSED
wh_contains "$WH_DIR/f3.err" "--reason TEXT is required"
wh_expect_fail "$WH_DIR/f4.err" ph job force "$G" FINISHED --reason x
wh_contains "$WH_DIR/f4.err" "already FINISHED"
wh_expect_fail "$WH_DIR/f5.err" ph job force 999999 PAUSED --reason x
wh_contains "$WH_DIR/f5.err" "job 999999 not found"
n0=$(wh_sql "SELECT count(*) FROM job_transitions")
[ "$n0" = 0 ] || wh_fail "refused forces left transitions"
ph job force "$G" NOT_STARTED --reason "reset after the outage" --json > "$WH_DIR/f.json"
wh_contains "$WH_DIR/f.json" '"from":"FINISHED","to":"NOT_STARTED","actor":"cli:'
row=$(wh_sql "SELECT from_state || '|' || to_state || '|' || reason || '|' || (actor LIKE 'cli:%') FROM job_transitions WHERE job_id = $G")
[ "$row" = "FINISHED|NOT_STARTED|forced: reset after the outage|true" ] || wh_fail "transition row: $row"
[ "$(wh_sql "SELECT state || '|' || (next_run_at IS NULL) FROM etl_jobs WHERE id = $G")" = "NOT_STARTED|true" ] || wh_fail "job row after force"
ph job force "$G" ERROR --reason "bad token" > "$WH_DIR/f2.out"
wh_contains "$WH_DIR/f2.out" "NOT_STARTED -> ERROR"
[ "$(wh_sql "SELECT last_error FROM etl_jobs WHERE id = $G")" = "forced by $(wh_sql "SELECT actor FROM job_transitions WHERE job_id = $G ORDER BY id DESC LIMIT 1"): bad token" ] ||
	wh_fail "last_error of a forced ERROR"
echo "PASS: dependencies hold jobs back, cycles refused, forced states recorded with reason and actor"
