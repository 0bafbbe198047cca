# tests/connectors/jira-lib.sh: set-up shared by the Jira plugin tests and the
# benchmark (sourced, not a test). Each test gets its own database, app
# role, temp dir and Jira sandbox on a free port, all removed at exit, so
# the tests run in parallel.
#
#   jr_setup NAME [SANDBOX ARGS...]
#                       database + migrate, tenant "t1", sandbox started
#                       with the args (--seed/--projects/--issues/--user-tz
#                       ...); sets JR_DIR JR_CONF JR_URL (sandbox root)
#                       JR_DB JR_ADMIN_URL
#   jr_integration JSON print the id of a new jira integration whose
#                       settings are JSON (base_url, email and api_token
#                       default to the sandbox's)
#   jr_run ID [ARGS]    `pulse-host job run --in-process ID`; output in
#                       $JR_DIR/run.N.log ($JR_LOG), status in JR_RC
#                       (never exits)
#   jr_cli ARGS...      `pulse-host -c $JR_CONF ARGS...`
#   jr_sql SQL          run SQL as superuser in the test database
#   jr_api METHOD PATH [JSON]   call the sandbox admin API, print the body
#   jr_truth [QUERY]    GET /_sandbox/truth?QUERY
#   jr_stats_reset / jr_stats   /_sandbox/stats
#   jr_verify ID [OPTIONS_JSON] compare the warehouse with the truth
#   jr_fail MSG, jr_eq WHAT GOT WANT
#   jqv EXPR [FILE]     node-based JSON query helper (no jq needed)
#   JR_ON_EXIT          a function run last by the exit cleanup
. "$abs_top_srcdir/tests/connectors/sandbox-lib.sh"

B=$PULSE_HOST_BIN
JR_DIR=
JR_DB=
JR_SANDBOX_PID=
JR_RUNS=0

jr_log() { printf '%s: %s\n' "${JR_NAME:-jira}" "$*" >&2; }
jr_fail() { jr_log "FAIL: $*"; exit 1; }

jr_cleanup() { sb_cleanup JR jr_log; }

jr_sql() {
	psql -X -q -At -v ON_ERROR_STOP=1 "$JR_ADMIN_URL" -c "$1"
}

jr_api() { sb_api "$JR_URL" "$@"; }
jr_truth() { jr_api GET "/_sandbox/truth${1:+?$1}"; }
jr_stats() { jr_api GET /_sandbox/stats; }
jr_stats_reset() { jr_api POST /_sandbox/stats/reset >/dev/null; }

# jr_start_sandbox ARGS...: (re)start the sandbox with ARGS on a free port.
jr_start_sandbox() {
	local port_file="$JR_DIR/sandbox.port" i
	rm -f "$port_file"
	node "$abs_top_srcdir/tests/sandbox/jira/server.js" --port 0 \
		--port-file "$port_file" "$@" >>"$JR_DIR/sandbox.log" 2>&1 &
	JR_SANDBOX_PID=$!
	for i in $(seq 600); do
		[ -s "$port_file" ] && break
		harness_alive "$JR_SANDBOX_PID" || { cat "$JR_DIR/sandbox.log" >&2; jr_fail "sandbox did not start"; }
		sleep 0.1
	done
	[ -s "$port_file" ] || jr_fail "sandbox did not write its port"
	JR_URL="http://127.0.0.1:$(cat "$port_file")"
}

jr_setup() {
	JR_NAME=$1
	shift
	command -v node >/dev/null || jr_fail "node is not installed (apt-get install nodejs)"
	JR_DIR=$(harness_mktemp)
	trap jr_cleanup EXIT
	JR_DB="jr_${JR_NAME//-/_}_$$_$(harness_random_hex 6)"
	harness_app_db "$JR_DB" "$JR_DIR" || jr_fail "database set-up failed"
	JR_ADMIN_URL=$HARNESS_DB_ADMIN_URL
	export PULSE_HOST_DATABASE_URL=$HARNESS_DB_APP_URL
	# One machine, in-process stages: these tests are about the plugin.
	export PULSE_HOST_BROKER_URL=
	JR_CONF="$JR_DIR/pulse-host.conf"
	cat > "$JR_CONF" <<-EOF
	key_file = "$JR_DIR/secret.key";
	plugin_dirs = ["$abs_top_builddir/plugins/source-jira/.libs"];
	# the sandbox is plain http on loopback: allow it
	http = { timeout_seconds = 20; max_retries = 4;
	         allow_hosts = ["127.0.0.1", "localhost"]; };
	EOF
	"$B" -c "$JR_CONF" tenant add t1 >/dev/null || jr_fail "tenant add failed"
	jr_start_sandbox "$@"
}

jr_cli() { "$B" -c "$JR_CONF" "$@"; }

# jr_integration JSON: settings merged over the sandbox's site and account.
jr_integration() {
	local json=$1 file="$JR_DIR/integration.$RANDOM.json" out
	node -e '
		const s = JSON.parse(process.argv[1]);
		const o = Object.assign({ base_url: process.argv[2],
			email: "sandbox@example.com", api_token: "sandbox-token" }, s);
		process.stdout.write(JSON.stringify(o));
	' "$json" "$JR_URL" > "$file"
	out=$("$B" -c "$JR_CONF" integration add --tenant t1 --plugin jira \
		--config "$file" --name "jira$RANDOM" --json 2>"$JR_DIR/add.err") ||
		{ cat "$JR_DIR/add.err" >&2; jr_fail "integration add failed"; }
	printf '%s\n' "$out" | harness_json_get id
}

# jr_run ID [ARGS...]: run the job in-process; never exits the test.
jr_run() {
	local id=$1
	shift
	JR_RUNS=$((JR_RUNS + 1))
	JR_LOG="$JR_DIR/run.$JR_RUNS.log"
	JR_RC=0
	"$B" -c "$JR_CONF" job run --in-process "$@" "$id" >"$JR_LOG" 2>&1 || JR_RC=$?
	return 0
}

# jr_run_ok ID: run, fail the test unless the run finished cleanly.
jr_run_ok() {
	jr_run "$@"
	[ "$JR_RC" -eq 0 ] || { cat "$JR_LOG" >&2; jr_fail "job run exited $JR_RC"; }
	grep -q 'finished in' "$JR_LOG" || { cat "$JR_LOG" >&2; jr_fail "job run did not finish cleanly"; }
}

jr_eq() {
	[ "$2" = "$3" ] || jr_fail "$1: got '$2', want '$3'"
	jr_log "ok: $1 = $3"
}

# jr_verify ID [OPTIONS_JSON]: compare integration ID's rows with the
# sandbox's truth (tests/connectors/jira-check.js); fails the test on any
# mismatch. OPTIONS_JSON: {"links": true|false, "metrics": true|false}.
jr_verify() {
	local id=$1 opts=${2:-'{}'} v="$JR_DIR/verify"
	mkdir -p "$v"
	printf '%s\n' "$opts" > "$v/options.json"
	jr_truth > "$v/truth.json" || jr_fail "GET /_sandbox/truth failed"
	psql -X -q -At -v ON_ERROR_STOP=1 -v integration="$id" "$JR_ADMIN_URL" \
		-f "$abs_top_srcdir/tests/connectors/jira-dump.sql" > "$v/db.json" ||
		jr_fail "dumping the warehouse failed"
	node "$abs_top_srcdir/tests/connectors/jira-check.js" "$v" >&2 ||
		jr_fail "the warehouse does not match the sandbox's truth (see above)"
}
