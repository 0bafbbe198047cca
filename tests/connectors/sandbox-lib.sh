# tests/connectors/sandbox-lib.sh: what the sandbox-driven plugin test
# libraries (github-lib.sh, jira-lib.sh) share; sourced by them.
#
#   sb_cleanup P LOGFN  stop the sandbox, drop the database and role, remove
#                       the temp dir (or keep it when P_KEEP is set), then
#                       run P_ON_EXIT; reads P_SANDBOX_PID P_DB P_DIR
#   sb_api URL METHOD PATH [JSON]   call a sandbox's API, print the body
#   sb_start_node P SERVER SECRET_ENV VAR ARGS...   start node SERVER on a
#                       free port with P_SECRET in SECRET_ENV, its pid added
#                       to P_PIDS, its log in P_DIR/sandbox.log; URL into VAR
#   jqv EXPR [FILE]     node-based JSON query helper (no jq needed)
. "$abs_top_srcdir/tests/harness/lib.sh"

sb_cleanup() {
	local p=$1 logfn=$2 pid db dir keep on_exit
	pid=${p}_SANDBOX_PID db=${p}_DB dir=${p}_DIR
	keep=${p}_KEEP on_exit=${p}_ON_EXIT
	if [ -n "${!pid:-}" ]; then
		kill -TERM "${!pid}" 2>/dev/null || true
		harness_wait_exit "${!pid}" 10 || kill -KILL "${!pid}" 2>/dev/null || true
	fi
	harness_app_db_drop "${!db:-}"
	if [ -n "${!dir:-}" ]; then
		if [ -n "${!keep:-}" ]; then
			"$logfn" "kept ${!dir}"
		else
			harness_destroy "${!dir}"
		fi
	fi
	if [ -n "${!on_exit:-}" ]; then
		"${!on_exit}"
	fi
}

sb_start_node() {
	local p=$1 server=$2 secret_env=$3 var=$4 dir secret port_file pid i
	local -n pids=${p}_PIDS
	shift 4
	dir=${p}_DIR secret=${p}_SECRET
	dir=${!dir}
	port_file="$dir/sandbox.$RANDOM.port"
	# the secret through the environment, never on a command line
	(export "$secret_env=${!secret}"; exec node "$server" --port 0 \
		--port-file "$port_file" "$@") >>"$dir/sandbox.log" 2>&1 &
	pid=$!
	pids+=("$pid")
	for i in $(seq 600); do
		[ -s "$port_file" ] && break
		if ! harness_alive "$pid"; then
			cat "$dir/sandbox.log" >&2
			harness_err "sandbox $server did not start"
			exit 1
		fi
		sleep 0.1
	done
	[ -s "$port_file" ] || { harness_err "sandbox $server did not write its port"; exit 1; }
	printf -v "$var" 'http://127.0.0.1:%s' "$(cat "$port_file")"
}

sb_api() {
	local url=$1 method=$2 path=$3 body=${4:-}
	if [ -n "$body" ]; then
		curl -sS --fail-with-body -X "$method" -H 'Content-Type: application/json' \
			--data "$body" "$url$path"
	else
		curl -sS --fail-with-body -X "$method" "$url$path"
	fi
}

# jqv EXPR [FILE]: evaluate a JavaScript expression over the JSON document
# `d` read from FILE (or stdin); strings print raw, the rest as JSON.
jqv() {
	node -e '
		const fs = require("fs");
		const d = JSON.parse(fs.readFileSync(process.argv[2] || 0, "utf8"));
		const v = (0, eval)("(d) => (" + process.argv[1] + ")")(d);
		process.stdout.write((typeof v === "string" ? v : JSON.stringify(v)) + "\n");
	' "$1" "${2:-}"
}
