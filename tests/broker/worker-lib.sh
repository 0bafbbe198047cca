# tests/broker/worker-lib.sh: set-up shared by the worker tests
# (sourced, not a test). Each test gets its own database, app role, vhost
# and temp dir, all removed at exit, so the tests run in parallel.
#
#   wt_setup NAME            database, role, conf ($WT_CONF), vhost, tenants
#                            "broker" ($WT_T1) and "reference" ($WT_T2)
#   wt_private_broker        use a RabbitMQ node of this test instead
#   wt_integration T JSON    add a sandbox integration, print its id
#   wt_sql SQL               run SQL as superuser in the test database
#   wt_worker NAME ARGS...   start `pulse-host worker ARGS` in the
#                            background (log $WT_DIR/NAME.log); pid in
#                            WT_PID[NAME]
#   wt_wait_exit NAME S      wait (S seconds) for it to exit; status in WT_RC
#   wt_stop_worker NAME      SIGTERM it; fails unless it exits 0 in time
#   wt_wait_sql SQL WANT S   poll until SQL prints WANT (S seconds)
#   wt_wait_for S WHAT CMD   poll until CMD succeeds (S seconds)
#   wt_assert_same T1 T2     canonical counts of the two tenants are equal
#                            and non-zero, nothing duplicated, no raw row
#                            of T1 left open
. "$abs_top_srcdir/tests/harness/lib.sh"

B=$PULSE_HOST_BIN
declare -A WT_PID=()
WT_DIR=
WT_DB=
WT_ROLE=
WT_VHOST=
WT_TABLES="repositories prs prs_commits prs_reviews prs_comments"

wt_log() { printf '%s: %s\n' "${WT_NAME:-test}" "$*" >&2; }
wt_fail() {
	local f
	wt_log "FAIL: $*"
	for f in "$WT_DIR"/*.log; do
		[ -f "$f" ] || continue
		printf -- '--- %s (last 30 lines)\n' "${f##*/}" >&2
		tail -n 30 "$f" >&2
	done
	exit 1
}

wt_cleanup() {
	local name pid
	for name in "${!WT_PID[@]}"; do
		pid=${WT_PID[$name]}
		kill -KILL "$pid" 2>/dev/null || true
	done
	if [ -n "$WT_VHOST" ]; then
		rmq_ctl "$PULSE_TEST_RMQ_DIR" delete_vhost "$WT_VHOST" >/dev/null 2>&1 || true
	fi
	harness_app_db_drop "$WT_DB"
	[ -z "$WT_DIR" ] || harness_destroy "$WT_DIR"
}

wt_sql() {
	psql -X -q -At -v ON_ERROR_STOP=1 "$WT_ADMIN_URL" -c "$1"
}

wt_setup() {
	WT_NAME=$1
	WT_DIR=$(harness_mktemp)
	trap wt_cleanup EXIT
	WT_DB="wt_${1}_$$_$(harness_random_hex 6)"
	harness_app_db "$WT_DB" "$WT_DIR" || wt_fail "database set-up failed"
	WT_ROLE=$HARNESS_DB_ROLE
	WT_ADMIN_URL=$HARNESS_DB_ADMIN_URL
	export PULSE_HOST_DATABASE_URL=$HARNESS_DB_APP_URL
	WT_VHOST=$WT_DB
	PULSE_HOST_BROKER_URL=$(rmq_add_vhost "$PULSE_TEST_RMQ_DIR" "$WT_VHOST")
	export PULSE_HOST_BROKER_URL
	WT_CONF="$WT_DIR/pulse-host.conf"
	cat > "$WT_CONF" <<-EOF
	key_file = "$WT_DIR/secret.key";
	plugin_dirs = ["$abs_top_builddir/plugins/source-sandbox/.libs"];
	jobs = { max_attempts = ${WT_MAX_ATTEMPTS:-3}; stale_seconds = ${WT_STALE:-2}; };
	http = { allow_hosts = ["127.0.0.1", "localhost"]; };
	EOF
	WT_T1=$("$B" -c "$WT_CONF" tenant add broker --json | harness_json_get id) ||
		wt_fail "tenant add broker failed"
	WT_T2=$("$B" -c "$WT_CONF" tenant add reference --json | harness_json_get id) ||
		wt_fail "tenant add reference failed"
}

wt_private_broker() {
	rmq_start "$WT_DIR/rmq" || wt_fail "private RabbitMQ did not start"
	PULSE_HOST_BROKER_URL=$(rmq_url "$WT_DIR/rmq")
	export PULSE_HOST_BROKER_URL
}

wt_integration() {
	local tenant=$1 json=$2 f
	f="$WT_DIR/integ-$RANDOM.json"
	printf '%s\n' "$json" > "$f"
	"$B" -c "$WT_CONF" integration add --tenant "$tenant" --plugin sandbox \
		--config "$f" --name "sb-$RANDOM" --json | harness_json_get id ||
		wt_fail "integration add failed"
}

wt_worker() {
	local name=$1; shift
	"$B" -c "$WT_CONF" worker "$@" > "$WT_DIR/$name.log" 2>&1 &
	WT_PID[$name]=$!
}

# wt_wait_exit NAME SECONDS: wait for a worker; its exit status (or
# "timeout", after which it is killed) is left in WT_RC.
wt_wait_exit() {
	local name=$1 secs=$2 pid i
	pid=${WT_PID[$name]}
	for i in $(seq $((secs * 10))); do
		harness_alive "$pid" || break
		sleep 0.1
	done
	WT_RC=0
	if harness_alive "$pid"; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null || true
		WT_RC=timeout
	else
		wait "$pid" || WT_RC=$?
	fi
	unset "WT_PID[$name]"
}

wt_stop_worker() {
	local name=$1
	kill -TERM "${WT_PID[$name]}"
	wt_wait_exit "$name" 30
	[ "$WT_RC" = 0 ] || { tail -n 20 "$WT_DIR/$name.log" >&2; wt_fail "worker $name exited with $WT_RC after SIGTERM, want 0"; }
}

wt_wait_sql() {
	harness_wait_sql "$3" "$WT_ADMIN_URL" "$1" "$2" || wt_fail "see above"
}

# wt_wait_for SECONDS WHAT CMD...: harness_wait_for, failing the test.
wt_wait_for() { harness_wait_for "$@" || wt_fail "see above"; }

wt_counts() {
	local t=$1 tab out=
	for tab in $WT_TABLES; do
		out+="$tab=$(wt_sql "SELECT count(*) FROM $tab WHERE tenant_id = $t") "
	done
	printf '%s\n' "$out"
}

wt_assert_same() {
	local t1=$1 t2=$2 c1 c2 tab open dups
	c1=$(wt_counts "$t1")
	c2=$(wt_counts "$t2")
	wt_log "tenant $t1: $c1"
	wt_log "tenant $t2: $c2"
	[ "$c1" = "$c2" ] || wt_fail "canonical counts differ: [$c1] vs [$c2]"
	case " $c1" in *"=0 "*) wt_fail "an entity loaded nothing: $c1" ;; esac
	for tab in $WT_TABLES; do
		dups=$(wt_sql "SELECT count(*) - count(DISTINCT (integration_id, external_id)) FROM $tab WHERE tenant_id = $t1")
		[ "$dups" = 0 ] || wt_fail "$tab has $dups duplicate rows"
	done
	open=$(wt_sql "SELECT count(*) FROM raw_extraction_data WHERE tenant_id = $t1 AND status <> 'completed'")
	[ "$open" = 0 ] || wt_fail "$open raw rows of tenant $t1 are not completed"
}
