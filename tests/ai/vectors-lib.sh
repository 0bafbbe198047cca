# vectors-lib.sh: shared set-up of the vectorization and search tests
# (sourced after tests/db/warehouse-lib.sh).
#
#   vx_setup                wh_setup + the OpenAI sandbox (lexical
#                           embeddings, 384 dims) on a free port; VX_OAI is
#                           its base URL; plugin dirs of the gateway plugin
#   vx_tenant NAME          a tenant with a sandbox-backed Embedding
#                           integration (its etl and search routes) and a
#                           Data integration; prints "TENANT_ID DATA_ID"
#   vx_pr T I EXT REPO NUM TITLE   insert a PR row and queue it (as a load does)
#   vx_embed_calls          embeddings requests the sandbox served
#   vx_pending T            queue rows of tenant T not completed
#   vx_titles T I N         N (<= 12) PRs PR_1.. in acme/api with distinct
#                           titles, queued (the store-move tests' data)
#   vx_searches T OUT       three fixed searches of tenant T, each hit list
#                           (id, score) in $WH_DIR/OUT-1.json .. OUT-3.json
#   vx_same A B             vx_searches A and B found the same ids in the
#                           same order, scores within 1e-5 (fails the test)
#   VX_QDRANT=1 (before vx_setup): the Qdrant sandbox too (VX_QD is its
#                           URL, qd_* in qdrant-lib.sh), and vx_tenant gives
#                           every tenant a qdrant integration (its store)
set -euo pipefail

vx_setup() {
	wh_setup
	local gw=$abs_top_builddir/plugins/provider-gateway/.libs
	[ -d "$gw" ] || wh_fail "the gateway plugin is not built ($gw)"
	cat > "$WH_CONF" <<CONF
key_file = "$WH_DIR/secret.key";
plugin_dirs = ["$abs_top_builddir/plugins/source-sandbox/.libs", "$gw"];
jobs = { max_attempts = 5; stale_seconds = 300; };
http = { allow_hosts = ["127.0.0.1", "localhost"]; };
CONF
	node "$abs_top_srcdir/tests/sandbox/openai/server.js" --port 0 \
		--port-file "$WH_DIR/oai.port" > "$WH_DIR/oai.log" 2>&1 &
	VX_OAI_PID=$!
	for _ in $(seq 100); do [ -s "$WH_DIR/oai.port" ] && break; sleep 0.1; done
	[ -s "$WH_DIR/oai.port" ] || wh_fail "the OpenAI sandbox did not start: $(cat "$WH_DIR/oai.log")"
	VX_OAI=http://127.0.0.1:$(cat "$WH_DIR/oai.port")
	if [ -n "${VX_QDRANT:-}" ]; then
		. "$abs_top_srcdir/tests/ai/qdrant-lib.sh"
		qd_setup
	fi
}

vx_tenant() {
	local t ig di
	t=$(wh_tenant "$1")
	printf '{"base_url": "%s", "embedding_model": "sandbox-embed"}\n' "$VX_OAI" > "$WH_DIR/emb-$1.json"
	ph integration add --tenant "$1" --plugin gateway-embed --name emb \
		--type Embedding --config "$WH_DIR/emb-$1.json" --json > "$WH_DIR/emb-$1.out" ||
		wh_fail "adding the embedding integration failed: $(cat "$WH_DIR/emb-$1.out")"
	di=$(wh_sql "INSERT INTO integrations (tenant_id, name, type, plugin) VALUES ($t, 'gh', 'Data', 'sandbox') RETURNING id")
	[ -z "${VX_QDRANT:-}" ] || qd_add "$1" > /dev/null
	echo "$t $di"
}

vx_pr() {
	local t=$1 i=$2 ext=$3 repo=$4 num=$5 title=$6
	wh_sql "INSERT INTO repositories (tenant_id, integration_id, external_id, full_name, url)
		VALUES ($t, $i, '$repo', '$repo', 'https://github.example/$repo') ON CONFLICT DO NOTHING;
		INSERT INTO prs (tenant_id, integration_id, external_id, repository_external_id, number, title, state)
		VALUES ($t, $i, '$ext', '$repo', $num, \$\$$title\$\$, 'OPEN')
		ON CONFLICT (tenant_id, integration_id, external_id) DO UPDATE SET title = EXCLUDED.title, deleted_at = NULL;
		INSERT INTO vectorization_queue (tenant_id, integration_id, entity, external_id, operation)
		VALUES ($t, $i, 'prs', '$ext', 'insert')" > /dev/null
}

vx_embed_calls() {
	curl -fsS "$VX_OAI/_sandbox/stats" | jq -r .calls.embeddings
}

vx_pending() {
	wh_sql "SELECT count(*) FROM vectorization_queue WHERE tenant_id = $1 AND status <> 'completed'"
}

vx_titles() {
	local n=0 title
	for title in "Fix cache eviction race in session store" \
		"Add dark mode toggle to settings page" \
		"Upgrade PostgreSQL driver to version 16" \
		"Rotate the production signing keys" \
		"Speed up the search index rebuild" \
		"Remove the deprecated billing endpoint" \
		"Retry webhook deliveries with backoff" \
		"Document the on-call escalation policy" \
		"Cache compiled templates per tenant" \
		"Fix timezone handling in sprint reports" \
		"Add CSV export to the DORA dashboard" \
		"Limit session store memory growth"; do
		n=$((n + 1))
		[ "$n" -le "$3" ] || break
		vx_pr "$1" "$2" "PR_$n" acme/api "$n" "$title"
	done
}

vx_searches() {
	local k=0 q
	for q in "session store cache" "dark mode settings" "signing keys rotation"; do
		k=$((k + 1))
		ph search --tenant "$1" --json --limit 8 "$q" |
			jq -c '[.hits[] | [.external_id, .score] | select(.[1] > 0.001)]' \
			> "$WH_DIR/$2-$k.json"
	done
}

vx_same() { # vx_same A B: see the header
	local k
	for k in 1 2 3; do
		jq -e --slurpfile b "$WH_DIR/$2-$k.json" '. as $a | ($a | length) == ($b[0] | length)
			and ($a | length) > 0 and ([range($a | length)] | all(. as $i |
			$a[$i][0] == $b[0][$i][0] and (($a[$i][1] - $b[0][$i][1]) | fabs) < 0.00001))' \
			"$WH_DIR/$1-$k.json" > /dev/null ||
			wh_fail "search $k differs: $(cat "$WH_DIR/$1-$k.json") vs $(cat "$WH_DIR/$2-$k.json")"
	done
}
