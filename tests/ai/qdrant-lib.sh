# qdrant-lib.sh: the Qdrant sandbox (tests/sandbox/qdrant) and the qdrant
# plugin for the vector tests (sourced after vectors-lib.sh; vx_setup
# calls qd_setup when VX_QDRANT is set).
#
#   qd_setup                start the sandbox on a free port, requiring an
#                           API key (a random one, in a file); sets VX_QD
#                           and adds the plugin's directory to WH_CONF
#   qd_add NAME [JSON]      give tenant NAME a qdrant integration (its
#                           store) with the key; JSON merges into settings;
#                           prints `integration add --json`
#   qd_api METHOD PATH [JSON]  call the sandbox (control or REST), print the body
#   qd_stats                the sandbox's /_sandbox/stats
qd_setup() {
	local dir=$abs_top_builddir/plugins/provider-qdrant/.libs
	[ -f "$dir/qdrant.so" ] || wh_fail "the qdrant plugin is not built ($dir)"
	# the key stays in files, off every command line
	harness_random_hex 16 > "$WH_DIR/qd.key"
	printf 'api-key: %s\n' "$(cat "$WH_DIR/qd.key")" > "$WH_DIR/qd.hdr"
	node "$abs_top_srcdir/tests/sandbox/qdrant/server.js" --port 0 \
		--port-file "$WH_DIR/qd.port" --key-file "$WH_DIR/qd.key" > "$WH_DIR/qd.log" 2>&1 &
	VX_QD_PID=$!
	for _ in $(seq 100); do [ -s "$WH_DIR/qd.port" ] && break; sleep 0.1; done
	[ -s "$WH_DIR/qd.port" ] || wh_fail "the Qdrant sandbox did not start: $(cat "$WH_DIR/qd.log")"
	VX_QD=http://127.0.0.1:$(cat "$WH_DIR/qd.port")
	sed -i "s|^plugin_dirs = \[|plugin_dirs = [\"$dir\", |" "$WH_CONF"
}

qd_add() {
	local name=$1 extra=${2:-'{}'}
	jq -n --arg u "$VX_QD" --rawfile k "$WH_DIR/qd.key" --argjson x "$extra" \
		'{base_url: $u, api_key: ($k | rtrimstr("\n")), max_retries: 2, max_wait_s: 5} + $x' > "$WH_DIR/qd-$name.json"
	ph integration add --tenant "$name" --plugin qdrant --name vectors --type AI \
		--config "$WH_DIR/qd-$name.json" --json > "$WH_DIR/qd-$name.out" ||
		wh_fail "adding the qdrant integration failed: $(cat "$WH_DIR/qd-$name.out")"
	cat "$WH_DIR/qd-$name.out"
}

qd_api() {
	local method=$1 path=$2 body=${3:-}
	curl -sS -X "$method" -H 'Content-Type: application/json' \
		-H @"$WH_DIR/qd.hdr" ${body:+--data "$body"} "$VX_QD$path"
}

qd_stats() { curl -fsS "$VX_QD/_sandbox/stats"; }
