# openai-lib.sh: start the OpenAI sandbox (tests/sandbox/openai) for shell
# tests and the demo (sourced, bash; needs tests/harness/lib.sh).
#
#   oai_start DIR [ARGS...]   start it on a free loopback port; sets OAI_URL
#                             (no /v1; the sandbox serves both) and OAI_PID;
#                             its log is DIR/openai-sandbox.log
#   oai_stop                  stop it (also call from your EXIT trap)
#   oai_api METHOD PATH [JSON]  call its control API, print the body
oai_start() {
	local dir=$1 port_file i
	shift
	port_file="$dir/openai-sandbox.port"
	rm -f "$port_file"
	node "$abs_top_srcdir/tests/sandbox/openai/server.js" --port 0 \
		--port-file "$port_file" "$@" >>"$dir/openai-sandbox.log" 2>&1 &
	OAI_PID=$!
	for i in $(seq 1 100); do
		[ -s "$port_file" ] && break
		kill -0 "$OAI_PID" 2>/dev/null || { cat "$dir/openai-sandbox.log" >&2; return 1; }
		sleep 0.1
	done
	[ -s "$port_file" ] || return 1
	OAI_URL="http://127.0.0.1:$(cat "$port_file")"
}

oai_stop() {
	[ -n "${OAI_PID:-}" ] || return 0
	kill -TERM "$OAI_PID" 2>/dev/null || :
	wait "$OAI_PID" 2>/dev/null || :
	OAI_PID=
}

oai_api() {
	local method=$1 path=$2 body=${3:-}
	curl -sS --fail-with-body -X "$method" -H 'Content-Type: application/json' \
		${body:+--data "$body"} "$OAI_URL$path"
}
