#!/bin/bash
# The harness library can stop, restart and crash-restart servers of a
# test's own: same ports, same data. Later tests rely on this to take the
# broker away mid-run.
set -euo pipefail
. "$abs_top_srcdir/tests/harness/lib.sh"

dir=$(harness_mktemp)
# (wait: a server may still be starting in a background job)
trap 'wait; harness_destroy "$dir"' EXIT

step() { echo "--- $*"; }

amqp_hello() {   # amqp_hello PORT: connection.start comes back
	local reply
	exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
	printf 'AMQP\x00\x00\x09\x01' >&3
	reply=$(timeout 10 head -c 11 <&3 | od -An -tx1 | tr -d ' \n')
	exec 3>&-
	[[ $reply == 010000????????000a000a ]]
}

step "start PostgreSQL and RabbitMQ"
pg_start "$dir/pg" & pg=$!
rmq_start "$dir/rmq"
wait "$pg"

pgport=$(pg_port "$dir/pg")
port=$(rmq_port "$dir/rmq")
url=$(pg_admin_url "$dir/pg")
psql -X -q -v ON_ERROR_STOP=1 "$url" -c 'create table kept (v text)' \
	-c "insert into kept values ('before restart')"
rmq_add_vhost "$dir/rmq" harness-kept
amqp_hello "$port"

step "rmq_stop: the port closes"
rmq_stop "$dir/rmq"
if harness_tcp_ready 127.0.0.1 "$port"; then
	echo "port $port still open after rmq_stop" >&2
	exit 1
fi

step "rmq_start again: same port, definitions kept"
rmq_start "$dir/rmq"
test "$(rmq_port "$dir/rmq")" = "$port"
amqp_hello "$port"
rmq_ctl "$dir/rmq" -q list_vhosts name | grep -qx harness-kept

step "rmq_kill (crash) then rmq_start"
rmq_kill "$dir/rmq"
if harness_tcp_ready 127.0.0.1 "$port"; then
	echo "port $port still open after rmq_kill" >&2
	exit 1
fi
rmq_start "$dir/rmq"
amqp_hello "$port"

step "pg_restart: same port, data kept"
pg_restart "$dir/pg"
test "$(pg_port "$dir/pg")" = "$pgport"
test "$(psql -X -A -t "$url" -c 'select v from kept')" = "before restart"

step "harness_destroy leaves no process behind"
trap - EXIT
harness_destroy "$dir"
left=$(grep -lzF "PULSE_HARNESS_OWNER=$dir/" /proc/[0-9]*/environ 2>/dev/null || true)
if [ -n "$left" ]; then
	echo "left behind: $left" >&2
	exit 1
fi
echo "all good"
