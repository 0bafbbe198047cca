#!/bin/bash
# The suite's shared servers (started by `make check`) are reachable, speak
# the right protocols and are configured the way tests rely on.
set -euo pipefail
. "$abs_top_srcdir/tests/harness/lib.sh"

fails=0
check() {   # check DESCRIPTION COMMAND...
	local what=$1; shift
	if "$@"; then
		echo "ok - $what"
	else
		echo "not ok - $what"
		fails=$((fails + 1))
	fi
}

for v in PULSE_HOST_DATABASE_URL PULSE_TEST_PG_ADMIN_URL PULSE_HOST_BROKER_URL \
	PULSE_TEST_PG_DIR PULSE_TEST_RMQ_DIR; do
	if [ -z "${!v:-}" ]; then
		echo "$v is not set: run this test through make check" >&2
		exit 99
	fi
	echo "$v=${!v}"
done

psql_q() { PGCONNECT_TIMEOUT=10 psql -X -A -t -v ON_ERROR_STOP=1 "$@"; }

# ---- PostgreSQL
check "admin URL is a superuser" \
	test "$(psql_q "$PULSE_TEST_PG_ADMIN_URL" -c 'select rolsuper from pg_roles where rolname = current_user')" = t
check "server listens on loopback only" \
	test "$(psql_q "$PULSE_TEST_PG_ADMIN_URL" -c 'show listen_addresses')" = 127.0.0.1
check "app URL: pulse_app on database pulse, not superuser, no BYPASSRLS" \
	test "$(psql_q "$PULSE_HOST_DATABASE_URL" -c \
		'select current_user, current_database(), rolsuper, rolbypassrls
		   from pg_roles where rolname = current_user')" = "pulse_app|pulse|f|f"
check "app role can create tables in its database" \
	psql_q "$PULSE_HOST_DATABASE_URL" -c \
		'create table harness_probe (x int); insert into harness_probe values (1); drop table harness_probe'
bad_url=$(printf '%s' "$PULSE_HOST_DATABASE_URL" | sed 's#^\(postgresql://[^:]*:\)[^@]*@#\1wrong@#')
check "wrong password is rejected" \
	bash -c '! PGCONNECT_TIMEOUT=10 psql -X -c "select 1" "$1" >/dev/null 2>&1' _ "$bad_url"
db="harness_$$_$RANDOM"
check "admin can create and drop a database" \
	psql_q "$PULSE_TEST_PG_ADMIN_URL" -c "create database $db" -c "drop database $db"

# ---- RabbitMQ
hostport=${PULSE_HOST_BROKER_URL#*@}
hostport=${hostport%%/*}
port=${hostport##*:}
check "broker URL names 127.0.0.1 and the vhost /" \
	test "$PULSE_HOST_BROKER_URL" = "amqp://guest:guest@127.0.0.1:$port/%2f"

# AMQP 0-9-1: after the protocol header the server sends connection.start,
# a method frame (type 1) on channel 0 for class 10, method 10.
amqp_hello() {
	local reply
	exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
	printf 'AMQP\x00\x00\x09\x01' >&3
	reply=$(timeout 10 head -c 11 <&3 | od -An -tx1 | tr -d ' \n')
	exec 3>&-
	echo "  server replied: $reply"
	[[ $reply == 010000????????000a000a ]]
}
check "AMQP port answers the 0-9-1 handshake with connection.start" amqp_hello
check "rabbitmqctl status works on the node" \
	bash -c '. "$1"; rmq_ctl "$2" status >/dev/null' _ \
	"$abs_top_srcdir/tests/harness/lib.sh" "$PULSE_TEST_RMQ_DIR"
check "vhost / exists" \
	bash -c '. "$1"; rmq_ctl "$2" -q list_vhosts name | grep -qx /' _ \
	"$abs_top_srcdir/tests/harness/lib.sh" "$PULSE_TEST_RMQ_DIR"
if command -v ss >/dev/null 2>&1; then
	check "AMQP listens on 127.0.0.1 only" \
		test "$(ss -Hltn "sport = :$port" | awk '{print $4}' | sort -u)" = "127.0.0.1:$port"
fi

# ---- helpers: bounded waits, the app database, JSON
wait_ok() { harness_wait_for 5 "a file that exists" test -e "$abs_top_srcdir/tests/harness/lib.sh"; }
check "harness_wait_for returns at once when the condition holds" wait_ok
wait_times_out() {
	local err t0
	t0=$SECONDS
	err=$(harness_wait_for 1 "the impossible" false 2>&1) && return 1
	echo "  said: $err"
	[[ $err == *"timed out after 1 s waiting for the impossible (condition: false)"* ]] &&
		[ $((SECONDS - t0)) -le 5 ]
}
check "harness_wait_for gives up after its bound and says what it waited for" wait_times_out
check "harness_json_get reads a key" test "$(printf '{"id":7,"name":"x"}' | harness_json_get id)" = 7
check "harness_json_get fails on a missing key" bash -c '! printf "{\"id\":7}" | { . "$1"; harness_json_get name; } 2>/dev/null' _ \
	"$abs_top_srcdir/tests/harness/lib.sh"
app_db() {
	local d db rc=1
	d=$(harness_mktemp) || return 1
	db="harness_app_$$_$(harness_random_hex 6)"
	if harness_app_db "$db" "$d" &&
		harness_sql_is "$HARNESS_DB_APP_URL" \
			"select current_user || '|' || current_database() || '|' || rolsuper || '|' || rolbypassrls from pg_roles where rolname = current_user" \
			"${db}_app|$db|false|false" &&
		harness_sql_is "$HARNESS_DB_ADMIN_URL" "select count(*) > 0 from schema_migrations" t; then
		rc=0
	else
		echo "  last value: $HARNESS_SQL_LAST"
	fi
	harness_app_db_drop "$db"
	harness_sql_is "$PULSE_TEST_PG_ADMIN_URL" "select count(*) from pg_database where datname = '$db'" 0 || rc=1
	harness_sql_is "$PULSE_TEST_PG_ADMIN_URL" "select count(*) from pg_roles where rolname = '${db}_app'" 0 || rc=1
	rm -rf "$d"
	return "$rc"
}
if [ -n "${PULSE_HOST_BIN:-}" ] && [ -x "$PULSE_HOST_BIN" ]; then
	check "harness_app_db: migrated database, plain app role (RLS applies); dropped again" app_db
else
	echo "PULSE_HOST_BIN is not built: run this test through make check" >&2
	exit 99
fi

echo "$fails failure(s)"
[ "$fails" -eq 0 ]
