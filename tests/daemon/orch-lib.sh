# orch-lib.sh: shared setup of the orchestrator/daemon tests (sourced).
# Builds on warehouse-lib.sh (own database, app role, key file):
#
#   orch_setup              wh_setup + a config with the sandbox and orchtest
#                           plugins, a JWT key, a free listen port (ORCH_URL)
#   orch_conf NAME          write another config ($WH_DIR/NAME.conf) with its
#                           own free port (for a second daemon); prints path
#   orch_daemon NAME CONF   start `pulse-host run` in the background (log in
#                           $WH_DIR/NAME.log, pid in $WH_DIR/NAME.pid) and
#                           wait for /healthz on its port
#   orch_stop NAME          SIGTERM it and wait (fails if it does not stop)
#   orch_add TENANT NAME PLUGIN JSON   add an integration; prints its id
#   orch_job INTEGRATION    the etl_jobs id of an integration
#   orch_token TENANT ROLE [TTL]       an API token
#   orch_api METHOD PATH TOKEN [BODY]  call the API on ORCH_URL: prints the
#                           HTTP status; the body is in $WH_DIR/resp.json
#   orch_wait_sql SQL WANT SECONDS     poll until SQL prints WANT
#   orch_state JOB          the job's state
set -euo pipefail
. "$abs_top_srcdir/tests/db/warehouse-lib.sh"

ORCH_PLUGIN_DIRS="\"$abs_top_builddir/plugins/source-sandbox/.libs\", \"$abs_top_builddir/tests/fixtures/plugins/orch/.libs\""

orch_conf() { # orch_conf NAME: a config with its own port; prints its path
	local name=$1 port conf
	port=$(harness_free_port "$WH_DIR")
	conf=$WH_DIR/$name.conf
	cat > "$conf" <<CONF
key_file = "$WH_DIR/secret.key";
jwt_key_file = "$WH_DIR/jwt.key";
plugin_dirs = [$ORCH_PLUGIN_DIRS];
listen = "127.0.0.1:$port";
log_level = "info";
worker_roles = ["server", "orchestrator", "extract"];
http = { allow_hosts = ["127.0.0.1", "localhost"]; };
jobs = { max_attempts = 5; stale_seconds = 300; max_running = 4;
         heartbeat_timeout_seconds = 5; };
CONF
	printf '%s\n' "$conf"
}

orch_port() { sed -n 's/^listen = "127.0.0.1:\([0-9]*\)";/\1/p' "$1"; }

orch_setup() {
	wh_setup
	trap 'orch_cleanup' EXIT
	WH_CONF=$(orch_conf main)
	ORCH_URL=http://127.0.0.1:$(orch_port "$WH_CONF")
}

orch_cleanup() {
	local f pid
	for f in "$WH_DIR"/*.pid; do
		[ -f "$f" ] || continue
		pid=$(cat "$f")
		kill -9 "$pid" 2>/dev/null || :
	done
	harness_release_ports "$WH_DIR"
	wh_cleanup
}

orch_daemon() { # orch_daemon NAME CONF [ARGS...]
	local name=$1 conf=$2 port i
	shift 2
	port=$(orch_port "$conf")
	"$WH_BIN" -c "$conf" run "$@" >> "$WH_DIR/$name.log" 2>&1 &
	echo $! > "$WH_DIR/$name.pid"
	for i in $(seq 300); do
		if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then
			return 0
		fi
		harness_alive "$(cat "$WH_DIR/$name.pid")" || break
		sleep 0.1
	done
	cat "$WH_DIR/$name.log" >&2
	wh_fail "daemon $name did not come up on port $port"
}

orch_stop() { # orch_stop NAME: clean shutdown within 40 s
	local pid
	pid=$(cat "$WH_DIR/$1.pid")
	kill -TERM "$pid"
	harness_wait_exit "$pid" 40 || wh_fail "daemon $1 ignored SIGTERM for 40 s"
	wait "$pid" 2>/dev/null || :
	rm -f "$WH_DIR/$1.pid"
}

orch_add() { # orch_add TENANT NAME PLUGIN JSON: print the integration id
	printf '%s\n' "$4" > "$WH_DIR/$2.json"
	ph integration add --tenant "$1" --plugin "$3" --config "$WH_DIR/$2.json" \
		--name "$2" --json | harness_json_get id
}

orch_job() { wh_sql "SELECT id FROM etl_jobs WHERE integration_id = $1"; }
orch_state() { wh_sql "SELECT state FROM etl_jobs WHERE id = $1"; }
orch_token() { ph token issue --tenant "$1" --role "$2" --ttl "${3:-1h}"; }

orch_api() { # orch_api METHOD PATH TOKEN [BODY]
	local args=(-s -o "$WH_DIR/resp.json" -w '%{http_code}' -X "$1")
	[ -z "$3" ] || args+=(-H "Authorization: Bearer $3")
	[ $# -lt 4 ] || args+=(-H 'Content-Type: application/json' --data-binary "$4")
	curl "${args[@]}" "$ORCH_URL$2"
}

# orch_expect STATUS METHOD PATH TOKEN [BODY]: the call must answer STATUS.
orch_expect() {
	local want=$1 got
	shift
	got=$(orch_api "$@")
	[ "$got" = "$want" ] || { cat "$WH_DIR/resp.json" >&2; echo >&2;
		wh_fail "$1 $2: HTTP $got, expected $want"; }
}

orch_wait_sql() { # orch_wait_sql SQL WANT SECONDS
	harness_wait_sql "$3" "$WH_ADMIN" "$1" "$2" && return 0
	orch_dump
	wh_fail "waited $3 s for '$1' = '$2', last '$HARNESS_SQL_LAST'"
}

orch_dump() { # what the jobs and daemons did, for a failing test's log
	local f
	echo "--- etl_jobs:" >&2
	wh_sql "SELECT id, integration_id, state, retry_count, last_error_class, next_run_at, owner, last_error FROM etl_jobs ORDER BY id" >&2 || :
	echo "--- job_transitions:" >&2
	wh_sql "SELECT job_id, from_state, to_state, reason, at FROM job_transitions ORDER BY id" >&2 || :
	for f in "$WH_DIR"/*.log; do
		echo "--- $f (tail):" >&2
		grep -v 'level=debug' "$f" | tail -n 40 >&2
	done
}

# Every recorded transition must be a legal move of the state machine.
orch_check_transitions() {
	local bad
	bad=$(wh_sql "SELECT from_state || '>' || to_state || ' (' || reason || ')'
	  FROM job_transitions WHERE (from_state, to_state) NOT IN
	  (('NOT_STARTED','PENDING'), ('PENDING','RUNNING'), ('PENDING','PAUSED'),
	   ('RUNNING','FINISHED'), ('RUNNING','ERROR'), ('RUNNING','PAUSED'),
	   ('ERROR','RUNNING'), ('ERROR','PAUSED'), ('PAUSED','RUNNING'),
	   ('FINISHED','PENDING'))")
	[ -z "$bad" ] || wh_fail "illegal transitions recorded: $bad"
}

# Node for the WebSocket clients (Debian's nodejs if none is installed).
orch_node() {
	if ! command -v node >/dev/null 2>&1; then
		apt-get install -y -q nodejs >/dev/null 2>&1 ||
			wh_fail "node is missing and apt-get install nodejs failed"
	fi
	if node -e 'process.exit(typeof WebSocket === "function" ? 0 : 1)'; then
		node "$@"
	else
		node --experimental-websocket "$@"
	fi
}

# orch_ws NAME TOKEN [SECONDS]: a WebSocket viewer in the background; its
# events go to $WH_DIR/NAME.events. Waits until it is connected.
orch_ws() {
	local name=$1 i
	orch_node "$abs_top_srcdir/tests/daemon/orch-ws-client.mjs" \
		"ws://${ORCH_URL#http://}/ws/progress?token=$2" "$WH_DIR/$name.events" \
		"${3:-120}" > "$WH_DIR/$name.ws.out" 2>&1 &
	echo $! > "$WH_DIR/$name.ws.pid"
	for i in $(seq 100); do
		grep -q '^open' "$WH_DIR/$name.ws.out" 2>/dev/null && return 0
		grep -q '^refused' "$WH_DIR/$name.ws.out" 2>/dev/null && return 3
		sleep 0.1
	done
	cat "$WH_DIR/$name.ws.out" >&2
	wh_fail "WebSocket viewer $name did not connect"
}
orch_ws_stop() { kill "$(cat "$WH_DIR/$1.ws.pid")" 2>/dev/null || :; wait "$(cat "$WH_DIR/$1.ws.pid")" 2>/dev/null || :; }
