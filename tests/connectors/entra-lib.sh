# tests/connectors/entra-lib.sh: set-up shared by the Entra plugin tests
# (sourced, not a test). Each test gets its own database, app role, temp
# dir and Graph sandbox(es) on free ports, all removed at exit.
#
#   en_setup NAME [SANDBOX ARGS...]   database + migrate, tenant "t1", one
#                       sandbox; sets EN_DIR EN_CONF EN_URL EN_ADMIN_URL
#   en_start_sandbox VAR ARGS...      start another sandbox, its URL in VAR
#   en_integration JSON [TENANT [URL]]  print the id of a new entra
#                       integration (tenant, client id, secret and URLs
#                       default to the sandbox's)
#   en_run ID / en_run_ok ID          `job run --in-process`; log in $EN_LOG
#   en_api [URL] METHOD PATH [JSON]   the sandbox's admin API
#   en_verify ID [URL]  compare the warehouse with the sandbox's truth
#   en_sql SQL, en_fail MSG, en_eq WHAT GOT WANT, jqv EXPR [FILE]
. "$abs_top_srcdir/tests/connectors/sandbox-lib.sh"

B=$PULSE_HOST_BIN
EN_DIR=
EN_DB=
EN_SANDBOX_PID=
EN_PIDS=()
EN_RUNS=0
# A secret with the characters form encoding mangles unless escaped.
EN_SECRET='Qx8~p+q/r=s.T_z=='
EN_SANDBOX_TENANT=72f988bf-0000-4000-8000-000000000001
EN_CLIENT=c1a2b3c4-0000-4000-8000-00000000c11e

en_log() { printf '%s %s: %s\n' "$(date +%T)" "${EN_NAME:-entra}" "$*" >&2; }
en_fail() { en_log "FAIL: $*"; exit 1; }

en_cleanup() {
	local p
	for p in "${EN_PIDS[@]:-}"; do
		[ -n "$p" ] && kill -TERM "$p" 2>/dev/null || true
	done
	sb_cleanup EN en_log
}

en_sql() { psql -X -q -At -v ON_ERROR_STOP=1 "$EN_ADMIN_URL" -c "$1"; }

en_api() {
	local url=$EN_URL
	case $1 in http*) url=$1; shift ;; esac
	sb_api "$url" "$@"
}

# en_start_sandbox VAR ARGS...: a sandbox on a free port; URL into VAR.
en_start_sandbox() {
	sb_start_node EN "$abs_top_srcdir/tests/sandbox/graph/server.js" \
		GRAPH_SANDBOX_CLIENT_SECRET "$@"
}

en_setup() {
	EN_NAME=$1
	shift
	command -v node >/dev/null || en_fail "node is not installed (apt-get install nodejs)"
	EN_DIR=$(harness_mktemp)
	trap en_cleanup EXIT
	EN_DB="en_${EN_NAME//-/_}_$$_$(harness_random_hex 6)"
	harness_app_db "$EN_DB" "$EN_DIR" || en_fail "database set-up failed"
	EN_ADMIN_URL=$HARNESS_DB_ADMIN_URL
	export PULSE_HOST_DATABASE_URL=$HARNESS_DB_APP_URL
	export PULSE_HOST_BROKER_URL=
	EN_CONF="$EN_DIR/pulse-host.conf"
	cat > "$EN_CONF" <<-EOF2
	key_file = "$EN_DIR/secret.key";
	plugin_dirs = ["$abs_top_builddir/plugins/source-entra/.libs"];
	# the sandbox is plain http on loopback: allow it
	http = { timeout_seconds = 20; max_retries = 4;
	         allow_hosts = ["127.0.0.1", "localhost"]; };
	EOF2
	"$B" -c "$EN_CONF" tenant add t1 >/dev/null || en_fail "tenant add failed"
	en_start_sandbox EN_URL "$@"
}

en_cli() { "$B" -c "$EN_CONF" "$@"; }

# en_integration JSON [TENANT [SANDBOX_URL]]
en_integration() {
	local json=$1 tenant=${2:-t1} url=${3:-$EN_URL}
	local file="$EN_DIR/integration.$RANDOM.json" out
	# The secret goes through the environment: a concurrent test scans ps.
	TEST_CLIENT_SECRET=$EN_SECRET node -e '
		const s = JSON.parse(process.argv[1]);
		const o = Object.assign({ tenant: process.argv[3], client_id: process.argv[4],
			client_secret: process.env.TEST_CLIENT_SECRET, authority: process.argv[2],
			graph_url: process.argv[2] }, s);
		process.stdout.write(JSON.stringify(o));
	' "$json" "$url" "$EN_SANDBOX_TENANT" "$EN_CLIENT" - > "$file"
	out=$("$B" -c "$EN_CONF" integration add --tenant "$tenant" --plugin entra \
		--config "$file" --name "entra$RANDOM" --json 2>"$EN_DIR/add.err") ||
		{ cat "$EN_DIR/add.err" >&2; en_fail "integration add failed"; }
	rm -f "$file"
	printf '%s\n' "$out" | harness_json_get id
}

en_run() {
	local id=$1
	shift
	EN_RUNS=$((EN_RUNS + 1))
	EN_LOG="$EN_DIR/run.$EN_RUNS.log"
	EN_RC=0
	"$B" -c "$EN_CONF" job run --in-process "$@" "$id" >"$EN_LOG" 2>&1 || EN_RC=$?
	return 0
}

en_run_ok() {
	en_run "$@"
	[ "$EN_RC" -eq 0 ] || { cat "$EN_LOG" >&2; en_fail "job run exited $EN_RC"; }
	grep -q 'finished in' "$EN_LOG" || { cat "$EN_LOG" >&2; en_fail "job run did not finish cleanly"; }
}

en_eq() {
	[ "$2" = "$3" ] || en_fail "$1: got '$2', want '$3'"
	en_log "ok: $1 = $3"
}

# en_verify ID [SANDBOX_URL]: the integration's live rows equal the truth,
# and the deleted objects are marked deleted.
en_verify() {
	local id=$1 url=${2:-$EN_URL} v="$EN_DIR/verify.$RANDOM"
	mkdir -p "$v"
	en_api "$url" GET /_sandbox/truth > "$v/truth.json" || en_fail "GET /_sandbox/truth failed"
	en_sql "SELECT json_build_object(
	  'users', (SELECT coalesce(json_agg(json_build_object('id', external_id,
	    'source', source, 'displayName', display_name, 'userPrincipalName', principal_name,
	    'mail', mail, 'mailNickname', account_name, 'accountEnabled', enabled,
	    'department', department, 'jobTitle', title, 'employeeId', employee_id,
	    'onPremisesImmutableId', immutable_id, 'manager', manager_external_id,
	    'changed', changed_at IS NOT NULL, 'attributes', attributes)), '[]')
	    FROM directory_users WHERE integration_id = $id AND deleted_at IS NULL),
	  'groups', (SELECT coalesce(json_agg(json_build_object('id', external_id,
	    'source', source, 'displayName', name, 'mail', mail, 'description', description)), '[]')
	    FROM directory_groups WHERE integration_id = $id AND deleted_at IS NULL),
	  'memberships', (SELECT coalesce(json_agg(json_build_object('external_id', external_id,
	    'group', group_external_id, 'member', member_external_id, 'kind', member_kind)), '[]')
	    FROM directory_memberships WHERE integration_id = $id AND deleted_at IS NULL),
	  'deleted_users', (SELECT coalesce(json_agg(external_id), '[]') FROM directory_users
	    WHERE integration_id = $id AND deleted_at IS NOT NULL),
	  'deleted_groups', (SELECT coalesce(json_agg(external_id), '[]') FROM directory_groups
	    WHERE integration_id = $id AND deleted_at IS NOT NULL))" > "$v/db.json" ||
		en_fail "dumping the warehouse failed"
	node "$abs_top_srcdir/tests/connectors/entra-check.js" "$v" >&2 ||
		en_fail "the warehouse does not match the sandbox's truth (see above)"
}
