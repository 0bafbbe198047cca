# tests/chaos/chaos-lib.sh: the set-up and the checks of the chaos suite
# (sourced by tests/chaos/chaos.sh; see docs/testing.md, "Chaos").
#
#   ch_setup                private PostgreSQL + RabbitMQ (the suite's
#                           shared servers are never killed), the OpenAI
#                           sandbox (embeddings); CH_DIR
#   ch_trial_setup SEED     a database, a config, tenants "ref"
#                           and "chaos" with the same sandbox settings and
#                           an embedding route each; CH_T (the trial dir),
#                           CH_REF/CH_CHAOS (tenant ids), CH_IREF/CH_ICHAOS
#   ch_reference            the clean run of tenant ref: in-process job
#                           run, then vectorization to the end
#   ch_start NAME ENV...    start a process of the trial (job, worker,
#                           vzworker, daemon) with extra environment;
#                           CH_PID[NAME]
#   ch_daemon_setup         before a daemon trial: its config, the
#                           reference's job paused (the daemon runs only
#                           the chaos tenant's)
#   ch_compare              the chaos tenant's final state against ref's
#   ch_kill_pg, ch_kill_rmq SIGKILL the server, restart it on its dir
. "$abs_top_srcdir/tests/harness/lib.sh"

B=${PULSE_HOST_BIN:-$abs_top_builddir/host/pulse-host}
CH_DIR=
CH_T=
CH_DB=
declare -A CH_PID=()
declare -A CH_RUNS=()
CH_TABLES="repositories prs prs_commits prs_reviews prs_comments"

ch_log() { printf 'chaos: %s\n' "$*" >&2; }

# ch_trial_fail MSG: the trial failed; its logs' tails go to stderr.
ch_trial_fail() {
	local f
	ch_log "FAIL: $*"
	for f in "$CH_T"/*.log; do
		[ -f "$f" ] || continue
		printf -- '--- %s (last 15 lines)\n' "${f##*/}" >&2
		tail -n 15 "$f" >&2
	done
	CH_FAIL=$*
	return 1
}

ch_kill_all() {
	local n
	for n in "${!CH_PID[@]}"; do
		kill -KILL "${CH_PID[$n]}" 2>/dev/null || :
		kill -CONT "${CH_PID[$n]}" 2>/dev/null || :
	done
	for n in "${!CH_PID[@]}"; do
		wait "${CH_PID[$n]}" 2>/dev/null || :
		unset "CH_PID[$n]"
	done
}

ch_trial_cleanup() {
	ch_kill_all
	pg_running "$CH_DIR/pg" && harness_app_db_drop "$CH_DB"
	CH_DB=
	[ -z "$CH_T" ] || harness_release_ports "$CH_T"
	[ -z "$CH_T" ] || rm -rf "$CH_T"
}

ch_cleanup() {
	ch_trial_cleanup
	[ -z "${CH_OAI_PID:-}" ] || kill "$CH_OAI_PID" 2>/dev/null || :
	[ -z "${CH_OAI_PID:-}" ] || wait "$CH_OAI_PID" 2>/dev/null || :
	[ -z "$CH_DIR" ] || harness_destroy "$CH_DIR"
}

ch_setup() {
	CH_DIR=$(harness_mktemp)
	trap ch_cleanup EXIT
	pg_start "$CH_DIR/pg" || { ch_log "PostgreSQL did not start"; exit 99; }
	rmq_start "$CH_DIR/rmq" || { ch_log "RabbitMQ did not start"; exit 99; }
	# One vhost (/) for every trial: rabbitmqctl costs seconds a call.
	# What a passed trial leaves queued (a sweep's duplicate) finds its
	# rows completed in the next trial's database: a no-op, acked.
	CH_BROKER=$(rmq_url "$CH_DIR/rmq")
	# harness_app_db makes the trial databases on this server
	PULSE_TEST_PG_ADMIN_URL=$(pg_admin_url "$CH_DIR/pg")
	export PULSE_TEST_PG_ADMIN_URL PULSE_HOST_BIN=$B
	command -v node >/dev/null || { ch_log "node is not installed"; exit 99; }
	node "$abs_top_srcdir/tests/sandbox/openai/server.js" --port 0 \
		--port-file "$CH_DIR/oai.port" > "$CH_DIR/oai.log" 2>&1 &
	CH_OAI_PID=$!
	harness_wait_for 30 "the OpenAI sandbox" test -s "$CH_DIR/oai.port" ||
		{ cat "$CH_DIR/oai.log" >&2; exit 99; }
	CH_OAI=http://127.0.0.1:$(cat "$CH_DIR/oai.port")
}

ph() { "$B" -c "$CH_T/pulse.conf" "$@"; }
# ch_sql SQL: one query as superuser in the trial database ("" if down)
ch_sql() { PGCONNECT_TIMEOUT=5 psql -X -q -At -v ON_ERROR_STOP=1 "$CH_ADMIN" -c "$1"; }

# ch_tenant NAME SETTINGS: tenant + embedding route + sandbox integration;
# prints "TENANT_ID INTEGRATION_ID"
ch_tenant() {
	local t i
	t=$(ph tenant add "$1" --json | harness_json_get id) || return 1
	printf '{"base_url": "%s", "embedding_model": "sandbox-embed"}\n' "$CH_OAI" > "$CH_T/emb-$1.json"
	ph integration add --tenant "$1" --plugin gateway-embed --name emb \
		--type Embedding --config "$CH_T/emb-$1.json" --json > "$CH_T/emb-$1.out" || return 1
	printf '%s\n' "$2" > "$CH_T/sb-$1.json"
	i=$(ph integration add --tenant "$1" --plugin sandbox --name sb \
		--config "$CH_T/sb-$1.json" --json | harness_json_get id) || return 1
	printf '%s %s\n' "$t" "$i"
}

ch_trial_setup() {
	local seed=$1
	CH_T=$(mktemp -d "$CH_DIR/trial-$seed.XXXXXX")
	CH_DB=chaos_${seed}_$(harness_random_hex 6)
	CH_FAIL=
	harness_app_db "$CH_DB" "$CH_T" || return 1
	CH_ADMIN=$HARNESS_DB_ADMIN_URL
	export PULSE_HOST_DATABASE_URL=$HARNESS_DB_APP_URL
	export PULSE_HOST_BROKER_URL=$CH_BROKER
	# stale_seconds 2: the recovery sweeps find a dead process's claims
	# quickly (as worker-lib.sh does)
	cat > "$CH_T/pulse.conf" <<-CONF
	key_file = "$CH_T/secret.key";
	plugin_dirs = ["$abs_top_builddir/plugins/source-sandbox/.libs",
		"$abs_top_builddir/plugins/provider-gateway/.libs"];
	jobs = { max_attempts = 5; stale_seconds = 2; };
	http = { allow_hosts = ["127.0.0.1", "localhost"]; };
	CONF
	read -r CH_REF CH_IREF < <(ch_tenant ref "$CH_SETTINGS") || return 1
	read -r CH_CHAOS CH_ICHAOS < <(ch_tenant chaos "$CH_SETTINGS") || return 1
	[ -n "$CH_ICHAOS" ] || return 1
}

# The clean run: everything in-process, nothing killed.
ch_reference() {
	local i
	ph job run --in-process --quiet "$CH_IREF" > "$CH_T/ref.log" 2>&1 ||
		{ ch_trial_fail "the reference job run failed"; return 1; }
	for i in 1 2 3 4 5; do
		ph vectorize run --tenant ref --json > "$CH_T/ref-vz.log" 2>&1 ||
			{ ch_trial_fail "the reference vectorize run failed"; return 1; }
		[ "$(ch_vz_open "$CH_REF")" = 0 ] && return 0
	done
	ch_trial_fail "the reference vectorization left rows open"
}

# ch_start NAME [VAR=VALUE...]: start process NAME (job*, worker*,
# vzworker*) of the chaos tenant; its log is CH_T/NAME-K.log.
ch_start() {
	local name=$1 log k
	shift
	k=$(( ${CH_RUNS[$name]:-0} + 1 ))
	CH_RUNS[$name]=$k
	log=$CH_T/$name-$k.log
	case $name in
	job) env "$@" "$B" -c "$CH_T/pulse.conf" job run --quiet --wait-timeout 300 \
		"$CH_ICHAOS" > "$log" 2>&1 & ;;
	worker) env "$@" "$B" -c "$CH_T/pulse.conf" worker --roles transform,load \
		--prefetch 4 > "$log" 2>&1 & ;;
	vzworker) env "$@" "$B" -c "$CH_T/pulse.conf" worker --roles vectorize \
		--prefetch 8 > "$log" 2>&1 & ;;
	daemon) env "$@" "$B" -c "$CH_T/daemon.conf" run > "$log" 2>&1 & ;;
	*) ch_log "ch_start: unknown process $name"; return 1 ;;
	esac
	CH_PID[$name]=$!
}

# ch_daemon_setup: the daemon's config (the trial's, plus a listen port and
# the orchestrating roles only: the workers are separate processes, as in
# the other trials; housekeeping off), and the reference's job paused.
ch_daemon_setup() {
	local port
	port=$(harness_free_port "$CH_T") || return 1
	{ cat "$CH_T/pulse.conf"
	  printf 'listen = "127.0.0.1:%s";\n' "$port"
	  printf 'jwt_key_file = "%s/jwt.key";\n' "$CH_T"
	  printf 'worker_roles = ["server", "orchestrator", "extract"];\n'
	  printf 'housekeeping = { interval_seconds = 0; };\n'
	} > "$CH_T/daemon.conf"
	ch_sql "UPDATE etl_jobs SET state = 'PAUSED' WHERE integration_id = $CH_IREF" >/dev/null
}

# ch_job_state: the state of the chaos tenant's job
ch_job_state() { ch_sql "SELECT state FROM etl_jobs WHERE integration_id = $CH_ICHAOS"; }

# ch_stopped_child PID: print a stopped child of PID (the daemon's job
# process frozen at a failpoint); false if none.
ch_stopped_child() {
	local c
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		ch_stopped "$c" && { printf '%s\n' "$c"; return 0; }
	done
	return 1
}

# ch_stopped PID: true if PID is stopped (a failpoint's stop action).
ch_stopped() {
	local st
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ "$st" = T ]
}

# ch_reap NAME: if NAME exited, wait for it, set CH_RC and forget it.
ch_reap() {
	local pid=${CH_PID[$1]:-}
	[ -n "$pid" ] || { CH_RC=; return 0; }
	harness_alive "$pid" && return 1
	CH_RC=0
	wait "$pid" 2>/dev/null || CH_RC=$?
	unset "CH_PID[$1]"
	return 0
}

ch_kill_pg() {
	local pid lock
	pid=$(head -n 1 "$CH_DIR/pg/data/postmaster.pid" 2>/dev/null) || pid=
	[ -n "$pid" ] || { ch_log "no postmaster pid"; return 1; }
	kill -KILL "$pid" 2>/dev/null || :
	harness_wait_exit "$pid" 30
	# the backends die with their postmaster gone; any left are swept
	harness_sweep "$CH_DIR/pg"
	# The killed postmaster may stay a zombie until init reaps it, and
	# PostgreSQL takes a pid that kill(pid, 0) finds for a running server
	# ("lock file already exists"): a dead postmaster's lock files go
	# (the data directory's and the socket's).
	if ! harness_alive "$pid"; then
		for lock in "$CH_DIR/pg/data/postmaster.pid" \
			"$(pg_sockdir "$CH_DIR/pg")"/.s.PGSQL.*.lock; do
			[ -f "$lock" ] && [ "$(head -n 1 "$lock")" = "$pid" ] &&
				rm -f "$lock"
		done
	fi
	pg_start "$CH_DIR/pg"
}

ch_kill_rmq() {
	rmq_kill "$CH_DIR/rmq" && rmq_start "$CH_DIR/rmq"
}

ch_raw_open() { ch_sql "SELECT count(*) FROM raw_extraction_data WHERE tenant_id = $1 AND status <> 'completed'"; }
ch_vz_open() { ch_sql "SELECT count(*) FROM vectorization_queue WHERE tenant_id = $1 AND status <> 'completed'"; }

# ch_digest T SQL: count and md5 of the rows of SQL (one text column j)
# for tenant T, in a stable order.
ch_digest() {
	ch_sql "SELECT count(*) || ' ' || coalesce(md5(string_agg(j, E'\n' ORDER BY j)), '-') FROM ($2) s" 2>&1
}

# ch_views T: every compared view of tenant T, one "name count md5" line.
ch_views() {
	local t=$1 tab
	for tab in $CH_TABLES; do
		# ids and load times differ between tenants; the rest is data
		printf '%s %s\n' "$tab" "$(ch_digest "$t" "SELECT (to_jsonb(x) - '{id,tenant_id,integration_id,loaded_at}'::text[])::text AS j FROM $tab x WHERE tenant_id = $t")"
	done
	printf 'vectorization_queue %s\n' "$(ch_digest "$t" "SELECT concat_ws(' ', entity, external_id, operation, status) AS j FROM vectorization_queue WHERE tenant_id = $t")"
	printf 'vector_references %s\n' "$(ch_digest "$t" "SELECT concat_ws(' ', entity, external_id, collection, model, store, status, text_hash) AS j FROM vector_references WHERE tenant_id = $t")"
	printf 'pgvectors %s\n' "$(ch_digest "$t" "SELECT concat_ws(' ', collection, entity, external_id, dim, md5(vec), text_hash) AS j FROM pgvectors WHERE tenant_id = $t")"
	# every page once: its URL and body (the sandbox is deterministic)
	printf 'raw_pages %s\n' "$(ch_digest "$t" "SELECT DISTINCT concat_ws(' ', entity, request_url, md5(body::text)) AS j FROM raw_extraction_data WHERE tenant_id = $t")"
}

# ch_compare: the chaos tenant's warehouse equals the reference's; no
# raw row open, dead-lettered or loaded twice. Sets CH_RAWDUP.
ch_compare() {
	local a b n tab
	ch_views "$CH_REF" > "$CH_T/ref.views"
	ch_views "$CH_CHAOS" > "$CH_T/chaos.views"
	if ! cmp -s "$CH_T/ref.views" "$CH_T/chaos.views"; then
		diff "$CH_T/ref.views" "$CH_T/chaos.views" >&2 || :
		ch_trial_fail "the final state differs from the clean run's (diff above)"
		return 1
	fi
	# equal error messages must not pass for equal data
	n=$(grep -Evc '^[a-z_]+ [0-9]+ ([0-9a-f]{32}|-)$' "$CH_T/ref.views")
	[ "$n" = 0 ] || { cat "$CH_T/ref.views" >&2; ch_trial_fail "a digest query failed (above)"; return 1; }
	for tab in prs vectorization_queue vector_references pgvectors raw_pages; do
		grep -q "^$tab [1-9]" "$CH_T/ref.views" ||
			{ ch_trial_fail "the reference has no $tab rows"; return 1; }
	done
	n=$(ch_raw_open "$CH_CHAOS")
	[ "$n" = 0 ] || { ch_trial_fail "$n raw rows not completed"; return 1; }
	n=$(ch_sql "SELECT count(*) FROM raw_extraction_data WHERE tenant_id = $CH_CHAOS AND dead_lettered")
	[ "$n" = 0 ] || { ch_trial_fail "$n raw rows dead-lettered"; return 1; }
	# Loaded twice: a load writes one vectorization_queue row per entity
	# row it inserted or changed, in its own transaction; a page loaded
	# twice with a change would leave an extra insert/update row. The
	# queue view above compares them; this says it in words.
	n=$(ch_sql "SELECT count(*) FROM (SELECT 1 FROM vectorization_queue WHERE tenant_id = $CH_CHAOS GROUP BY entity, external_id HAVING count(*) > 1) d")
	[ "$n" = 0 ] || { ch_trial_fail "$n entity rows were queued (loaded) more than once"; return 1; }
	for tab in $CH_TABLES; do
		n=$(ch_sql "SELECT count(*) - count(DISTINCT (integration_id, external_id)) FROM $tab WHERE tenant_id = $CH_CHAOS")
		[ "$n" = 0 ] || { ch_trial_fail "$tab has $n duplicate rows"; return 1; }
	done
	a=$(ch_sql "SELECT count(*) FROM raw_extraction_data WHERE tenant_id = $CH_CHAOS")
	b=$(ch_sql "SELECT count(*) FROM raw_extraction_data WHERE tenant_id = $CH_REF")
	CH_RAWDUP=$((a - b))
	return 0
}
