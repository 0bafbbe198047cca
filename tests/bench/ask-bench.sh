#!/bin/bash
# ask benchmark (docs/ask.md): the SQL guard's throughput over the hostile
# and benign corpora, beside bare pg_query_parse (baseline); then the
# end-to-end latency of `pulse-host ask` with the scripted sandbox LLM,
# split by stage (intent, generation, guard, execution, summary), beside
# `ask --sql` of the same SQL without an LLM (baseline).
set -euo pipefail
BENCH_NAME=ask-bench
. "$(dirname "$0")/bench-lib.sh"
N=${ASK_BENCH_QUESTIONS:-20}

cut -f2- "$abs_top_srcdir/tests/ask/hostile.txt" | grep -v '^#' | grep -v '^$' > /tmp/ask-bench.$$.sql || :
sed -n 's/^SQL: //p' "$abs_top_srcdir/tests/ask/benign.txt" >> /tmp/ask-bench.$$.sql
"$abs_top_builddir/tests/bench/bench-ask-guard" "${ASK_BENCH_ROUNDS:-20}" < /tmp/ask-bench.$$.sql
rm -f /tmp/ask-bench.$$.sql

. "$abs_top_srcdir/tests/ask/ask-lib.sh"
ask_setup
ask_llm
trap 'oai_stop; wh_cleanup; bench_pg_cleanup' EXIT
ask_script '^Classify: ' '{"intent": "structured", "confidence": 0.9}'
ask_script '^Summarize: ' 'Summary from the rows given.'
i=0
: > "$WH_DIR/stages.jsonl"
base=0 total=0
while IFS= read -r line; do
	case $line in 'Q: '*) q=${line#Q: } ;; 'SQL: '*) sql=${line#SQL: } ;; *) continue ;; esac
	[ "${line%%:*}" = SQL ] || continue
	i=$((i + 1))
	[ "$i" -le "$N" ] || break
	ask_script "$(ask_re "Question: $q")" "$(ask_sql_reply "$sql")"
	t0=$(date +%s%N)
	ph ask --tenant acme --json --explain "$q" > "$WH_DIR/a.json"
	t1=$(date +%s%N)
	ph ask --tenant acme --sql "$sql" --json > /dev/null
	t2=$(date +%s%N)
	jq -c --argjson wall $(( (t1 - t0) / 1000 )) '.stage_ms + {wall_us: $wall}' "$WH_DIR/a.json" >> "$WH_DIR/stages.jsonl"
	total=$((total + (t1 - t0) / 1000)) base=$((base + (t2 - t1) / 1000))
done < "$abs_top_srcdir/tests/ask/benign.txt"
node -e '
const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
const med = (k) => { const v = rows.map((r) => r[k]).sort((a, b) => a - b); return v[v.length >> 1]; };
const f = (k) => med(k).toFixed(2);
console.log(`ask end to end (${rows.length} questions, sandbox LLM), median ms per stage: ` +
  `intent ${f("intent")}, schema card + examples ${f("schema_card")}, generation ${f("llm_sql")}, ` +
  `guard ${f("guard")}, execution ${f("execute")}, summary ${f("summary")}; ` +
  `whole command ${(med("wall_us") / 1000).toFixed(1)} ms`);
' "$WH_DIR/stages.jsonl"
echo "baseline: ask --sql of the same SQL (no LLM): $((base / i / 1000)) ms per command; ask with the LLM: $((total / i / 1000)) ms per command"
