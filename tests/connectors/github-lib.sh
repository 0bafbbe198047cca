# tests/connectors/github-lib.sh: set-up shared by the GitHub plugin tests and
# the benchmark (sourced, not a test). Each test gets its own database, app
# role, temp dir and GitHub sandbox on a free port, all removed at exit, so
# the tests run in parallel.
#
#   gh_setup NAME [SANDBOX ARGS...]
#                       database + migrate, tenant "t1", sandbox started
#                       with the args (--seed/--repos/--prs/--token ...);
#                       sets GH_DIR GH_CONF GH_URL (sandbox root) GH_DB
#   gh_integration JSON print the id of a new github integration whose
#                       settings are JSON (base_url and tokens default to
#                       the sandbox's and "sandbox-token")
#   gh_run ID [ARGS]    `pulse-host job run --in-process ID`; output in
#                       $GH_DIR/run.N.log, status in GH_RC (never exits)
#   gh_sql SQL          run SQL as superuser in the test database
#   gh_api METHOD PATH [JSON]   call the sandbox admin API, print the body
#   gh_truth [QUERY]    GET /_sandbox/truth?QUERY
#   gh_stats_reset / gh_stats   /_sandbox/stats
#   gh_fail MSG         print and exit 1; gh_check COND MSG
#   jqv EXPR [FILE]     node-based JSON query helper (no jq needed)
#   GH_ON_EXIT          a function run last by the exit cleanup
. "$abs_top_srcdir/tests/connectors/sandbox-lib.sh"

B=$PULSE_HOST_BIN
GH_DIR=
GH_DB=
GH_SANDBOX_PID=
GH_RUNS=0

gh_log() { printf '%s: %s\n' "${GH_NAME:-github}" "$*" >&2; }
gh_fail() { gh_log "FAIL: $*"; exit 1; }

gh_cleanup() { sb_cleanup GH gh_log; }

gh_sql() {
	psql -X -q -At -v ON_ERROR_STOP=1 "$GH_ADMIN_URL" -c "$1"
}

gh_api() { sb_api "$GH_URL" "$@"; }
gh_truth() { gh_api GET "/_sandbox/truth${1:+?$1}"; }
gh_stats() { gh_api GET /_sandbox/stats; }
gh_stats_reset() { gh_api POST /_sandbox/stats/reset >/dev/null; }

gh_setup() {
	local port_file i
	GH_NAME=$1
	shift
	command -v node >/dev/null || gh_fail "node is not installed (see tests/sandbox/github/ensure-deps.sh)"
	NODE_PATH=$(bash "$abs_top_srcdir/tests/sandbox/github/ensure-deps.sh" 2>/dev/null) ||
		gh_fail "the GitHub sandbox's dependencies could not be installed (run tests/sandbox/github/ensure-deps.sh to see why)"
	export NODE_PATH
	GH_DIR=$(harness_mktemp)
	trap gh_cleanup EXIT
	GH_DB="gh_${GH_NAME//-/_}_$$_$(harness_random_hex 6)"
	harness_app_db "$GH_DB" "$GH_DIR" || gh_fail "database set-up failed"
	GH_ADMIN_URL=$HARNESS_DB_ADMIN_URL
	export PULSE_HOST_DATABASE_URL=$HARNESS_DB_APP_URL
	# One machine, in-process stages: these tests are about the plugin.
	export PULSE_HOST_BROKER_URL=
	GH_CONF="$GH_DIR/pulse-host.conf"
	cat > "$GH_CONF" <<-EOF
	key_file = "$GH_DIR/secret.key";
	plugin_dirs = ["$abs_top_builddir/plugins/source-github/.libs"];
	# the sandbox is plain http on loopback: allow it
	http = { timeout_seconds = 20; max_retries = 4;
	         allow_hosts = ["127.0.0.1", "localhost"]; };
	EOF
	"$B" -c "$GH_CONF" tenant add t1 >/dev/null || gh_fail "tenant add failed"
	port_file="$GH_DIR/sandbox.port"
	node "$abs_top_srcdir/tests/sandbox/github/server.js" --port 0 \
		--port-file "$port_file" "$@" >"$GH_DIR/sandbox.log" 2>&1 &
	GH_SANDBOX_PID=$!
	for i in $(seq 300); do
		[ -s "$port_file" ] && break
		harness_alive "$GH_SANDBOX_PID" || { cat "$GH_DIR/sandbox.log" >&2; gh_fail "sandbox did not start"; }
		sleep 0.1
	done
	[ -s "$port_file" ] || gh_fail "sandbox did not write its port"
	GH_URL="http://127.0.0.1:$(cat "$port_file")"
}

# gh_integration JSON: settings merged over base_url/tokens defaults.
gh_integration() {
	local json=$1 file="$GH_DIR/integration.$RANDOM.json" out
	node -e '
		const s = JSON.parse(process.argv[1]);
		const o = Object.assign({ base_url: process.argv[2], tokens: ["sandbox-token"] }, s);
		process.stdout.write(JSON.stringify(o));
	' "$json" "$GH_URL" > "$file"
	out=$("$B" -c "$GH_CONF" integration add --tenant t1 --plugin github \
		--config "$file" --name "gh$RANDOM" --json 2>"$GH_DIR/add.err") ||
		{ cat "$GH_DIR/add.err" >&2; gh_fail "integration add failed"; }
	printf '%s\n' "$out" | harness_json_get id
}

# gh_run ID [ARGS...]: run the job in-process; never exits the test.
gh_run() {
	local id=$1
	shift
	GH_RUNS=$((GH_RUNS + 1))
	GH_LOG="$GH_DIR/run.$GH_RUNS.log"
	GH_RC=0
	"$B" -c "$GH_CONF" job run --in-process "$@" "$id" >"$GH_LOG" 2>&1 || GH_RC=$?
	return 0
}

gh_check() {
	local cond=$1 msg=$2
	if ! eval "$cond"; then
		gh_fail "$msg"
	fi
}

# gh_eq WHAT GOT WANT
gh_eq() {
	[ "$2" = "$3" ] || gh_fail "$1: got '$2', want '$3'"
	gh_log "ok: $1 = $3"
}

# gh_verify OPTIONS_JSON: compare the warehouse with the sandbox's truth
# (github-check.js); fails the test on any mismatch. OPTIONS_JSON:
# {"envRegex": "...", "releases": true|false}. Sampled PRs (checked down
# to every child id) are the first two of each repository plus those whose
# commits, reviews or comments spill past the first page.
gh_verify() {
	local opts=$1 v="$GH_DIR/verify" repo num samples=() ids
	mkdir -p "$v"
	printf '%s\n' "$opts" > "$v/options.json"
	gh_truth main=1 > "$v/truth.json" || gh_fail "GET /_sandbox/truth failed"
	while read -r repo num; do
		[ -n "$repo" ] || continue
		samples+=("$repo#$num")
		gh_truth "repo=$repo&pr=$num" > "$v/pr.$repo.$num.json" || gh_fail "truth of $repo#$num"
	done < <(jqv 'd.repos.map(r => { const big = r.prs.filter(p => p.commits > 100 || p.reviews > 50 || p.comments > 50).slice(0, 3); return r.prs.slice(0, 2).concat(big).map(p => r.name + " " + p.number).join("\n"); }).join("\n")' "$v/truth.json")
	node -e '
		const fs = require("fs"), dir = process.argv[1], out = {};
		for (const s of process.argv.slice(2)) {
			const [r, n] = s.split("#");
			out[s] = JSON.parse(fs.readFileSync(`${dir}/pr.${r}.${n}.json`, "utf8")).repos[0].prs[0];
		}
		fs.writeFileSync(`${dir}/details.json`, JSON.stringify(out));
	' "$v" "${samples[@]}"
	ids=$(jqv 'Object.values(d).map(p => p.id).join(",")' "$v/details.json")
	psql -X -q -v ON_ERROR_STOP=1 -v sample_prs="$ids" "$GH_ADMIN_URL" \
		-f "$abs_top_srcdir/tests/connectors/github-dump.sql" > "$v/db.json" ||
		gh_fail "dumping the warehouse failed"
	node "$abs_top_srcdir/tests/connectors/github-check.js" "$v" >&2 ||
		gh_fail "the warehouse does not match the sandbox's truth (see above)"
}

# gh_check_commit_links WANT.json: the GitHub links people resolve made in
# tenant t1 (login and the directory user's principal name) and the shared
# addresses `people unmatched --json` reports must equal WANT.json's
# "links" and "conflicts", each link made by the commit_email method.
gh_check_commit_links() {
	local want=$1 m
	gh_sql "SELECT l.account || ' ' || lower(d.principal_name)
	          FROM people_links l
	          JOIN people_links dl ON dl.tenant_id = l.tenant_id AND dl.person_id = l.person_id
	                              AND dl.kind = 'directory'
	          JOIN directory_users d ON d.tenant_id = dl.tenant_id
	                                AND d.integration_id = dl.integration_id
	                                AND d.external_id = dl.account
	         WHERE l.kind = 'github' ORDER BY 1" > "$GH_DIR/got.links"
	jqv 'd.links.join("\n")' "$want" > "$GH_DIR/want.links"
	diff "$GH_DIR/want.links" "$GH_DIR/got.links" >&2 ||
		gh_fail "GitHub links differ from the truth (want < > got)"
	m=$(gh_sql "SELECT string_agg(DISTINCT method, ',') FROM people_links WHERE kind = 'github'")
	gh_eq "method of every GitHub link" "$m" commit_email
	"$B" -c "$GH_CONF" people unmatched --tenant t1 --json > "$GH_DIR/unmatched.json" ||
		gh_fail "people unmatched failed"
	jqv 'd.github_email_conflicts.map(c => c.email + " " + c.logins.join(",")).join("\n")' \
		"$GH_DIR/unmatched.json" > "$GH_DIR/got.conf"
	jqv 'd.conflicts.join("\n")' "$want" > "$GH_DIR/want.conf"
	diff "$GH_DIR/want.conf" "$GH_DIR/got.conf" >&2 ||
		gh_fail "reported shared addresses differ (want < > got)"
}
