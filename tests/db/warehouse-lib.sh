# warehouse-lib.sh: shared setup of the warehouse tests (sourced).
#
#   wh_setup                a database + app role of our own, migrated, and
#                           a config with a private key file; sets WH_DIR,
#                           WH_DB, WH_ADMIN (superuser URL of the database),
#                           WH_CONF, and exports PULSE_HOST_DATABASE_URL
#                           (the app role) and PULSE_HOST_BROKER_URL= (no
#                           broker: everything in-process)
#   ph ARGS...              run pulse-host with WH_CONF
#   wh_sql SQL              run SQL as superuser, print unaligned rows
#   wh_app_sql SQL          run SQL as the app role (RLS applies)
#   wh_fail MSG             print MSG and exit 1
#   wh_expect_fail OUT_FILE CMD...   CMD must exit non-zero; its stderr goes
#                           to OUT_FILE
#   wh_wait_for SECONDS WHAT CMD...  harness_wait_for, failing the test
#   wh_tenant NAME          add a tenant, print its id (from --json)
# Everything is dropped at exit.
set -euo pipefail
. "$abs_top_srcdir/tests/harness/lib.sh"

: "${PULSE_TEST_PG_ADMIN_URL:?the harness (make check) sets PULSE_TEST_PG_ADMIN_URL}"
WH_BIN=${PULSE_HOST_BIN:-$abs_top_builddir/host/pulse-host}

wh_fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

wh_cleanup() {
	local pids
	# our own children only (e.g. a job run we backgrounded)
	pids=$(jobs -p 2>/dev/null) || pids=
	[ -z "$pids" ] || kill -9 $pids 2>/dev/null || :
	harness_app_db_drop "${WH_DB:-}"
	[ -z "${WH_DIR:-}" ] || rm -rf "$WH_DIR"
}

wh_setup() {
	WH_DIR=$(mktemp -d "${TMPDIR:-/tmp}/pulse-wh.XXXXXX")
	WH_DB=wh_$(harness_random_hex 10)
	trap wh_cleanup EXIT
	PULSE_HOST_BIN=$WH_BIN harness_app_db "$WH_DB" "$WH_DIR" ||
		wh_fail "database set-up failed"
	WH_ROLE=$HARNESS_DB_ROLE
	WH_ADMIN=$HARNESS_DB_ADMIN_URL
	WH_APP_URL=$HARNESS_DB_APP_URL
	export PULSE_HOST_DATABASE_URL=$WH_APP_URL
	export PULSE_HOST_BROKER_URL=
	WH_CONF=$WH_DIR/pulse.conf
	cat > "$WH_CONF" <<CONF
key_file = "$WH_DIR/secret.key";
plugin_dirs = ["$abs_top_builddir/plugins/source-sandbox/.libs"];
jobs = { max_attempts = 5; stale_seconds = 300; };
http = { allow_hosts = ["127.0.0.1", "localhost"]; };
CONF
}

ph() { "$WH_BIN" -c "$WH_CONF" "$@"; }
wh_wait_for() { harness_wait_for "$@" || wh_fail "see above"; }
wh_tenant() { ph tenant add "$1" --json | harness_json_get id; }
wh_sql() { psql -X -q -At -v ON_ERROR_STOP=1 "$WH_ADMIN" -c "$1"; }
wh_app_sql() { psql -X -q -At -v ON_ERROR_STOP=1 "$WH_APP_URL" -c "$1"; }

wh_expect_fail() {
	local out=$1; shift
	if "$@" > "$out.stdout" 2> "$out"; then
		cat "$out.stdout" "$out" >&2
		wh_fail "expected failure: $*"
	fi
}

# wh_contains FILE TEXT: FILE must contain TEXT (fixed string).
wh_contains() {
	grep -qF -- "$2" "$1" || { echo "--- $1:" >&2; cat "$1" >&2; wh_fail "'$2' not found in $1"; }
}
