#!/bin/bash
# gateway-bench.sh: gateway embeddings throughput against the OpenAI
# sandbox at batch sizes 1..2048 (through the router, beside the same
# provider called directly in the same run), and the router's overhead per
# call as a share of a local embed call (embed-local, a MiniLM-shaped
# model with random weights, batch 32). Figures, not assertions.
#
#   make bench BENCH=gateway
#
# The sandbox is Node on this machine: its speed, not a real gateway's,
# bounds the texts/s; what the figures show is what batching buys and
# what the router adds. The overhead is measured on a provider that costs
# almost nothing (lexical-local) so that it is the router's own time.
set -euo pipefail
. "$abs_top_srcdir/tests/db/warehouse-lib.sh"
. "$abs_top_srcdir/tests/ai/openai-lib.sh"
. "$abs_top_srcdir/tests/embed/lib.sh"
wh_setup
trap 'oai_stop; wh_cleanup' EXIT
embed_require_torch
embed_node_modules
embed_model "$WH_DIR/m" minilm 3 > /dev/null
export OPENBLAS_NUM_THREADS=${GATEWAY_BENCH_THREADS:-2}
cat > "$WH_CONF" <<CONF
key_file = "$WH_DIR/secret.key";
database_url = "$WH_APP_URL";
plugin_dirs = ["$abs_top_builddir/plugins/provider-gateway/.libs", "$abs_top_builddir/plugins/provider-embed-local/.libs", "$abs_top_builddir/tests/ai/.libs"];
http = { allow_hosts = ["127.0.0.1"]; };
CONF
oai_start "$WH_DIR" || wh_fail "the OpenAI sandbox did not start"
T1=$(wh_tenant bench)
T2=$(wh_tenant lex)
printf '{"model_dir": "%s", "threads": %s}\n' "$WH_DIR/m" "$OPENBLAS_NUM_THREADS" > "$WH_DIR/loc.json"
LOC=$(ph integration add --tenant bench --plugin embed-local --type Embedding --name loc \
	--config "$WH_DIR/loc.json" --json | harness_json_get id)
cat > "$WH_DIR/gwe.json" <<JSON
{"base_url": "$OAI_URL/v1", "embedding_model": "lex", "embedding_dimensions": 384,
 "ai_model_config": {"etl": ["gwe"], "search": ["loc"]}}
JSON
GWE=$(ph integration add --tenant bench --plugin gateway-embed --type Embedding --name gwe \
	--config "$WH_DIR/gwe.json" --json | harness_json_get id)
printf '{"dimension": 384}\n' > "$WH_DIR/lex.json"
LEX=$(ph integration add --tenant lex --plugin lexical-local --type Embedding --name lex \
	--config "$WH_DIR/lex.json" --json | harness_json_get id)
echo "cpu: $(awk -F: '/^model name/ { print $2; exit }' /proc/cpuinfo | sed 's/^ //'), $(nproc) cores;" \
	"load average $(cut -d' ' -f1-3 /proc/loadavg); OPENBLAS_NUM_THREADS=$OPENBLAS_NUM_THREADS"
"$abs_top_builddir/tests/bench/bench-gateway" "$WH_CONF" "$T1" "$GWE" "$LOC" "$T2" "$LEX"
echo "ai_usage rows written: $(wh_sql "SELECT count(*) FROM ai_usage")"
