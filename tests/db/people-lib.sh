# people-lib.sh: the set-up the people tests share (sourced, after
# tests/harness/lib.sh): an app-role database named PREFIX_..., an empty
# config, and sql(). Sets B, DIR, DB, CONF, fails; drops it all at exit.
people_setup() {
	B=$PULSE_HOST_BIN
	DIR=$(harness_mktemp)
	DB="$1_$$_$(harness_random_hex 6)"
	fails=0
	trap 'harness_app_db_drop "$DB"; harness_destroy "$DIR"' EXIT
	for v in PULSE_TEST_PG_ADMIN_URL PULSE_HOST_BIN; do
		[ -n "${!v:-}" ] || { echo "$v is not set: run this test through make check" >&2; exit 99; }
	done
	command -v python3 >/dev/null || { echo "python3 is needed to read the JSON" >&2; exit 99; }
	harness_app_db "$DB" "$DIR" || exit 99
	export PULSE_HOST_DATABASE_URL=$HARNESS_DB_APP_URL
	CONF="$DIR/pulse-host.conf"
	: > "$CONF"
}

sql() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$PULSE_HOST_DATABASE_URL" "$@"; }
