# ask-lib.sh: shared set-up of the ask tests (sourced after
# tests/db/warehouse-lib.sh's conventions).
#
#   ask_setup       a migrated database with tenants acme (TA) and bravo
#                   (TB) holding tests/ask/fixture.sql; every text of bravo
#                   holds SECRET-B, so a leak shows
#   ask_bulk        3000 filler commits for acme (for the cost limit)
#   ask_conf KEY=VALUE...  append settings to the config
#   ph_ask ARGS...  pulse-host ask with the test config
. "$abs_top_srcdir/tests/db/warehouse-lib.sh"

ask_setup() {
	wh_setup
	TA=$(wh_tenant acme)
	TB=$(wh_tenant bravo)
	psql -X -q -v ON_ERROR_STOP=1 -v ta="$TA" -v tb="$TB" "$WH_ADMIN" \
		-f "$abs_top_srcdir/tests/ask/fixture.sql" > "$WH_DIR/fixture.log" 2>&1 ||
		{ cat "$WH_DIR/fixture.log" >&2; wh_fail "loading the fixture failed"; }
}

# ask_bulk: 3000 more commits for acme (analysed), so the planner sees
# what a cartesian product of them would cost.
ask_bulk() {
	wh_sql "INSERT INTO prs_commits (tenant_id, integration_id, external_id, pr_external_id, sha, author, message, authored_at, committed_at)
	        SELECT $TA, p.integration_id, 'bulk:' || g, 'PR_api5', 'bulk' || g, 'bot', 'filler', '2026-11-20Z', '2026-11-20Z'
	          FROM prs p, generate_series(1, 3000) g WHERE p.external_id = 'PR_api5';
	        ANALYZE prs_commits; ANALYZE prs" > /dev/null
}

ask_conf() { printf '%s\n' "$@" >> "$WH_CONF"; }

ph_ask() { ph ask "$@"; }

# ask_llm: the scripted LLM. Starts the OpenAI sandbox (tests/ai/openai-lib.sh)
# and gives acme and bravo a gateway chat integration "gw" (their "query"
# route) and acme a gateway-embed integration "emb" (its search route),
# with acme's PRs and work items vectorized for semantic questions.
ask_llm() {
	local gw=$abs_top_builddir/plugins/provider-gateway/.libs t
	. "$abs_top_srcdir/tests/ai/openai-lib.sh"
	[ -d "$gw" ] || wh_fail "the gateway plugin is not built ($gw)"
	trap 'oai_stop; wh_cleanup' EXIT
	cat > "$WH_CONF" <<CONF
key_file = "$WH_DIR/secret.key";
plugin_dirs = ["$gw"];
http = { allow_hosts = ["127.0.0.1"]; };
CONF
	oai_start "$WH_DIR" || wh_fail "the OpenAI sandbox did not start"
	printf '{"base_url": "%s/v1", "api_key": "sk-ask-test", "chat_model": "sb-chat", "price_input_per_1m": "0.15", "price_output_per_1m": "0.60"}\n' \
		"$OAI_URL" > "$WH_DIR/gw.json"
	for t in acme bravo; do
		ph integration add --tenant "$t" --plugin gateway --type AI --name gw \
			--config "$WH_DIR/gw.json" --json > "$WH_DIR/gw-$t.out" 2>&1 ||
			wh_fail "adding the chat integration failed: $(cat "$WH_DIR/gw-$t.out")"
	done
	printf '{"base_url": "%s", "embedding_model": "sandbox-embed"}\n' "$OAI_URL" > "$WH_DIR/emb.json"
	ph integration add --tenant acme --plugin gateway-embed --type Embedding --name emb \
		--config "$WH_DIR/emb.json" --json > "$WH_DIR/emb.out" 2>&1 ||
		wh_fail "adding the embedding integration failed: $(cat "$WH_DIR/emb.out")"
	wh_sql "INSERT INTO vectorization_queue (tenant_id, integration_id, entity, external_id, operation)
		SELECT tenant_id, integration_id, 'prs', external_id, 'insert' FROM prs WHERE tenant_id = $TA
		UNION ALL SELECT tenant_id, integration_id, 'work_items', external_id, 'insert' FROM work_items WHERE tenant_id = $TA" > /dev/null
	ph vectorize run --tenant acme --json > "$WH_DIR/vectorize.json" 2>&1 ||
		wh_fail "vectorize failed: $(cat "$WH_DIR/vectorize.json")"
}

# ask_re TEXT: TEXT as an anchored JavaScript regex matching it exactly.
ask_re() {
	jq -rn --arg t "$1" '"^" + ($t | gsub("(?<c>[.*+?^${}()|\\[\\]\\\\/])"; "\\\(.c)")) + "$"'
}

# ask_script REGEX REPLY [TIMES]: a scripted chat reply (newest wins).
ask_script() {
	local body
	body=$(jq -cn --arg m "$1" --arg r "$2" --arg t "${3:-}" \
		'{match: $m, reply: $r} + (if $t == "" then {} else {times: ($t | tonumber)} end)')
	oai_api POST /_sandbox/script "$body" > /dev/null || wh_fail "scripting the sandbox failed"
}

# ask_sql_reply SQL: the JSON reply of the SQL-writing LLM.
ask_sql_reply() { jq -cn --arg s "$1" '{sql: $s}'; }
