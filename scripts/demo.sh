#!/bin/bash
# demo: the main job on a built-in default. From a fresh Debian 12 machine:
# install what is missing, build, start a private PostgreSQL and the bundled
# GitHub, Jira and Microsoft Graph (Entra ID) sandbox APIs on free loopback
# ports, create a demo tenant with one integration per source, run a full
# sync of each through the real pipeline (extract -> raw storage -> queue ->
# transform -> load), vectorize what was loaded, and end with a summary:
# the tenant's DORA metrics, cut by team (directory groups whose people are
# linked to their GitHub and Jira accounts), and a few semantic searches.
#
#   bash scripts/demo.sh [--keep] [--seed N] [--repos N] [--prs N] [--issues N]
#
#   --keep       leave PostgreSQL and the sandboxes running afterwards and
#                print how to reach them (default: stop and remove all)
#   --seed N     sandbox data seed (default 42): same seed, same data
#   --repos N    GitHub repositories (default 4)      --prs N   PRs per repo (default 60)
#   --issues N   Jira issues per project (default 80)
#
# Embeddings: the local model (embed-local) when DEMO_MODEL_DIR names a
# model directory that `pulse-host embed` accepts, else the bundled
# OpenAI-compatible sandbox's lexical embeddings; the output says which.
#
# DEMO_BUILD_DIR=DIR uses an existing build instead of building build/demo.
#
# Re-running is safe: everything lives in a fresh temp dir per run.
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
keep=0 seed=42 repos=4 prs=60 issues=80
while [ $# -gt 0 ]; do
	case $1 in
	--keep) keep=1 ;;
	--seed) seed=${2:?}; shift ;;
	--repos) repos=${2:?}; shift ;;
	--prs) prs=${2:?}; shift ;;
	--issues) issues=${2:?}; shift ;;
	-h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "demo: unknown option '$1' (try --help)" >&2; exit 2 ;;
	esac
	shift
done

step() { printf '\n==> %s\n' "$*"; }
die() { echo "demo: $*" >&2; exit 1; }

step "Checking packages"
if ! bash "$src/scripts/install-deps.sh" --check >/dev/null 2>&1; then
	[ "$(id -u)" -eq 0 ] || die "packages are missing; run as root (sudo bash scripts/demo.sh)"
	bash "$src/scripts/install-deps.sh"
else
	echo "all present"
fi

# DEMO_BUILD_DIR: an existing build to use as it is (the tests' own).
build=${DEMO_BUILD_DIR:-}
if [ -n "$build" ]; then
	step "Using the build in $build"
	[ -x "$build/host/pulse-host" ] || die "DEMO_BUILD_DIR=$build holds no host/pulse-host"
else
step "Building (out of tree, build/demo)"
build=$src/build/demo
mkdir -p "$build"
# quiet when they work; their whole output when they fail
if [ ! -x "$src/configure" ]; then
	(cd "$src" && autoreconf -fi) >"$build/autoreconf.log" 2>&1 || {
		cat "$build/autoreconf.log" >&2
		die "autoreconf -fi failed (output above, also in $build/autoreconf.log)"
	}
fi
if [ ! -f "$build/Makefile" ]; then
	(cd "$build" && "$src/configure" -q) >"$build/configure.out" 2>&1 || {
		cat "$build/configure.out" >&2
		die "configure failed (output above; details in $build/config.log)"
	}
fi
make -C "$build" -j"$(nproc)" -s >/dev/null
fi
echo "built $(ls "$build"/plugins/*/.libs/*.so | wc -l) plugins"

. "$src/tests/harness/lib.sh"
work=$(harness_mktemp)
pids=()
cleanup() {
	local rc=$?
	if [ "$keep" -eq 1 ] && [ "$rc" -eq 0 ]; then return; fi
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	harness_destroy "$work" >/dev/null 2>&1 || true
}
trap cleanup EXIT

step "Starting a private PostgreSQL"
pg_start "$work/pg" 2>&1 | grep -v '^harness: ' || true
pg_running "$work/pg" || die "PostgreSQL did not start; see $work/pg/postgresql.log"
admin=$(pg_admin_url "$work/pg")
app_pw=$(harness_random_hex 24)
pg_create_db "$work/pg" pulse >/dev/null
echo "PostgreSQL on 127.0.0.1:$(pg_port "$work/pg")"

step "Starting the sandbox APIs (GitHub, Jira)"
NODE_PATH=$(bash "$src/tests/sandbox/github/ensure-deps.sh") || die "the GitHub sandbox's npm packages could not be installed (above)"
export NODE_PATH
node "$src/tests/sandbox/github/server.js" --port 0 --port-file "$work/github.port" \
	--seed "$seed" --repos "$repos" --prs "$prs" --org acme \
	--epoch 2026-08-30T00:00:00Z >"$work/github.log" 2>&1 &
pids+=($!)
node "$src/tests/sandbox/openai/server.js" --port 0 --port-file "$work/openai.port" \
	>"$work/openai.log" 2>&1 &
pids+=($!)
node "$src/tests/sandbox/jira/server.js" --port 0 --port-file "$work/jira.port" \
	--seed "$seed" --issues "$issues" --gh-org acme --gh-repos "$repos" \
	>"$work/jira.log" 2>&1 &
pids+=($!)
for f in github jira openai; do
	for _ in $(seq 100); do [ -s "$work/$f.port" ] && break; sleep 0.1; done
	[ -s "$work/$f.port" ] || die "$f sandbox did not start; see $work/$f.log"
done
gh_url=http://127.0.0.1:$(cat "$work/github.port")
jira_url=http://127.0.0.1:$(cat "$work/jira.port")
echo "GitHub sandbox $gh_url, Jira sandbox $jira_url (seed $seed)"
# ---- directory: an Entra ID sandbox (Microsoft Graph) whose people are
# the GitHub and Jira sandboxes' (tests/sandbox/graph/demo-directory.js):
# a directory extension holds each GitHub login, the mail each Jira
# address; three teams (groups) cut the summary's DORA.
gh_attr=extension_c1a2b3c400004000800000000000c11e_githubLogin
curl -sf "$gh_url/_sandbox/truth" >"$work/github.truth.json" &&
	curl -sf "$jira_url/_sandbox/truth" >"$work/jira.truth.json" &&
	node "$src/tests/sandbox/graph/demo-directory.js" "$work/github.truth.json" \
		"$work/jira.truth.json" "$gh_attr" >"$work/directory.json" ||
	die "could not seed the directory from the sandboxes' truth"
node "$src/tests/sandbox/graph/server.js" --port 0 --port-file "$work/graph.port" \
	--directory "$work/directory.json" --page-size 50 >"$work/graph.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/graph.port" ] && break; sleep 0.1; done
[ -s "$work/graph.port" ] || die "graph sandbox did not start; see $work/graph.log"
graph_url=http://127.0.0.1:$(cat "$work/graph.port")
echo "Graph (Entra ID) sandbox $graph_url: $(jq '.users | length' "$work/directory.json") people in" \
	"teams $(jq -r '[.groups[].displayName] | join(", ")' "$work/directory.json")"

cat >"$work/pulse-host.conf" <<CONF
# written by scripts/demo.sh for this run
plugin_dirs = [$(for d in "$build"/plugins/*/.libs; do printf '"%s", ' "$d"; done | sed 's/, $//')];
key_file = "$work/secret.key";
log_level = "warn";
# the sandboxes are plain http on loopback
http = { allow_hosts = ["127.0.0.1", "localhost"]; };
CONF
export PULSE_HOST_DATABASE_URL="postgresql://pulse_app:$app_pw@127.0.0.1:$(pg_port "$work/pg")/pulse"
export PULSE_HOST_BROKER_URL=""
ph() { "$build/host/pulse-host" --config "$work/pulse-host.conf" "$@"; }

step "Creating the schema, the demo tenant and its integrations"
printf '%s\n' "$app_pw" | ph migrate --admin-url "${admin%/postgres}/pulse" \
	--app-role pulse_app --app-password - | tail -n 2
ph tenant add demo
cat >"$work/github.json" <<JSON
{"base_url": "$gh_url", "org": "acme", "tokens": ["sandbox-token"],
 "deployment_environment": "prod|production"}
JSON
# --json: the new integration's id without scraping the sentence
gh_id=$(ph integration add --tenant demo --plugin github --name github \
	--config "$work/github.json" --json | jq -er .id) ||
	die "could not add the GitHub integration"
echo "integration $gh_id added: github"
ids=("$gh_id")
if ph plugins show jira >/dev/null 2>&1; then
	cat >"$work/jira.json" <<JSON
{"base_url": "$jira_url", "email": "sandbox@example.com", "api_token": "sandbox-token",
 "projects": [], "incident_types": ["Incident"]}
JSON
	jira_id=$(ph integration add --tenant demo --plugin jira --name jira \
		--config "$work/jira.json" --json | jq -er .id) ||
		die "could not add the Jira integration"
	echo "integration $jira_id added: jira"
	ids+=("$jira_id")
else
	echo "note: this build has no jira plugin; syncing GitHub only"
fi
if ph plugins show fabric >/dev/null 2>&1; then
	# Fabric: a sandbox tenant with data pipelines, notebooks and a
	# deployment pipeline whose deploys fall in the DORA window below.
	FABRIC_SANDBOX_CLIENT_SECRET=sandbox~secret node "$src/tests/sandbox/fabric/server.js" \
		--port 0 --port-file "$work/fabric.port" --seed "$seed" --deploys 16 \
		--epoch 2026-07-01T08:00:00Z >"$work/fabric.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 100); do [ -s "$work/fabric.port" ] && break; sleep 0.1; done
	[ -s "$work/fabric.port" ] || die "fabric sandbox did not start; see $work/fabric.log"
	fabric_url=http://127.0.0.1:$(cat "$work/fabric.port")
	cat >"$work/fabric.json" <<JSON
{"tenant_id": "72f988bf-0000-4000-8000-00000000fab1", "client_id": "c1a2b3c4-0000-4000-8000-00000000fab2",
 "client_secret": "sandbox~secret", "authority": "$fabric_url", "api_url": "$fabric_url"}
JSON
	fabric_id=$(ph integration add --tenant demo --plugin fabric --name fabric \
		--config "$work/fabric.json" --json | jq -er .id) ||
		die "could not add the Fabric integration"
	echo "integration $fabric_id added: fabric (sandbox $fabric_url)"
	ids+=("$fabric_id")
fi
if ph plugins show entra >/dev/null 2>&1; then
	cat >"$work/entra.json" <<JSON
{"tenant": "72f988bf-0000-4000-8000-000000000001",
 "client_id": "c1a2b3c4-0000-4000-8000-00000000c11e", "client_secret": "sandbox~secret",
 "authority": "$graph_url", "graph_url": "$graph_url", "select_extra": ["$gh_attr"]}
JSON
	entra_id=$(ph integration add --tenant demo --plugin entra --name entra \
		--config "$work/entra.json" --json | jq -er .id) ||
		die "could not add the Entra ID integration"
	echo "integration $entra_id added: entra"
	ids+=("$entra_id")
	# GitHub logins sit in a directory extension; Jira accounts match by mail
	ph people config --tenant demo --github-attribute "$gh_attr" >/dev/null
fi
ph integration list --tenant demo

for id in "${ids[@]}"; do
	step "Full sync of integration $id"
	ph job run "$id"
done

step "Vectorizing what was synced"
model_dir=${DEMO_MODEL_DIR:-}
if [ -n "$model_dir" ] && ph embed --plugin embed-local \
	--settings "{\"model_dir\": \"$model_dir\"}" "check" >/dev/null 2>&1; then
	printf '{"model_dir": "%s"}\n' "$model_dir" >"$work/emb.json"
	ph integration add --tenant demo --plugin embed-local --name embeddings \
		--type Embedding --config "$work/emb.json" --json >/dev/null ||
		die "could not add the local embedder"
	echo "embedder: the local model in $model_dir (embed-local)"
else
	printf '{"base_url": "http://127.0.0.1:%s", "embedding_model": "sandbox-embed"}\n' \
		"$(cat "$work/openai.port")" >"$work/emb.json"
	ph integration add --tenant demo --plugin gateway-embed --name embeddings \
		--type Embedding --config "$work/emb.json" --json >/dev/null ||
		die "could not add the embedding gateway"
	echo "embedder: the OpenAI sandbox's lexical embeddings (word hashing, not a" \
		"real model; set DEMO_MODEL_DIR to a verified model for semantic ones)"
fi
ph vectorize run --tenant demo --follow
ph vectorize status --tenant demo | tail -n 1

step "Summary for tenant demo"
# The sandboxes hold the 90 days before their epoch (2026-08-30).
ph dora --tenant demo --from 2026-06-01 --to 2026-08-30
if [ -n "${fabric_id:-}" ]; then
	step "Fabric: job runs and deploys (integration $fabric_id)"
	ph stats --tenant demo --json | jq -r '.tables[]? | select(.table | test("^fabric_")) |
		"\(.table): \(.rows) rows"' || true
	ph dora --tenant demo --repo "fabric/sales release 0" --from 2026-06-01 --to 2026-08-30
fi
if [ -n "${entra_id:-}" ]; then
	step "DORA by team (Entra ID groups; people linked to GitHub and Jira accounts, docs/people.md)"
	ph people list --tenant demo --json | jq -r '.people | "people: \(length), with a GitHub login: \([.[] | select(any(.links[]; .kind == "github"))] | length), with a Jira account: \([.[] | select(any(.links[]; .kind == "jira"))] | length)"'
	jq -r '.groups[].displayName' "$work/directory.json" | while read -r team; do
		ph dora --tenant demo --from 2026-06-01 --to 2026-08-30 --team "$team" --json |
			jq -r -f "$src/scripts/demo-team.jq"
	done
fi
for q in "fix flaky test" "upgrade dependency version" "login error"; do
	step "Search: \"$q\""
	ph search --tenant demo --limit 3 "$q"
done

# ---- ask: one question answered by SQL and one by search (docs/ask.md).
# The demo has no LLM route: the SQL is given, and the intent of the
# second question comes from the rules (the output says "by rules").
step "Ask: which repositories merged the most pull requests? (guarded SQL)"
ph ask --tenant demo --sql "SELECT repository, count(*) AS merged FROM q_pull_requests WHERE state = 'MERGED' GROUP BY 1 ORDER BY 2 DESC LIMIT 5"
step "Ask: pull requests similar to \"fix flaky test\" (semantic intent, by rules: no LLM)"
ph ask --tenant demo "pull requests similar to fix flaky test"
# ---- end of ask
if [ "$keep" -eq 1 ]; then
	step "Left running (--keep)"
	echo "export PULSE_HOST_DATABASE_URL='$PULSE_HOST_DATABASE_URL'"
	echo "$build/host/pulse-host --config $work/pulse-host.conf dora --tenant demo"
	# The web console (docs/console.md): a daemon on a free loopback port
	# and a one-time sign-in link (the token rides in the URL fragment).
	port=$(harness_free_port "$work")
	printf 'listen = "127.0.0.1:%s";\njwt_key_file = "%s/jwt.key";\n' "$port" "$work" \
		>>"$work/pulse-host.conf"
	# not through ph: $! must be the daemon's pid, not a subshell's
	"$build/host/pulse-host" --config "$work/pulse-host.conf" run >"$work/daemon.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 150); do
		curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
		sleep 0.2
	done
	curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 ||
		die "the daemon did not start; see $work/daemon.log"
	echo "console: $(ph token issue --tenant demo --role admin --ttl 8h --link)"
	echo "         (open it in a browser on this machine; the daemon's log is $work/daemon.log)"
	echo "psql '$admin'      # superuser; stop all with: kill ${pids[*]}; and remove $work"
fi
