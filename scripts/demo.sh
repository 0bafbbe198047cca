#!/bin/bash
# demo: the main job on a built-in default. From a fresh Debian 12 machine:
# install what is missing, build, start a private PostgreSQL and the bundled
# GitHub and Jira sandbox APIs on free loopback ports, create a demo tenant
# with one integration per source, run a full sync of each through the real
# pipeline (extract -> raw storage -> queue -> transform -> load), and end
# with a summary: what was loaded and the tenant's DORA metrics.
#
#   bash scripts/demo.sh [--keep] [--seed N] [--repos N] [--prs N] [--issues N]
#
#   --keep       leave PostgreSQL and the sandboxes running afterwards and
#                print how to reach them (default: stop and remove all)
#   --seed N     sandbox data seed (default 42): same seed, same data
#   --repos N    GitHub repositories (default 4)      --prs N   PRs per repo (default 60)
#   --issues N   Jira issues per project (default 80)
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
node "$src/tests/sandbox/jira/server.js" --port 0 --port-file "$work/jira.port" \
	--seed "$seed" --issues "$issues" --gh-org acme --gh-repos "$repos" \
	>"$work/jira.log" 2>&1 &
pids+=($!)
for f in github jira; do
	for _ in $(seq 100); do [ -s "$work/$f.port" ] && break; sleep 0.1; done
	[ -s "$work/$f.port" ] || die "$f sandbox did not start; see $work/$f.log"
done
gh_url=http://127.0.0.1:$(cat "$work/github.port")
jira_url=http://127.0.0.1:$(cat "$work/jira.port")
echo "GitHub sandbox $gh_url, Jira sandbox $jira_url (seed $seed)"

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
ph integration list --tenant demo

for id in "${ids[@]}"; do
	step "Full sync of integration $id"
	ph job run "$id"
done

step "Summary for tenant demo"
# The sandboxes hold the 90 days before their epoch (2026-08-30).
ph dora --tenant demo --from 2026-06-01 --to 2026-08-30
if [ "$keep" -eq 1 ]; then
	step "Left running (--keep)"
	echo "export PULSE_HOST_DATABASE_URL='$PULSE_HOST_DATABASE_URL'"
	echo "$build/host/pulse-host --config $work/pulse-host.conf dora --tenant demo"
	echo "psql '$admin'      # superuser; stop all with: kill ${pids[*]}; and remove $work"
fi
