#!/bin/bash
# The benign corpus (tests/ask/benign.txt): every question goes through
# `pulse-host ask` and the scripted LLM (intent, SQL, summary), and must
# give the hand-written rows; each LLM call is recorded in ai_usage.
. "$abs_top_srcdir/tests/ask/ask-lib.sh"
ask_setup
ask_llm

ask_script '^Classify: ' '{"intent": "structured", "confidence": 0.9}'
ask_script '^Summarize: ' 'Summary from the rows given.'

# parse the corpus into numbered entries: tenant, question, SQL, rows
n=0 tenant=acme q= sql= rows=
flush() {
	[ -n "$q" ] || return 0
	[ -n "$sql" ] && [ -n "$rows" ] || wh_fail "benign.txt: entry '$q' lacks SQL: or ROWS:"
	n=$((n + 1))
	printf '%s' "$tenant" > "$WH_DIR/b$n.tenant"
	printf '%s' "$q" > "$WH_DIR/b$n.q"
	printf '%s' "$rows" > "$WH_DIR/b$n.expect"
	ask_script "$(ask_re "Question: $q")" "$(ask_sql_reply "$sql")"
	tenant=acme q= sql= rows=
}
while IFS= read -r line || [ -n "$line" ]; do
	case $line in
	'#'*) ;;
	'') flush ;;
	'T: '*) tenant=${line#T: } ;;
	'Q: '*) q=${line#Q: } ;;
	'SQL: '*) sql=${line#SQL: } ;;
	'ROWS: '*) rows=${line#ROWS: } ;;
	*) wh_fail "benign.txt: cannot read line '$line'" ;;
	esac
done < "$abs_top_srcdir/tests/ask/benign.txt"
flush
[ "$n" -ge 60 ] || wh_fail "the benign corpus has $n questions, fewer than 60"

for i in $(seq 1 "$n"); do
	ph ask --tenant "$(cat "$WH_DIR/b$i.tenant")" --json "$(cat "$WH_DIR/b$i.q")" \
		> "$WH_DIR/b$i.out" 2> "$WH_DIR/b$i.err" ||
		wh_fail "question $i ($(cat "$WH_DIR/b$i.q")) failed: $(cat "$WH_DIR/b$i.err")"
done

# compare: rows equal (as JSON values), a structured answer by the LLM in
# one round, the SQL run wrapped with the row cap, a summary (no rows: the
# fixed sentence, never the model)
node -e '
const fs = require("fs"), dir = process.argv[1], n = +process.argv[2];
const canon = (v) => JSON.stringify(v, (k, x) => x && typeof x === "object" && !Array.isArray(x)
  ? Object.keys(x).sort().reduce((o, k2) => (o[k2] = x[k2], o), {}) : x);
let bad = 0;
for (let i = 1; i <= n; i++) {
  const q = fs.readFileSync(`${dir}/b${i}.q`, "utf8");
  const want = JSON.parse(fs.readFileSync(`${dir}/b${i}.expect`, "utf8"));
  const a = JSON.parse(fs.readFileSync(`${dir}/b${i}.out`, "utf8"));
  const why = [];
  if (canon(a.rows) !== canon(want)) why.push(`rows ${JSON.stringify(a.rows)}, expected ${JSON.stringify(want)}`);
  if (a.intent !== "structured" || a.intent_by !== "llm") why.push(`intent ${a.intent} by ${a.intent_by}`);
  if (a.rounds !== 1) why.push(`rounds ${a.rounds}`);
  if (!/^SELECT \* FROM \(/.test(a.sql || "") || !/\) q LIMIT \d+$/.test(a.sql || "")) why.push(`sql run ${a.sql}`);
  const sum = want.length ? "Summary from the rows given." : "no rows: nothing in the data matches the question.";
  if (a.summary !== sum) why.push(`summary ${JSON.stringify(a.summary)}`);
  if (a.error) why.push(`error ${a.error}`);
  if (why.length) { bad++; console.error(`FAIL ${i} "${q}": ${why.join("; ")}`); }
}
console.log(`benign corpus: ${n - bad} of ${n} answered as expected`);
process.exit(bad ? 1 : 0);
' "$WH_DIR" "$n" || wh_fail "the benign corpus did not pass"

# usage: one intent and one SQL call per question, a summary for each
# non-empty one, all on the query context, by tenant
empty=$(grep -lx '\[\]' "$WH_DIR"/b*.expect | wc -l)
na=$(cat "$WH_DIR"/b*.tenant | tr -s ' ' | grep -o acme | wc -l)
got=$(wh_sql "SELECT string_agg(operation || '=' || n, ' ' ORDER BY operation) FROM (SELECT operation, count(*) n FROM ai_usage WHERE tenant_id = $TA AND context = 'query' AND outcome = 'ok' GROUP BY 1) s")
[ "$got" = "intent=$na sql=$na summary=$((na - empty))" ] ||
	wh_fail "ai_usage of acme: $got (expected intent=$na sql=$na summary=$((na - empty)))"
echo PASS
