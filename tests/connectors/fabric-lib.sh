# tests/connectors/fabric-lib.sh: set-up shared by the Fabric plugin tests
# (sourced, not a test). Each test gets its own database, app role, temp
# dir and Fabric sandbox(es) on free ports, all removed at exit.
#
#   fb_setup NAME [SANDBOX ARGS...]   database + migrate, tenant "t1", one
#                       sandbox; sets FB_DIR FB_CONF FB_URL FB_ADMIN_URL
#   fb_start_sandbox VAR ARGS...      start another sandbox, its URL in VAR
#   fb_integration JSON [TENANT [URL]]  print the id of a new fabric
#                       integration (ids, secret and URLs default to the
#                       sandbox's; JSON may hold "graphql": true for the
#                       sandbox's orders entity)
#   fb_run ID / fb_run_ok ID          `job run --in-process`; log in $FB_LOG
#   fb_api [URL] METHOD PATH [JSON]   the sandbox's admin API
#   fb_verify ID [URL]  compare the warehouse with the sandbox's truth
#   fb_sql SQL, fb_fail MSG, fb_eq WHAT GOT WANT, jqv EXPR [FILE]
. "$abs_top_srcdir/tests/connectors/sandbox-lib.sh"

B=$PULSE_HOST_BIN
FB_DIR=
FB_DB=
FB_SANDBOX_PID=
FB_PIDS=()
FB_RUNS=0
# A secret with the characters form encoding mangles unless escaped.
FB_SECRET='Fx8~p+q/r=s.T_z=='
FB_SANDBOX_TENANT=72f988bf-0000-4000-8000-00000000fab1
FB_CLIENT=c1a2b3c4-0000-4000-8000-00000000fab2

fb_log() { printf '%s %s: %s\n' "$(date +%T)" "${FB_NAME:-fabric}" "$*" >&2; }
fb_fail() { fb_log "FAIL: $*"; exit 1; }

fb_cleanup() {
	local p
	for p in "${FB_PIDS[@]:-}"; do
		[ -n "$p" ] && kill -TERM "$p" 2>/dev/null || true
	done
	sb_cleanup FB fb_log
}

fb_sql() { psql -X -q -At -v ON_ERROR_STOP=1 "$FB_ADMIN_URL" -c "$1"; }

fb_api() {
	local url=$FB_URL
	case $1 in http*) url=$1; shift ;; esac
	sb_api "$url" "$@"
}

fb_start_sandbox() {
	sb_start_node FB "$abs_top_srcdir/tests/sandbox/fabric/server.js" \
		FABRIC_SANDBOX_CLIENT_SECRET "$@"
}

fb_setup() {
	FB_NAME=$1
	shift
	command -v node >/dev/null || fb_fail "node is not installed (apt-get install nodejs)"
	FB_DIR=$(harness_mktemp)
	trap fb_cleanup EXIT
	FB_DB="fb_${FB_NAME//-/_}_$$_$(harness_random_hex 6)"
	harness_app_db "$FB_DB" "$FB_DIR" || fb_fail "database set-up failed"
	FB_ADMIN_URL=$HARNESS_DB_ADMIN_URL
	export PULSE_HOST_DATABASE_URL=$HARNESS_DB_APP_URL
	export PULSE_HOST_BROKER_URL=
	FB_CONF="$FB_DIR/pulse-host.conf"
	cat > "$FB_CONF" <<-EOF2
	key_file = "$FB_DIR/secret.key";
	plugin_dirs = ["$abs_top_builddir/plugins/source-fabric/.libs"];
	# the sandbox is plain http on loopback: allow it
	http = { timeout_seconds = 20; max_retries = 4;
	         allow_hosts = ["127.0.0.1", "localhost"]; };
	EOF2
	"$B" -c "$FB_CONF" tenant add t1 >/dev/null || fb_fail "tenant add failed"
	fb_start_sandbox FB_URL "$@"
}

fb_cli() { "$B" -c "$FB_CONF" "$@"; }

# fb_integration JSON [TENANT [SANDBOX_URL]]
fb_integration() {
	local json=$1 tenant=${2:-t1} url=${3:-$FB_URL}
	local file="$FB_DIR/integration.$RANDOM.json" out
	fb_api "$url" GET /_sandbox/truth > "$FB_DIR/truth-int.json" || fb_fail "truth failed"
	# The secret goes through the environment: a concurrent test scans ps.
	TEST_CLIENT_SECRET=$FB_SECRET node -e '
		const fs = require("fs");
		const s = JSON.parse(process.argv[1]);
		const t = JSON.parse(fs.readFileSync(process.argv[6], "utf8"));
		const o = Object.assign({ tenant_id: process.argv[3], client_id: process.argv[4],
			client_secret: process.env.TEST_CLIENT_SECRET, authority: process.argv[2],
			api_url: process.argv[2] }, s);
		if (o.graphql === true)
			o.graphql = [{ endpoint: `${process.argv[2]}/v1/workspaces/${t.graphql.workspace}/graphqlapis/${t.graphql.api}/graphql`,
				entity: "orders", fields: ["id", "customer", "amount", "region", "updatedAt"],
				key: "id", updated: "updatedAt" }];
		process.stdout.write(JSON.stringify(o));
	' "$json" "$url" "$FB_SANDBOX_TENANT" "$FB_CLIENT" - "$FB_DIR/truth-int.json" > "$file"
	out=$("$B" -c "$FB_CONF" integration add --tenant "$tenant" --plugin fabric \
		--config "$file" --name "fabric$RANDOM" --json 2>"$FB_DIR/add.err") ||
		{ cat "$FB_DIR/add.err" >&2; fb_fail "integration add failed"; }
	rm -f "$file"
	printf '%s\n' "$out" | harness_json_get id
}

fb_run() {
	local id=$1
	shift
	FB_RUNS=$((FB_RUNS + 1))
	FB_LOG="$FB_DIR/run.$FB_RUNS.log"
	FB_RC=0
	"$B" -c "$FB_CONF" job run --in-process "$@" "$id" >"$FB_LOG" 2>&1 || FB_RC=$?
	return 0
}

fb_run_ok() {
	fb_run "$@"
	[ "$FB_RC" -eq 0 ] || { cat "$FB_LOG" >&2; fb_fail "job run exited $FB_RC"; }
	grep -q 'finished in' "$FB_LOG" || { cat "$FB_LOG" >&2; fb_fail "job run did not finish cleanly"; }
}

fb_eq() {
	[ "$2" = "$3" ] || fb_fail "$1: got '$2', want '$3'"
	fb_log "ok: $1 = $3"
}

# fb_verify ID [SANDBOX_URL] [WITH_GRAPHQL]: the integration's rows equal
# the sandbox's truth.
fb_verify() {
	local id=$1 url=${2:-$FB_URL} gql=${3:-0} v="$FB_DIR/verify.$RANDOM"
	mkdir -p "$v"
	fb_api "$url" GET /_sandbox/truth > "$v/truth.json" || fb_fail "GET /_sandbox/truth failed"
	fb_sql "SELECT json_build_object(
	  'workspaces', (SELECT coalesce(json_agg(json_build_object('id', external_id,
	    'displayName', name, 'capacityId', capacity_id, 'repository', repository_external_id)), '[]')
	    FROM fabric_workspaces WHERE integration_id = $id AND deleted_at IS NULL),
	  'items', (SELECT coalesce(json_agg(json_build_object('id', external_id,
	    'workspaceId', workspace_external_id, 'type', item_type, 'displayName', name)), '[]')
	    FROM fabric_items WHERE integration_id = $id AND deleted_at IS NULL),
	  'runs', (SELECT coalesce(json_agg(json_build_object('id', external_id, 'itemId', item_external_id,
	    'jobType', job_type, 'invokeType', invoke_type, 'status', status,
	    'start', to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
	    'end', to_char(ended_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
	    'failure', failure_code)), '[]')
	    FROM fabric_job_runs WHERE integration_id = $id AND deleted_at IS NULL),
	  'deploys', (SELECT coalesce(json_agg(json_build_object('id', external_id,
	    'repo', repository_external_id, 'environment', environment, 'production', is_production,
	    'status', status,
	    'start', to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
	    'end', to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'))), '[]')
	    FROM deployments WHERE integration_id = $id AND deleted_at IS NULL),
	  'rows', (SELECT coalesce(json_agg(json_build_object('key', record_key, 'entity', entity,
	    'data', data, 'updated', to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'))), '[]')
	    FROM fabric_records WHERE integration_id = $id AND deleted_at IS NULL))" > "$v/db.json" ||
		fb_fail "dumping the warehouse failed"
	node "$abs_top_srcdir/tests/connectors/fabric-check.js" "$v" "$gql" >&2 ||
		fb_fail "the warehouse does not match the sandbox's truth (see above)"
}
