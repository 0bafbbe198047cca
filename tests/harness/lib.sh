# tests/harness/lib.sh: private PostgreSQL and RabbitMQ servers for tests.
#
# Source it from bash (it is not a program):
#
#     . "$abs_top_srcdir/tests/harness/lib.sh"
#     dir=$(harness_mktemp)                # 0711 temp dir, reachable by the PG user
#     pg_start "$dir/pg"                   # initdb on first use, then start
#     psql "$(pg_admin_url "$dir/pg")" -c 'select 1'
#     rmq_start "$dir/rmq"                 # first start picks ports and a node name
#     rmq_stop "$dir/rmq"; rmq_start "$dir/rmq"   # same ports, same data
#     rmq_restart "$dir/rmq"
#     harness_destroy "$dir"               # stop everything under $dir, rm -rf
#     harness_wait_for 30 "the file" test -e "$dir/f"   # bounded, says what failed
#     harness_app_db "db_$$" "$dir"        # database + app role + migrate
#
# Servers run detached (their own sessions): a test that dies without
# calling harness_destroy leaves them running until the next harness run
# sweeps orphans (servers whose directory is gone). So: trap EXIT, and if a
# server starts in a background job, `wait` for it in the trap before
# harness_destroy.
#
# Every server gets one directory of its own (DIR). Everything it needs lives
# there: data, logs, ports, passwords, Erlang cookie. Functions take DIR as
# their first argument, so one test can run several servers side by side.
# Ports are free loopback ports picked at first start and kept for the
# lifetime of DIR, so a restarted server comes back on the same port.
#
# Each process a server starts inherits PULSE_HARNESS_OWNER=DIR; stopping a
# server kills whatever is left with that marker (epmd, beam, postgres
# children), and nothing else.
#
# PostgreSQL refuses to run as root. When the harness runs as root it runs
# PostgreSQL as the system user $PULSE_TEST_PG_USER (default "pulsetest",
# created if missing). The directory must be reachable by that user;
# harness_mktemp makes one that is.
#
# All functions return non-zero on failure (they do not exit), print
# progress and errors on stderr and results on stdout.
#
# Tunables (environment):
#   PULSE_TEST_PG_BINDIR   PostgreSQL server binaries (default: version 15,
#                          else the newest /usr/lib/postgresql/*/bin)
#   PULSE_TEST_PG_USER     OS user for PostgreSQL when running as root
#   PULSE_TEST_RMQ_BINDIR  RabbitMQ scripts (default /usr/lib/rabbitmq/bin)
#   PULSE_TEST_PORT_MIN, PULSE_TEST_PORT_MAX
#                          port range to pick from (default 20000-32000, below
#                          Linux's ephemeral range so outgoing connections
#                          never take them)
#   PULSE_TEST_START_TIMEOUT  seconds to wait for a server (default 300;
#                          ~7 s is normal, loaded machines take far longer)

# ---------------------------------------------------------------- general

harness_log() { printf 'harness: %s\n' "$*" >&2; }
harness_err() { printf 'harness: error: %s\n' "$*" >&2; return 1; }

# harness_random_hex N: N random hex characters.
harness_random_hex() {
	local n=${1:-16} s
	s=$(od -An -N"$n" -tx1 /dev/urandom | tr -d ' \n') || return 1
	printf '%s\n' "${s:0:$n}"
}

# harness_mktemp: create a private temp dir (mode 0711: others may traverse
# it but not list it) and print its path.
harness_mktemp() {
	local d
	d=$(mktemp -d "${TMPDIR:-/tmp}/pulse-test.XXXXXX") || return 1
	chmod 0711 "$d" || return 1
	printf '%s\n' "$d"
}

# harness_abspath DIR: DIR made absolute (DIR must exist).
harness_abspath() { (cd "$1" && pwd -P); }

# harness_now: seconds since the epoch with milliseconds.
harness_now() { date +%s.%3N; }

# harness_elapsed START: seconds since START (from harness_now), e.g. "6.8".
harness_elapsed() {
	local now start=$1
	now=$(harness_now)
	awk -v a="$start" -v b="$now" 'BEGIN { printf "%.1f\n", b - a }'
}

# harness_tcp_ready HOST PORT: true if a TCP connect succeeds.
harness_tcp_ready() {
	( exec 3<>"/dev/tcp/$1/$2" ) 2>/dev/null
}

# harness_alive PID: true if PID runs. A zombie waiting to be reaped does
# not count (in containers PID 1 may be slow to reap), unless other threads
# of it are still exiting (and may still hold its sockets).
harness_alive() {
	local key val state= threads=1
	kill -0 "$1" 2>/dev/null || return 1
	while read -r key val _; do
		case $key in
		State:) state=$val ;;
		Threads:) threads=$val ;;
		esac
	done < "/proc/$1/status" 2>/dev/null || return 1
	[ "$state" != Z ] || [ "$threads" -gt 1 ]
}

# harness_wait_exit PID SECONDS: wait until PID is gone; false on timeout.
harness_wait_exit() {
	local i
	for i in $(seq $(( $2 * 10 ))); do
		harness_alive "$1" || return 0
		sleep 0.1
	done
	! harness_alive "$1"
}

# harness_sweep DIR: kill every process carrying PULSE_HARNESS_OWNER=DIR
# (TERM, then KILL after 5 s). Only processes started for DIR carry it.
harness_sweep() {
	local want="PULSE_HARNESS_OWNER=$1" f pid pids i
	pids=()
	# One grep over every environ file (-z: NUL-separated entries, -x -F:
	# the exact entry); unreadable ones (other users' when not root) skipped.
	while IFS= read -r f; do
		pid=${f#/proc/}; pid=${pid%/environ}
		[ "$pid" = "$$" ] || [ "$pid" = "${BASHPID:-}" ] && continue
		pids+=("$pid")
	done < <(grep -lzxF -e "$want" /proc/[0-9]*/environ 2>/dev/null)
	[ "${#pids[@]}" -gt 0 ] || return 0
	harness_log "killing leftover processes of $1: ${pids[*]}"
	kill -TERM "${pids[@]}" 2>/dev/null
	for i in $(seq 50); do
		local alive=()
		for pid in "${pids[@]}"; do
			harness_alive "$pid" && alive+=("$pid")
		done
		[ "${#alive[@]}" -eq 0 ] && return 0
		pids=("${alive[@]}")
		sleep 0.1
	done
	kill -KILL "${pids[@]}" 2>/dev/null
	return 0
}

# harness_sweep_orphans: kill servers whose directory no longer exists
# (their owner was killed while starting them, say). Nobody can stop them
# any more, so nothing is lost. Only processes we may read are seen.
harness_sweep_orphans() {
	local f owner owners=() o
	while IFS= read -r f; do
		# (the process may be gone by now: that is no error)
		owner=$( { tr '\0' '\n' < "$f"; } 2>/dev/null | sed -n 's/^PULSE_HARNESS_OWNER=//p') || continue
		if [ -n "$owner" ] && [ ! -d "$owner" ]; then
			owners+=("$owner")
		fi
	done < <(grep -lz '^PULSE_HARNESS_OWNER=/' /proc/[0-9]*/environ 2>/dev/null)
	[ "${#owners[@]}" -gt 0 ] || return 0
	for o in $(printf '%s\n' "${owners[@]}" | sort -u); do
		harness_sweep "$o"
		harness_release_ports "$o"
	done
}

# ---------------------------------------------------------------- waiting

# harness_wait_for SECONDS WHAT CMD...: run CMD every 0.1 s until it
# succeeds. On timeout, say what was awaited (WHAT, e.g. "the worker to
# hold a claimed row") and the command, and return 1. The proof is CMD's
# success, never the time spent: use this, not a fixed sleep, to show that
# something happened.
harness_wait_for() {
	local secs=$1 what=$2 end
	shift 2
	end=$(( SECONDS + secs ))
	while :; do
		"$@" && return 0
		[ "$SECONDS" -lt "$end" ] || break
		sleep 0.1
	done
	harness_err "timed out after $secs s waiting for $what (condition: $*)"
}

# harness_hold DIR URL SQL: run "BEGIN; SQL" in a psql session of its own
# that keeps the transaction, and so its locks, open until harness_release.
# Returns once SQL has run (1 on failure, with psql's output). The session
# is fed through fd 7 (background children may inherit it harmlessly).
harness_hold() {
	local dir=$1 url=$2 sql=$3
	rm -f "$dir/hold.in" && mkfifo "$dir/hold.in"
	psql -X -q -At -v ON_ERROR_STOP=1 "$url" < "$dir/hold.in" > "$dir/hold.out" 2>&1 &
	HARNESS_HOLDER=$!
	exec 7> "$dir/hold.in"
	printf 'BEGIN;\n%s;\n\\echo harness-held\n' "$sql" >&7
	harness_wait_for 30 "the held lock ($sql)" grep -qx harness-held "$dir/hold.out" ||
		{ cat "$dir/hold.out" >&2; return 1; }
}

# harness_release [COMMIT|ROLLBACK]: end harness_hold's transaction (default
# ROLLBACK) and its session.
harness_release() {
	# \q: psql quits even if a child still holds fd 7 open.
	printf '%s;\n\\q\n' "${1:-ROLLBACK}" >&7
	exec 7>&-
	wait "$HARNESS_HOLDER" 2>/dev/null || :
}

# harness_log_has FILE ERE: true if a line of FILE matches ERE.
harness_log_has() { grep -Eq -- "$2" "$1" 2>/dev/null; }

# harness_log_count FILE ERE: how many lines of FILE match ERE (0 if none).
harness_log_count() {
	local n
	n=$(grep -Ec -- "$2" "$1" 2>/dev/null) || n=0
	printf '%s\n' "${n:-0}"
}

# harness_sql_is URL SQL WANT: true if SQL (one value) prints WANT; the
# value read is left in HARNESS_SQL_LAST for the failure message.
HARNESS_SQL_LAST=
harness_sql_is() {
	HARNESS_SQL_LAST=$(psql -X -q -At -v ON_ERROR_STOP=1 "$1" -c "$2" 2>&1) ||
		return 1
	[ "$HARNESS_SQL_LAST" = "$3" ]
}

# harness_wait_sql SECONDS URL SQL WANT: wait until SQL prints WANT; on
# timeout the message shows the last value.
harness_wait_sql() {
	harness_wait_for "$1" "[$3] = '$4'" harness_sql_is "$2" "$3" "$4" ||
		harness_err "last value of [$3]: '$HARNESS_SQL_LAST'"
}

# ---------------------------------------------------------------- app databases

# harness_app_db NAME LOGDIR: on the suite's PostgreSQL
# ($PULSE_TEST_PG_ADMIN_URL), create database NAME and migrate it with
# `pulse-host migrate` ($PULSE_HOST_BIN), which creates the plain app role
# NAME_app (no superuser, no BYPASSRLS: row-level security applies) with a
# random password. Sets:
#   HARNESS_DB_ADMIN_URL  superuser URL of the new database
#   HARNESS_DB_APP_URL    the app role's URL (what PULSE_HOST_DATABASE_URL
#                         should be)
#   HARNESS_DB_ROLE       the app role's name
# migrate's output goes to LOGDIR/migrate.log (shown on failure). Drop it
# all with harness_app_db_drop NAME.
harness_app_db() {
	local name=$1 logdir=$2 admin=${PULSE_TEST_PG_ADMIN_URL:-} pw hostport
	[ -n "$admin" ] || { harness_err "harness_app_db: PULSE_TEST_PG_ADMIN_URL is not set (run under make check)"; return 1; }
	[ -n "${PULSE_HOST_BIN:-}" ] || { harness_err "harness_app_db: PULSE_HOST_BIN is not set"; return 1; }
	HARNESS_DB_ROLE=${name}_app
	HARNESS_DB_ADMIN_URL=${admin%/*}/$name
	printf '%s\n' 'CREATE DATABASE :"name";' |
		psql -X -q -v ON_ERROR_STOP=1 -v name="$name" "$admin" >/dev/null ||
		{ harness_err "could not create database $name"; return 1; }
	pw=$(harness_random_hex 24) || return 1
	hostport=${admin#*@}
	hostport=${hostport%%/*}
	HARNESS_DB_APP_URL=postgresql://$HARNESS_DB_ROLE:$pw@$hostport/$name
	# A config of its own: never the one `make install` may have put in
	# the configure prefix.
	printf 'log_level = "info";\n' > "$logdir/migrate.conf" || return 1
	if ! printf '%s\n' "$pw" | "$PULSE_HOST_BIN" -c "$logdir/migrate.conf" migrate \
		--admin-url "$HARNESS_DB_ADMIN_URL" --app-role "$HARNESS_DB_ROLE" \
		--app-password - > "$logdir/migrate.log" 2>&1; then
		cat "$logdir/migrate.log" >&2
		harness_err "pulse-host migrate of database $name failed (log above)"
		return 1
	fi
}

# harness_app_db_drop NAME: drop database NAME and its role NAME_app, if
# they exist (for EXIT traps: never fails).
harness_app_db_drop() {
	[ -n "${1:-}" ] && [ -n "${PULSE_TEST_PG_ADMIN_URL:-}" ] || return 0
	psql -X -q "$PULSE_TEST_PG_ADMIN_URL" -v name="$1" -v role="$1_app" \
		>/dev/null 2>&1 <<'SQL' || :
DROP DATABASE IF EXISTS :"name" WITH (FORCE);
DROP ROLE IF EXISTS :"role";
SQL
	return 0
}

# ---------------------------------------------------------------- JSON

# harness_json_get KEY: the top-level KEY of the JSON object on stdin
# (`pulse-host ... --json` output), raw; fails if it is missing or null.
harness_json_get() {
	jq -r --arg k "$1" 'if type == "object" and .[$k] != null then .[$k]
		else error("no key \"\($k)\" in \(tojson)") end'
}

# ---------------------------------------------------------------- ports

_harness_port_dir() { printf '%s/pulse-harness-ports-%s\n' "${TMPDIR:-/tmp}" "$(id -u)"; }

# _harness_port_busy PORT: true if any TCP socket (v4 or v6, any state)
# uses PORT locally.
_harness_port_busy() {
	local hex f _sl local_addr _rest
	hex=$(printf '%04X' "$1")
	for f in /proc/net/tcp /proc/net/tcp6; do
		[ -r "$f" ] || continue
		while read -r _sl local_addr _rest; do
			case $local_addr in *":$hex") return 0 ;; esac
		done < "$f"
	done
	if command -v ss >/dev/null 2>&1 && [ ! -r /proc/net/tcp ]; then
		[ -n "$(ss -Htan "sport = :$1" 2>/dev/null)" ] && return 0
	fi
	return 1
}

# harness_port_listening PORT: true if some socket listens on TCP PORT.
harness_port_listening() {
	local hex f _sl local_addr _rem st _rest
	hex=$(printf '%04X' "$1")
	for f in /proc/net/tcp /proc/net/tcp6; do
		[ -r "$f" ] || continue
		while read -r _sl local_addr _rem st _rest; do
			[ "$st" = 0A ] || continue
			case $local_addr in *":$hex") return 0 ;; esac
		done < "$f"
	done
	return 1
}

# harness_wait_port_closed PORT SECONDS: wait until nothing listens on PORT.
harness_wait_port_closed() {
	local i
	for i in $(seq $(( $2 * 10 ))); do
		harness_port_listening "$1" || return 0
		sleep 0.1
	done
	harness_err "port $1 still has a listener after $2 s"
}

# harness_free_port OWNER: print a free loopback TCP port and reserve it for
# OWNER (a directory) so that parallel harnesses never pick the same one.
# A reservation is dropped by harness_release_ports OWNER, or reclaimed once
# OWNER no longer exists.
harness_free_port() {
	local owner=$1 lo=${PULSE_TEST_PORT_MIN:-20000} hi=${PULSE_TEST_PORT_MAX:-32000}
	local pdir port try holder
	pdir=$(_harness_port_dir)
	mkdir -p "$pdir" || return 1
	for try in $(seq 200); do
		port=$(( lo + (RANDOM * 32768 + RANDOM) % (hi - lo + 1) ))
		_harness_port_busy "$port" && continue
		if ! mkdir "$pdir/$port" 2>/dev/null; then
			holder=$(cat "$pdir/$port/owner" 2>/dev/null) || holder=
			# Reclaim a reservation whose owner is gone.
			if [ -n "$holder" ] && [ ! -d "$holder" ]; then
				rm -rf "$pdir/$port"
				mkdir "$pdir/$port" 2>/dev/null || continue
			else
				continue
			fi
		fi
		printf '%s\n' "$owner" > "$pdir/$port/owner"
		printf '%s\n' "$port"
		return 0
	done
	harness_err "no free TCP port found in $lo-$hi"
}

# harness_release_ports OWNER: drop the port reservations of OWNER.
harness_release_ports() {
	local pdir d
	pdir=$(_harness_port_dir)
	[ -d "$pdir" ] || return 0
	for d in "$pdir"/*; do
		[ -f "$d/owner" ] || continue
		[ "$(cat "$d/owner" 2>/dev/null)" = "$1" ] && rm -rf "$d"
	done
	return 0
}

# ---------------------------------------------------------------- PostgreSQL

_pg_bindir() {
	local d
	if [ -n "${PULSE_TEST_PG_BINDIR:-}" ]; then
		printf '%s\n' "$PULSE_TEST_PG_BINDIR"; return 0
	fi
	if [ -x /usr/lib/postgresql/15/bin/initdb ]; then
		printf '%s\n' /usr/lib/postgresql/15/bin; return 0
	fi
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	if [ -n "$d" ] && [ -x "$d/initdb" ]; then
		printf '%s\n' "$d"; return 0
	fi
	if command -v pg_config >/dev/null 2>&1; then
		d=$(pg_config --bindir)
		[ -x "$d/initdb" ] && { printf '%s\n' "$d"; return 0; }
	fi
	harness_err "PostgreSQL server binaries not found (install postgresql, or set PULSE_TEST_PG_BINDIR)"
}

# _pg_user: the OS user PostgreSQL runs as ("" = the current user).
_pg_user() {
	if [ "$(id -u)" -eq 0 ]; then
		printf '%s\n' "${PULSE_TEST_PG_USER:-pulsetest}"
	else
		printf '\n'
	fi
}

# _pg_ensure_user NAME: create the system user NAME if it does not exist.
_pg_ensure_user() {
	id -u "$1" >/dev/null 2>&1 && return 0
	harness_log "creating system user $1 to run PostgreSQL (initdb refuses root)"
	useradd --system --user-group --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin --comment "pulse-host test servers" "$1" \
		>/dev/null 2>&1
	id -u "$1" >/dev/null 2>&1 || harness_err "could not create system user $1"
}

# _pg_as DIR CMD...: run CMD as the PostgreSQL user, from inside DIR (the
# caller's working directory may not be readable by that user).
_pg_as() {
	local dir=$1 user; shift
	user=$(_pg_user)
	if [ -n "$user" ]; then
		(cd "$dir" && exec setpriv --reuid="$user" --regid="$user" --clear-groups -- "$@")
	else
		(cd "$dir" && exec "$@")
	fi
}

# pg_sockdir DIR: the unix socket directory of the server in DIR.
pg_sockdir() { cat "$1/sockdir"; }
# pg_port DIR: its TCP port.
pg_port() { cat "$1/port"; }

# pg_admin_url DIR [DB]: superuser URL over TCP (password auth).
pg_admin_url() {
	printf 'postgresql://postgres:%s@127.0.0.1:%s/%s\n' \
		"$(cat "$1/admin_password")" "$(pg_port "$1")" "${2:-postgres}"
}

# pg_psql DIR [psql args...]: psql as superuser over the unix socket.
pg_psql() {
	local dir=$1; shift
	PGCONNECT_TIMEOUT=10 psql -X -q -v ON_ERROR_STOP=1 -h "$(pg_sockdir "$dir")" \
		-p "$(pg_port "$dir")" -U postgres -d postgres "$@"
}

# pg_running DIR: true if the server in DIR is up.
pg_running() {
	local bindir
	[ -f "$1/port" ] && [ -d "$1/data" ] || return 1
	bindir=$(_pg_bindir) || return 1
	"$bindir/pg_isready" -q -h 127.0.0.1 -p "$(pg_port "$1")" -t 2
}

_pg_write_conf() {
	local dir=$1
	cat > "$dir/data/harness.conf" <<EOF
# Written by tests/harness/lib.sh; regenerated at every start.
listen_addresses = '127.0.0.1'
port = $(pg_port "$dir")
unix_socket_directories = '$(pg_sockdir "$dir")'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
log_line_prefix = '%m [%p] %q%u@%d '
log_min_messages = warning
EOF
	[ -z "$(_pg_user)" ] || chown "$(_pg_user):" "$dir/data/harness.conf"
}

# pg_init DIR: create the cluster (done by pg_start on first use).
pg_init() {
	local dir=$1 bindir user pw
	bindir=$(_pg_bindir) || return 1
	user=$(_pg_user)
	mkdir -p "$dir" || return 1
	if [ -n "$user" ]; then
		_pg_ensure_user "$user" || return 1
		chown "$user:" "$dir" || return 1
		if ! setpriv --reuid="$user" --regid="$user" --clear-groups -- test -w "$dir"; then
			harness_err "user $user cannot write $dir; use a directory every user can traverse (see harness_mktemp)"
			return 1
		fi
	fi
	chmod 0700 "$dir"
	# The socket path must fit in sun_path (108 bytes) with ".s.PGSQL.NNNNN".
	if [ "${#dir}" -le 80 ]; then
		printf '%s\n' "$dir/s" > "$dir/sockdir"
	else
		mktemp -d "${TMPDIR:-/tmp}/pulse-pgsock.XXXXXX" > "$dir/sockdir" || return 1
	fi
	pw=$(harness_random_hex 24) || return 1
	( umask 077; printf '%s\n' "$pw" > "$dir/admin_password" )
	( umask 077; printf '%s\n' "$pw" > "$dir/.pwfile" )
	[ -z "$user" ] || chown "$user:" "$dir/.pwfile"
	harness_log "initdb in $dir/data"
	if ! _pg_as "$dir" "$bindir/initdb" -D "$dir/data" -U postgres \
		--pwfile="$dir/.pwfile" --auth-local=trust --auth-host=scram-sha-256 \
		--no-locale -E UTF8 --no-sync > "$dir/initdb.log" 2>&1; then
		rm -f "$dir/.pwfile"
		cat "$dir/initdb.log" >&2
		harness_err "initdb failed (log: $dir/initdb.log)"
		return 1
	fi
	rm -f "$dir/.pwfile"
	# Loopback TCP needs the password; the unix socket is trusted, but it
	# sits in a 0700 directory only the server's user (and root) can enter.
	cat > "$dir/data/pg_hba.conf" <<'EOF'
# Written by tests/harness/lib.sh
local all all                trust
host  all all 127.0.0.1/32   scram-sha-256
EOF
	printf "include_if_exists = 'harness.conf'\n" >> "$dir/data/postgresql.conf"
	[ -z "$user" ] || chown "$user:" "$dir/data/pg_hba.conf"
	return 0
}

# pg_start DIR: initialise (first time) and start PostgreSQL in DIR; waits
# until it accepts connections. Prints nothing; see pg_admin_url.
pg_start() {
	local dir=$1 bindir user sockdir tries=0 first=0 t0
	[ -n "$dir" ] || { harness_err "usage: pg_start DIR"; return 1; }
	t0=$(harness_now)
	mkdir -p "$dir" || return 1
	dir=$(harness_abspath "$dir") || return 1
	bindir=$(_pg_bindir) || return 1
	user=$(_pg_user)
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		pg_init "$dir" || return 1
	fi
	if pg_running "$dir"; then
		harness_log "PostgreSQL in $dir is already running"
		return 0
	fi
	[ -f "$dir/port" ] || first=1
	sockdir=$(pg_sockdir "$dir")
	mkdir -p "$sockdir" && chmod 0700 "$sockdir" || return 1
	[ -z "$user" ] || chown "$user:" "$sockdir"
	while :; do
		tries=$((tries + 1))
		if [ ! -f "$dir/port" ]; then
			harness_free_port "$dir" > "$dir/port" || return 1
		fi
		_pg_write_conf "$dir" || return 1
		# (pg_ctl puts the postmaster in a session of its own; stopping
		# it is up to pg_stop / harness_sweep.)
		if PULSE_HARNESS_OWNER=$dir _pg_as "$dir" "$bindir/pg_ctl" \
			-D "$dir/data" -l "$dir/postgresql.log" -w \
			-t "${PULSE_TEST_START_TIMEOUT:-300}" start >> "$dir/pg_ctl.log" 2>&1; then
			break
		fi
		# A port taken between the check and the bind: pick another one,
		# but only on a first start (restarts keep their port).
		if [ "$first" -eq 1 ] && [ "$tries" -lt 5 ] &&
			grep -q 'could not bind\|Address already in use' "$dir/postgresql.log" 2>/dev/null; then
			harness_log "port $(pg_port "$dir") was taken; retrying"
			harness_sweep "$dir"
			rm -f "$dir/port"
			continue
		fi
		tail -n 20 "$dir/postgresql.log" >&2 2>/dev/null
		harness_sweep "$dir"
		harness_err "PostgreSQL did not start (log: $dir/postgresql.log)"
		return 1
	done
	harness_log "PostgreSQL up on 127.0.0.1:$(pg_port "$dir") in $(harness_elapsed "$t0") s"
	return 0
}

# pg_stop DIR: stop PostgreSQL in DIR (fast shutdown), kill any leftovers.
pg_stop() {
	local dir=$1 bindir
	[ -d "$dir" ] || return 0
	dir=$(harness_abspath "$dir") || return 1
	bindir=$(_pg_bindir) || return 1
	if [ -f "$dir/data/postmaster.pid" ]; then
		_pg_as "$dir" "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop \
			>> "$dir/pg_ctl.log" 2>&1 || harness_log "pg_ctl stop failed in $dir; killing"
	fi
	harness_sweep "$dir"
	return 0
}

# pg_restart DIR: stop and start again on the same port.
pg_restart() { pg_stop "$1" && pg_start "$1"; }

# pg_create_db DIR NAME [OWNER]: create database NAME (owned by OWNER).
pg_create_db() {
	local dir=$1 name=$2 owner=${3:-postgres}
	printf '%s\n' 'CREATE DATABASE :"name" OWNER :"owner";' |
		pg_psql "$dir" -v name="$name" -v owner="$owner"
}

# pg_create_role DIR NAME PASSWORD: create a plain login role (no
# superuser, no BYPASSRLS).
pg_create_role() {
	local dir=$1
	printf '%s\n' "CREATE ROLE :\"name\" LOGIN PASSWORD :'pw' NOSUPERUSER NOBYPASSRLS;" |
		pg_psql "$dir" -v name="$2" -v pw="$3"
}

# ---------------------------------------------------------------- RabbitMQ

_rmq_bindir() {
	local d=${PULSE_TEST_RMQ_BINDIR:-/usr/lib/rabbitmq/bin}
	[ -x "$d/rabbitmq-server" ] || {
		harness_err "RabbitMQ not found in $d (install rabbitmq-server, or set PULSE_TEST_RMQ_BINDIR)"
		return 1
	}
	printf '%s\n' "$d"
}

# rmq_port DIR: AMQP port. rmq_node DIR: Erlang node name.
rmq_port() { sed -n 's/^node_port=//p' "$1/ports"; }
rmq_node() { cat "$1/nodename"; }
# rmq_url DIR: AMQP URL for the default vhost "/" (guest may log in over
# loopback only, which is all we listen on). The vhost is spelled %2f:
# librabbitmq's amqp_parse_url reads a bare trailing "/" as vhost "".
rmq_url() { printf 'amqp://guest:guest@127.0.0.1:%s/%%2f\n' "$(rmq_port "$1")"; }

# _rmq_env DIR: export the environment of the node in DIR (subshell only).
_rmq_env() {
	local dir=$1
	export HOME="$dir/home"
	export RABBITMQ_NODENAME
	RABBITMQ_NODENAME=$(rmq_node "$dir")
	export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
	export RABBITMQ_NODE_PORT
	RABBITMQ_NODE_PORT=$(sed -n 's/^node_port=//p' "$dir/ports")
	export RABBITMQ_DIST_PORT
	RABBITMQ_DIST_PORT=$(sed -n 's/^dist_port=//p' "$dir/ports")
	export ERL_EPMD_PORT
	ERL_EPMD_PORT=$(sed -n 's/^epmd_port=//p' "$dir/ports")
	export ERL_EPMD_ADDRESS=127.0.0.1
	export RABBITMQ_MNESIA_BASE="$dir/mnesia"
	export RABBITMQ_LOG_BASE="$dir/log"
	export RABBITMQ_PID_FILE="$dir/rabbitmq.pid"
	export RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins"
	export RABBITMQ_CONF_ENV_FILE="$dir/rabbitmq-env.conf"
	export RABBITMQ_CONFIG_FILE="$dir/rabbitmq"
	export RABBITMQ_ADVANCED_CONFIG_FILE="$dir/advanced.config"
	# Erlang distribution (server and CLI) on loopback only; CLI tools take
	# any free port instead of the fixed 35672-35682 range.
	export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
	export RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
	export RABBITMQ_CTL_DIST_PORT_MIN=0
	export RABBITMQ_CTL_DIST_PORT_MAX=0
	export PULSE_HARNESS_OWNER="$dir"
	unset RABBITMQ_ENV_LOADED
}

# rmq_ctl DIR ARGS...: rabbitmqctl against the node in DIR (gives up after
# $PULSE_TEST_CTL_TIMEOUT seconds, default 120).
rmq_ctl() {
	local dir=$1 bindir; shift
	bindir=$(_rmq_bindir) || return 1
	( _rmq_env "$dir" && exec timeout "${PULSE_TEST_CTL_TIMEOUT:-120}" \
		"$bindir/rabbitmqctl" -n "$RABBITMQ_NODENAME" "$@" )
}

# rmq_running DIR: true if the node in DIR runs and accepts AMQP connections.
rmq_running() {
	local pid
	[ -f "$1/rabbitmq.pid" ] && [ -f "$1/ports" ] || return 1
	pid=$(cat "$1/rabbitmq.pid" 2>/dev/null) || return 1
	[ -n "$pid" ] && harness_alive "$pid" && harness_tcp_ready 127.0.0.1 "$(rmq_port "$1")"
}

_rmq_init() {
	local dir=$1 node_port dist_port epmd_port
	mkdir -p "$dir/home" "$dir/mnesia" "$dir/log" || return 1
	chmod 0700 "$dir" "$dir/home"
	: > "$dir/enabled_plugins"
	: > "$dir/rabbitmq-env.conf"
	cat > "$dir/rabbitmq.conf" <<'EOF'
# Written by tests/harness/lib.sh
loopback_users.guest = true
disk_free_limit.absolute = 10MB
log.console = false
log.file.level = info
EOF
	# The cookie authenticates rabbitmqctl to this node; private to DIR.
	( umask 077; harness_random_hex 32 | tr a-f A-F > "$dir/home/.erlang.cookie" ) || return 1
	chmod 0400 "$dir/home/.erlang.cookie"
	printf 'pulse-%s@localhost\n' "$(harness_random_hex 10)" > "$dir/nodename" || return 1
	node_port=$(harness_free_port "$dir") || return 1
	dist_port=$(harness_free_port "$dir") || return 1
	epmd_port=$(harness_free_port "$dir") || return 1
	printf 'node_port=%s\ndist_port=%s\nepmd_port=%s\n' \
		"$node_port" "$dist_port" "$epmd_port" > "$dir/ports"
}

# rmq_start DIR: start (first time: create) the RabbitMQ node in DIR and
# wait until it accepts AMQP connections.
rmq_start() {
	local dir=$1 bindir tries=0 first=0 t0 timeout
	[ -n "$dir" ] || { harness_err "usage: rmq_start DIR"; return 1; }
	t0=$(harness_now)
	timeout=${PULSE_TEST_START_TIMEOUT:-300}
	bindir=$(_rmq_bindir) || return 1
	mkdir -p "$dir" || return 1
	dir=$(harness_abspath "$dir") || return 1
	if rmq_running "$dir"; then
		harness_log "RabbitMQ in $dir is already running"
		return 0
	fi
	if [ ! -f "$dir/ports" ]; then
		_rmq_init "$dir" || return 1
		first=1
	fi
	while :; do
		tries=$((tries + 1))
		rm -f "$dir/rabbitmq.pid"
		if ( _rmq_env "$dir" && cd "$dir" &&
			exec "$bindir/rabbitmq-server" -detached ) >> "$dir/server.out" 2>&1 &&
			# `rabbitmqctl wait` fails with garbage_in_pid_file when it
			# reads the file while the server is still writing it.
			harness_wait_for "$timeout" "RabbitMQ's pid file" \
				grep -sEqx '[0-9]+' "$dir/rabbitmq.pid" &&
			PULSE_TEST_CTL_TIMEOUT=$((timeout + 30)) \
			rmq_ctl "$dir" wait "$dir/rabbitmq.pid" --timeout "$timeout" \
				>> "$dir/server.out" 2>&1 &&
			_harness_wait_tcp 127.0.0.1 "$(rmq_port "$dir")" 30; then
			break
		fi
		harness_sweep "$dir"
		if [ "$first" -eq 1 ] && [ "$tries" -lt 3 ] &&
			grep -rqs 'eaddrinuse' "$dir/log" "$dir/server.out"; then
			harness_log "a RabbitMQ port was taken; retrying with new ports"
			harness_release_ports "$dir"
			rm -rf "$dir/mnesia" "$dir/log" "$dir/ports"
			_rmq_init "$dir" || return 1
			continue
		fi
		tail -n 30 "$dir/server.out" >&2 2>/dev/null
		tail -n 30 "$dir"/log/*.log >&2 2>/dev/null
		harness_err "RabbitMQ did not start (logs: $dir/log, $dir/server.out)"
		return 1
	done
	harness_log "RabbitMQ up on 127.0.0.1:$(rmq_port "$dir") (node $(rmq_node "$dir")) in $(harness_elapsed "$t0") s"
	return 0
}

# _harness_wait_tcp HOST PORT SECONDS
_harness_wait_tcp() {
	local i
	for i in $(seq $(( $3 * 10 ))); do
		harness_tcp_ready "$1" "$2" && return 0
		sleep 0.1
	done
	return 1
}

# rmq_stop DIR: stop the node in DIR gracefully (data and ports are kept),
# then kill leftovers (beam, epmd) of DIR.
rmq_stop() {
	local dir=$1 pid
	[ -d "$dir" ] || return 0
	dir=$(harness_abspath "$dir") || return 1
	# SIGTERM is a graceful shutdown for RabbitMQ >= 3.8 (queues and
	# message stores are closed cleanly), and faster than `rabbitmqctl stop`.
	if [ -f "$dir/rabbitmq.pid" ] && pid=$(cat "$dir/rabbitmq.pid") &&
		[ -n "$pid" ] && harness_alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null
		if ! harness_wait_exit "$pid" 60; then
			harness_log "RabbitMQ in $dir ignored SIGTERM for 60 s; killing"
			kill -KILL "$pid" 2>/dev/null
		fi
	fi
	harness_sweep "$dir"
	rm -f "$dir/rabbitmq.pid"
	[ -f "$dir/ports" ] && harness_wait_port_closed "$(rmq_port "$dir")" 30
	return 0
}

# rmq_kill DIR: SIGKILL the broker (a crash, not a shutdown). epmd stays.
rmq_kill() {
	local pid
	pid=$(cat "$1/rabbitmq.pid" 2>/dev/null) || return 0
	[ -n "$pid" ] || return 0
	kill -KILL "$pid" 2>/dev/null
	harness_wait_exit "$pid" 30
	rm -f "$1/rabbitmq.pid"
	harness_wait_port_closed "$(rmq_port "$1")" 30
}

# rmq_restart DIR: stop and start again (same ports, same node, same data).
rmq_restart() { rmq_stop "$1" && rmq_start "$1"; }

# rmq_add_vhost DIR VHOST: create VHOST and give guest full rights on it;
# prints its URL. Tests that must not see each other's queues use one each.
rmq_add_vhost() {
	local dir=$1 vhost=$2 enc
	rmq_ctl "$dir" add_vhost "$vhost" >/dev/null || return 1
	rmq_ctl "$dir" set_permissions -p "$vhost" guest '.*' '.*' '.*' >/dev/null || return 1
	enc=$(printf '%s' "$vhost" | od -An -tx1 -v | tr -d ' \n' | sed 's/../%&/g')
	printf 'amqp://guest:guest@127.0.0.1:%s/%s\n' "$(rmq_port "$dir")" "$enc"
}

# ---------------------------------------------------------------- teardown

# harness_destroy DIR: stop every server below DIR (any depth 1 or 2
# subdirectory that holds one), drop port reservations, remove DIR.
harness_destroy() {
	local root=$1 d sock
	[ -d "$root" ] || return 0
	root=$(harness_abspath "$root") || return 1
	for d in "$root" "$root"/*/ "$root"/*/*/; do
		d=${d%/}
		[ -d "$d" ] || continue
		if [ -f "$d/nodename" ]; then rmq_stop "$d"; fi
		if [ -f "$d/data/PG_VERSION" ]; then
			pg_stop "$d"
			sock=$(cat "$d/sockdir" 2>/dev/null) || sock=
			case $sock in "$d"/*|"") ;; *) rm -rf "$sock" ;; esac
		fi
		harness_sweep "$d"
		harness_release_ports "$d"
	done
	rm -rf "$root"
	harness_sweep_orphans
}
