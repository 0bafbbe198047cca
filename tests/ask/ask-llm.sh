#!/bin/bash
# The LLM path of `ask` against the scripted sandbox: intent by the LLM
# (schema-checked) and by rules when the reply is off the schema,
# self-correction from the database's and the guard's error (the second
# prompt carries it), few-shot examples from the learning memory, tenant
# A never reading B's rows even when the "LLM" names them, semantic and
# hybrid answers, and the limits reported through the LLM path.
. "$abs_top_srcdir/tests/ask/ask-lib.sh"
ask_setup
ask_llm
j() { jq -r "$@" "$WH_DIR/a.json"; }
ask() { ph ask --json "$@" > "$WH_DIR/a.json" 2> "$WH_DIR/a.err" || :; }

ask_script '^Classify: ' '{"intent": "structured", "confidence": 0.9}'
ask_script '^Summarize: ' 'Summary from the rows given.'

# self-correction from the database: a wrong column first; the fix is only
# served to a prompt that carries the server's error
Q1='How many reviews did each reviewer give?'
ask_script "$(ask_re "Question: $Q1")" "$(ask_sql_reply 'SELECT reviewer, count(*) AS n FROM q_reviews GROUP BY reviewer ORDER BY reviewer')"
ask_script '^Error: that query failed: .*column "reviewer" does not exist' \
	"$(ask_sql_reply 'SELECT author AS reviewer, count(*) AS n FROM q_reviews GROUP BY author ORDER BY author')"
ask --tenant acme --explain "$Q1"
[ "$(j .rounds)" = 2 ] || wh_fail "self-correction: expected 2 rounds: $(cat "$WH_DIR/a.json" "$WH_DIR/a.err")"
[ "$(j -c .rows)" = '[{"reviewer":"alice","n":3},{"reviewer":"bob","n":2},{"reviewer":"carol","n":1}]' ] ||
	wh_fail "self-correction: wrong rows: $(j -c .rows)"
[ "$(j '.attempts[0].failure')" = database ] || wh_fail "the first attempt's failure: $(j -c .attempts)"
mem=$(wh_sql "SELECT outcome || ' ' || (failed_sql LIKE '%reviewer, count%') || ' ' || (error LIKE '%reviewer%') || ' ' || (corrected_sql LIKE '%author AS reviewer%') FROM ai_learning_memory WHERE tenant_id = $TA AND question = '$Q1'")
[ "$mem" = 'ok true true true' ] ||
	wh_fail "the learning memory did not record the fix: $mem"

# self-correction from the guard: a base table, then the view
Q2='How many commits are there per author, from the raw table?'
ask_script "$(ask_re "Question: $Q2")" "$(ask_sql_reply 'SELECT author, count(*) AS n FROM prs_commits GROUP BY author')"
ask_script '^Error: that query failed: refused by the SQL guard \(rule relation\)' \
	"$(ask_sql_reply 'SELECT author, count(*) AS n FROM q_commits GROUP BY author ORDER BY author')"
ask --tenant acme --explain "$Q2"
[ "$(j .rounds)/$(j '.attempts[0].failure')/$(j .row_count)" = 2/guard/3 ] ||
	wh_fail "guard correction: $(cat "$WH_DIR/a.json")"

# three wrong answers: no answer, the last error said
Q3='What is the velocity of each squad?'
ask_script "$(ask_re "Question: $Q3")" "$(ask_sql_reply 'SELECT squad, velocity FROM q_squads')"
ask_script '^Error: that query failed: .*q_squads' "$(ask_sql_reply 'SELECT squad FROM q_work_items')"
ask_script '^Error: that query failed: .*column "squad"' "$(ask_sql_reply 'SELECT squad FROM q_work_items')"
ask --tenant acme "$Q3"
[ "$(j .rounds)" = 3 ] && [ "$(j .rows)" = null ] || wh_fail "3 failed rounds: $(cat "$WH_DIR/a.json")"
j .error | grep -q '^no answer after 3 attempts: .*column "squad" does not exist' || wh_fail "the error: $(j .error)"
j .summary | grep -qv 'Summary from' || wh_fail "a summary without rows: $(j .summary)"

# few-shot: a similar question later carries Q1 and its fix as an example
oai_api POST /_sandbox/stats/reset > /dev/null
Q4='How many reviews did each reviewer approve?'
ask_script "$(ask_re "Question: $Q4")" "$(ask_sql_reply "SELECT author AS reviewer, count(*) AS n FROM q_reviews WHERE state = 'APPROVED' GROUP BY author ORDER BY author")"
ask --tenant acme "$Q4"
[ "$(j -c .rows)" = '[{"reviewer":"alice","n":2},{"reviewer":"bob","n":2}]' ] || wh_fail "Q4: $(cat "$WH_DIR/a.json")"
n=$(oai_api GET /_sandbox/stats | jq '[.requests[] | select(.path == "chat")][1].n')
[ "$n" -ge 4 ] || wh_fail "the SQL prompt carried no example from the memory ($n messages)"
# the intent is asked with a strict JSON schema, the SQL as a JSON object
rf=$(oai_api GET /_sandbox/stats | jq -r '[.requests[] | select(.path == "chat")][0:2] | map(.response_format // "none") | join(",")')
[ "$rf" = "json_schema,json_object" ] || wh_fail "response formats of intent and SQL: $rf"
[ "$(oai_api GET /_sandbox/stats | jq -r '.last_chat_body.response_format.type // "none"')" != json_schema ] ||
	wh_fail "the last call (not the intent) was sent with the intent schema"
# the example is the corrected SQL, never the failed one
ph ask --tenant acme --feedback "$(j .memory_id)" good > /dev/null || wh_fail "feedback"

# tenant isolation: the "LLM" writes bravo's ids into acme's SQL
Q5='Show the vault pull request and its reviews.'
ask_script "$(ask_re "Question: $Q5")" "$(ask_sql_reply "SELECT p.pr_id, p.title, r.author FROM q_pull_requests p LEFT JOIN q_reviews r ON r.pr_id = p.pr_id WHERE p.repository = 'secret-b/vault' OR p.pr_id = 'PR_b1' OR p.author LIKE '%SECRET-B%'")"
ask --tenant acme "$Q5"
[ "$(j .row_count)" = 0 ] || wh_fail "acme read bravo's rows: $(cat "$WH_DIR/a.json")"
[ "$(j .summary)" = "no rows: nothing in the data matches the question." ] || wh_fail "empty: $(j .summary)"
j -c "[.rows, .summary, .hits]" | grep -q SECRET-B && wh_fail "SECRET-B in acme's answer"
ask --tenant bravo "$Q5"
[ "$(j .row_count)" = 1 ] && j .rows | grep -q SECRET-B || wh_fail "bravo's own row: $(cat "$WH_DIR/a.json")"

# intent off the schema: the rules decide, and say so
Q6='How many pull requests were merged?'
ask_script "$(ask_re "Classify: $Q6")" '{"intent": "everything", "confidence": 3}'
ask_script "$(ask_re "Question: $Q6")" "$(ask_sql_reply "SELECT count(*) AS n FROM q_pull_requests WHERE state = 'MERGED'")"
ask --tenant acme "$Q6"
[ "$(j .intent)/$(j .intent_by)/$(j -c .rows)" = 'structured/rules/[{"n":4}]' ] ||
	wh_fail "intent by rules: $(cat "$WH_DIR/a.json")"

# semantic: the search answers, each hit with its reason
Q7='dark theme for the website'
ask_script "$(ask_re "Classify: $Q7")" '{"intent": "semantic", "confidence": 0.8}'
ask --tenant acme "$Q7"
[ "$(j .intent)/$(j .intent_by)" = semantic/llm ] || wh_fail "semantic: $(cat "$WH_DIR/a.json")"
j '.hits[0:2][].id' | grep -qx 'acme/web#2' || wh_fail "semantic: the dark mode PR not in the first two: $(j -c .hits)"
j '.hits[0].reason' | grep -q '^similar in meaning' || wh_fail "no reason: $(j -c '.hits[0]')"
[ "$(j .sql)" = null ] || wh_fail "semantic ran SQL"

# hybrid: the SQL prompt lists the ids search found
Q8='How many commits do the billing pull requests have?'
ask_script "$(ask_re "Classify: $Q8")" '{"intent": "hybrid", "confidence": 0.7}'
ask_script "^Question: How many commits do the billing pull requests have\\?\\nSemantic search found only these items.*'acme/api#1'" \
	"$(ask_sql_reply "SELECT sum(commits_count) AS commits FROM q_pull_requests WHERE repository || '#' || number IN ('acme/api#1', 'acme/api#3', 'acme/web#3')")"
ask --tenant acme "$Q8"
[ "$(j .intent)/$(j -c .rows)" = 'hybrid/[{"commits":6}]' ] || wh_fail "hybrid: $(cat "$WH_DIR/a.json" "$WH_DIR/a.err")"
j '.hits[0].reason' | grep -q 'restricted to the items found' || wh_fail "hybrid reason: $(j -c '.hits')"

# limits through the LLM path, reported clearly
ask_conf 'ask = { max_rows = 2; timeout_ms = 500; max_bytes = 100000; max_cost = 100000; };'
Q9='List all pull request ids.'
ask_script "$(ask_re "Question: $Q9")" "$(ask_sql_reply 'SELECT pr_id FROM q_pull_requests ORDER BY pr_id')"
ask --tenant acme "$Q9"
[ "$(j .row_count)/$(j .row_limit_reached)" = 2/true ] || wh_fail "row cap: $(cat "$WH_DIR/a.json")"
ph ask --tenant acme "$Q9" > "$WH_DIR/cap.txt" 2>&1 || :
Q10='Count forever.'
ask_script "$(ask_re "Question: $Q10")" "$(ask_sql_reply 'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r')"
ask_script '^Error: that query failed: .*ran longer' "$(ask_sql_reply 'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r')"
ask --tenant acme --explain "$Q10"
[ "$(j '.attempts[0].failure')" = timeout ] || wh_fail "timeout: $(cat "$WH_DIR/a.json")"
j .error | grep -q 'ran longer than the limit (ask.timeout_ms)' || wh_fail "timeout error: $(j .error)"
ask_bulk
sed -i 's/timeout_ms = 500;/timeout_ms = 5000;/' "$WH_CONF"   # the cost limit, not the clock
Q11='Pair every commit with every other commit.'
ask_script "$(ask_re "Question: $Q11")" "$(ask_sql_reply 'SELECT count(*) FROM q_commits a, q_commits b, q_commits c')"
ask_script '^Error: that query failed: the planner estimates' "$(ask_sql_reply 'SELECT count(*) AS n FROM q_commits')"
ask --tenant acme --explain "$Q11"
[ "$(j '.attempts[0].failure')/$(j .rounds)/$(j '.rows[0].n')" = cost/2/3005 ] || wh_fail "cost: $(cat "$WH_DIR/a.json")"
j '.attempts[0].error' | grep -q 'above the limit of 100000 (ask.max_cost)' || wh_fail "cost error: $(j -c .attempts)"

# every LLM call is in ai_usage, on the query context, per operation
got=$(wh_sql "SELECT string_agg(DISTINCT operation, ',' ORDER BY operation) FROM ai_usage WHERE tenant_id = $TA AND context = 'query'")
[ "$got" = intent,sql,summary ] || wh_fail "ai_usage operations: $got"
echo PASS
