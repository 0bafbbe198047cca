#!/bin/bash
# tests/packaging/systemd-unit.sh [--debs DIR] [--unit FILE]: start the
# packaged pulse-host.service under a real systemd and check what the unit
# promises (issue 20 item 4). Needs root. Not part of `make check`: the CI's
# packages step runs it after installing the .deb (.ci/run).
#
# The host's PID 1 need not be systemd, and the host is left alone: a
# private systemd runs as PID 1 of new PID, mount and cgroup namespaces,
# in a cgroup2 directory of its own, with a unit path holding only stub
# targets and the unit under test (no generators, no getty, no journald:
# a drop-in sends the daemon's output to a file). /etc, /var and /tmp are
# overlays or tmpfs inside the namespace, so the test's configuration,
# keys and the unit's state directories never reach the host's disk.
#
#   (default)     test the installed package (/usr/bin/pulse-host, its unit,
#                 the user and keys its postinst made)
#   --debs DIR    test the .deb files in DIR without installing them: they
#                 are unpacked and laid over /usr and /etc inside the
#                 namespace, and the package's postinst runs there
#   --unit FILE   use FILE as pulse-host.service (e.g. the source tree's)
#
# Checks: the unit reaches active and the daemon answers /healthz; it runs
# as the package's user with no capabilities, no_new_privs and a seccomp
# filter; in its mount namespace /home is out of reach, /usr and /etc are
# read-only, the state directory is writable and /tmp is private;
# `systemctl reload` reaches the daemon (SIGHUP, same PID, "event=reloaded");
# `systemctl stop` stops it cleanly within TimeoutStopSec. Prints the time
# each step took.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/harness/lib.sh"

debs='' unit_file=''
while [ $# -gt 0 ]; do
	case $1 in
	--debs) debs=$(cd "${2:?--debs needs a directory}" && pwd); shift 2 ;;
	--unit) unit_file=$(harness_abspath "$(dirname "${2:?--unit needs a file}")")/$(basename "$2"); shift 2 ;;
	*) echo "usage: $0 [--debs DIR] [--unit FILE]" >&2; exit 2 ;;
	esac
done

fail() { echo "systemd-unit: FAIL: $*" >&2; exit 1; }
step() { printf 'systemd-unit: %s (%s s)\n' "$1" "$(harness_elapsed "$t_step")"; t_step=$(harness_now); }

# ---- what it needs (each missing piece is a failure, named)
[ "$(id -u)" -eq 0 ] || fail "must run as root (it starts a private systemd)"
SYSTEMD=/usr/lib/systemd/systemd
[ -x "$SYSTEMD" ] || fail "$SYSTEMD not found (install systemd)"
for c in unshare nsenter curl psql; do
	command -v "$c" >/dev/null || fail "$c not found"
done
# A cgroup2 hierarchy: /sys/fs/cgroup itself (unified) or its "unified"
# mount (hybrid). systemd runs in a child of our own cgroup there.
cgmnt=
for m in /sys/fs/cgroup /sys/fs/cgroup/unified; do
	if [ "$(stat -f -c %T "$m" 2>/dev/null)" = cgroup2fs ]; then cgmnt=$m; break; fi
done
[ -n "$cgmnt" ] || fail "no cgroup2 hierarchy at /sys/fs/cgroup or /sys/fs/cgroup/unified"

T=$(harness_mktemp)
CG=$cgmnt$(sed -n 's/^0:://p' /proc/self/cgroup)
CG=${CG%/}/pulse-unit-test.${T##*.}
UPID='' NSPID=''
# ns_pid1: PID 1 of the namespace (host PID), the only child unshare forks.
ns_pid1() {
	local c
	c=$(tr -d ' ' < "/proc/$UPID/task/$UPID/children" 2>/dev/null) || return 1
	[ -n "$c" ] && printf '%s\n' "$c"
}
cleanup() {
	local rc=$?
	# PID 1 of the namespace takes every process in it along.
	[ -n "$NSPID" ] || [ -z "$UPID" ] || NSPID=$(ns_pid1) || :
	if [ -n "$NSPID" ]; then kill -KILL "$NSPID" 2>/dev/null || :; fi
	if [ -n "$UPID" ]; then wait "$UPID" 2>/dev/null || :; fi
	if [ -d "$CG" ]; then
		harness_wait_for 10 "cgroup $CG to empty" \
			grep -qx 'populated 0' "$CG/cgroup.events" || :
		find "$CG" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null || :
		rmdir "$CG" 2>/dev/null || echo "systemd-unit: could not remove $CG" >&2
	fi
	harness_destroy "$T" >/dev/null 2>&1 || :
	exit "$rc"
}
trap cleanup EXIT
t0=$(harness_now) t_step=$t0

# ---- the packages (--debs): unpacked, laid over /usr and /etc below
stage=
if [ -n "$debs" ]; then
	stage=$T/stage
	mkdir -p "$stage"
	n=0
	for d in "$debs"/*.deb; do
		[ -e "$d" ] || break
		case $(dpkg-deb -f "$d" Package) in
		*-dbgsym) continue ;;
		pulse-host) dpkg-deb -e "$d" "$stage/DEBIAN" ;;
		esac
		dpkg-deb -x "$d" "$stage"
		n=$((n + 1))
	done
	[ -x "$stage/usr/bin/pulse-host" ] || fail "no pulse-host package among the $n .deb files in $debs"
	step "unpacked $n packages"
fi
if [ -z "$unit_file" ]; then
	for u in ${stage:+"$stage/lib/systemd/system" "$stage/usr/lib/systemd/system"} \
		/lib/systemd/system /usr/lib/systemd/system; do
		[ -f "$u/pulse-host.service" ] && { unit_file=$u/pulse-host.service; break; }
	done
fi
[ -n "$unit_file" ] && [ -f "$unit_file" ] || fail "pulse-host.service not found (install the package, or pass --debs or --unit)"
if [ -z "$stage" ]; then
	[ -x /usr/bin/pulse-host ] || fail "/usr/bin/pulse-host is not installed (install the package, or pass --debs)"
fi
echo "systemd-unit: unit $unit_file"

# ---- PostgreSQL (outside the namespaces: the daemon reaches it over TCP)
pg_start "$T/pg" 2> "$T/pg.log" || { cat "$T/pg.log" >&2; fail "PostgreSQL did not start"; }
step "PostgreSQL up"

# ---- the private systemd's units: stub targets and the unit under test
mkdir -p "$T/units/pulse-host.service.d" "$T/empty" "$T/up"
cat > "$T/units/pulse-unit-test.target" <<'EOF'
[Unit]
Description=pulse-host unit test (default target: pulls nothing)
EOF
# Targets the unit's default dependencies name; empty here.
for t in sysinit basic shutdown sockets paths timers local-fs network \
	network-online multi-user; do
	printf '[Unit]\nDescription=stub %s.target (pulse-host unit test)\n' "$t" \
		> "$T/units/$t.target"
done
cp "$unit_file" "$T/units/pulse-host.service"
# No journald here: the daemon's output goes to a file. Nothing else of
# the unit changes.
cat > "$T/units/pulse-host.service.d/test-output.conf" <<EOF
[Service]
StandardOutput=append:$T/daemon.log
StandardError=inherit
EOF

# ---- PID 1 of the namespaces: mounts, then (--debs) the postinst, then
# exec systemd. Runs with PID 1 in the new PID namespace, in cgroup $CG.
cat > "$T/pid1.sh" <<'EOF'
#!/bin/bash
set -eu
T=$1 CG=$2 STAGE=$3
if [ "${4:-}" != inner ]; then
	echo 0 > "$CG/cgroup.procs"
	exec unshare --cgroup -- /bin/bash "$T/pid1.sh" "$T" "$CG" "$STAGE" inner
fi
# Our cgroup is the root of this cgroup namespace: systemd sees only it.
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /run/systemd /run/pulse-unit-test
echo pulse-unit-test > /run/systemd/container
# Writes to /etc and /var land in a tmpfs that dies with the namespace.
mount -t tmpfs -o mode=0700 tmpfs "$T/up"
for d in etc var; do
	mkdir -p "$T/up/$d" "$T/up/$d.work"
	lower=/$d
	if [ -n "$STAGE" ] && [ -d "$STAGE/$d" ]; then lower=$STAGE/$d:/$d; fi
	mount -t overlay overlay -o "lowerdir=$lower,upperdir=$T/up/$d,workdir=$T/up/$d.work" "/$d"
done
if [ -n "$STAGE" ]; then
	mount -t overlay overlay -o "lowerdir=$STAGE/usr:/usr" /usr
fi
# A private /tmp (PrivateTmp= makes its directories there); the test
# directory stays reachable at the same path.
mount --bind "$T" /run/pulse-unit-test
mount -t tmpfs -o mode=1777 tmpfs /tmp
mkdir -p "$T"
mount --bind /run/pulse-unit-test "$T"
umount -l /run/pulse-unit-test
if [ -n "$STAGE" ]; then
	# What dpkg does on install: the libraries' cache, the postinst.
	ldconfig
	"$STAGE/DEBIAN/postinst" configure > "$T/postinst.log" 2>&1 ||
		{ echo "postinst failed:"; cat "$T/postinst.log"; exit 1; }
fi
export container=pulse-unit-test
export SYSTEMD_UNIT_PATH=$T/units
export SYSTEMD_GENERATOR_PATH=$T/empty SYSTEMD_ENVIRONMENT_GENERATOR_PATH=$T/empty
exec /usr/lib/systemd/systemd --system --unit=pulse-unit-test.target \
	--log-target=console --log-level=notice --show-status=no < /dev/null
EOF
mkdir "$CG"
setsid unshare --mount --propagation private --pid --fork --mount-proc -- \
	/bin/bash "$T/pid1.sh" "$T" "$CG" "$stage" > "$T/systemd.log" 2>&1 < /dev/null &
UPID=$!
harness_wait_for 30 "PID 1 of the namespace" ns_pid1 > /dev/null ||
	{ cat "$T/systemd.log" >&2; fail "no namespace"; }
NSPID=$(ns_pid1)
ns() { nsenter -t "$NSPID" -m -p -- "$@"; }
sctl() { ns systemctl --no-pager "$@"; }
harness_wait_for 60 "the private systemd to come up" \
	test -S "/proc/$NSPID/root/run/systemd/private" ||
	{ cat "$T/systemd.log" >&2; fail "systemd did not start (log above)"; }
state=$(sctl is-system-running --wait 2>&1) || :
[ "$state" = running ] || { cat "$T/systemd.log" >&2; sctl --failed >&2 || :; fail "the private systemd is '$state', not running"; }
[ "$(cat "/proc/$NSPID/comm")" = systemd ] || fail "PID 1 of the namespace is $(cat "/proc/$NSPID/comm"), not systemd"
step "private systemd running (host pid $NSPID)"

# ---- the database, the configuration and the secrets, inside
PULSE_TEST_PG_ADMIN_URL=$(pg_admin_url "$T/pg")
export PULSE_TEST_PG_ADMIN_URL
printf '#!/bin/sh\nexec nsenter -t %s -m -p -- /usr/bin/pulse-host "$@"\n' "$NSPID" > "$T/ph"
chmod 0755 "$T/ph"
PULSE_HOST_BIN=$T/ph harness_app_db "unit_$(harness_random_hex 8)" "$T" || fail "database set-up failed"
port=$(harness_free_port "$T")
user_uid=$(ns id -u pulse-host) || fail "no pulse-host user (the postinst makes it)"
ns test -f /etc/pulse-host/pulse-host.conf || fail "the package's /etc/pulse-host/pulse-host.conf is missing"
for k in secret.key jwt.key; do
	got=$(ns stat -c '%U %a %s' "/var/lib/pulse-host/$k") || fail "/var/lib/pulse-host/$k is missing (the postinst makes it)"
	[ "$got" = "pulse-host 600 32" ] || fail "/var/lib/pulse-host/$k is '$got', expected 'pulse-host 600 32'"
done
# The packaged file stays; what this test needs is added at its end.
ns sh -c "cat >> /etc/pulse-host/pulse-host.conf" <<EOF
listen = "127.0.0.1:$port";
log_level = "info";
EOF
( umask 077; printf 'PULSE_HOST_DATABASE_URL=%s\nPULSE_HOST_BROKER_URL=\n' \
	"$HARNESS_DB_APP_URL" > "$T/default.env" )
ns install -m 0600 "$T/default.env" /etc/default/pulse-host
# Writable by the daemon's user, outside the unit's directories: the
# sandbox check below writes there.
ns install -d -o pulse-host -g pulse-host -m 0755 /etc/pulse-unit-test /var/pulse-unit-test
rm -f "$T/default.env"
step "database migrated, configuration written"

# ---- start: active, /healthz
t_start=$(harness_now)
sctl start pulse-host.service || { cat "$T/daemon.log" >&2 || :; sctl status pulse-host.service >&2 || :; fail "systemctl start failed"; }
healthz() { curl -fsS -m 2 "http://127.0.0.1:$port/healthz" > "$T/healthz.json" 2>/dev/null; }
harness_wait_for 60 "/healthz on 127.0.0.1:$port" healthz ||
	{ cat "$T/daemon.log" >&2 || :; sctl status pulse-host.service >&2 || :; fail "the daemon does not answer /healthz"; }
grep -q '"ok"' "$T/healthz.json" || fail "/healthz said $(cat "$T/healthz.json")"
[ "$(sctl show -p ActiveState --value pulse-host.service)" = active ] || fail "the unit is not active"
echo "systemd-unit: start to /healthz: $(harness_elapsed "$t_start") s"
step "unit active, /healthz ok"

# ---- the process: user, capabilities, no_new_privs, seccomp
mpid=$(sctl show -p MainPID --value pulse-host.service)
[ -n "$mpid" ] && [ "$mpid" -gt 1 ] || fail "no MainPID ($mpid)"
ns cat "/proc/$mpid/status" > "$T/status"
field() { sed -n "s/^$1:[[:space:]]*//p" "$T/status"; }
[ "$(field Name)" = pulse-host ] || fail "MainPID $mpid is $(field Name), not pulse-host"
read -r ruid euid _ < <(field Uid)
[ "$ruid" = "$user_uid" ] && [ "$euid" = "$user_uid" ] || fail "the daemon runs as uid $ruid/$euid, not pulse-host ($user_uid)"
[ "$user_uid" != 0 ] || fail "the pulse-host user is root"
for f in CapEff CapPrm CapBnd CapAmb; do
	[ "$(field $f)" = 0000000000000000 ] || fail "$f is $(field $f) (CapabilityBoundingSet= is empty)"
done
[ "$(field NoNewPrivs)" = 1 ] || fail "NoNewPrivs is $(field NoNewPrivs)"
[ "$(field Seccomp)" = 2 ] || fail "Seccomp is $(field Seccomp), not 2 (filter)"
[ "$(field Seccomp_filters)" -ge 1 ] || fail "no seccomp filter"
echo "systemd-unit: pid $mpid uid $ruid, caps none, no_new_privs, seccomp filters $(field Seccomp_filters)"

# ---- the sandbox, as the daemon sees it: its mount namespace, its user
inside() { ns nsenter -t "$mpid" -m -S "$user_uid" -G "$(ns id -g pulse-host)" -- /bin/sh -c "$1"; }
# ProtectHome=yes: /home and /root are empty and mode 000 (inaccessible).
for d in /home /root; do
	got=$(inside "stat -c %a $d; ls -A $d 2>/dev/null | wc -l") || fail "cannot stat $d as the daemon"
	[ "$got" = "$(printf '0\n0')" ] || fail "$d is not hidden from the daemon (mode, entries: $(echo $got))"
done
# ProtectSystem=strict: the directories made above belong to the daemon's
# user, so only the sandbox refuses these writes.
for p in /etc/pulse-unit-test/f /var/pulse-unit-test/f; do
	if inside "touch $p" 2>/dev/null; then fail "the daemon may write $p (ProtectSystem=strict)"; fi
done
# ConfigurationDirectory= is mounted writable even under strict (systemd
# 252): the package's root-owned 0755 directory is what keeps it out.
for p in /usr/pulse-unit-test /etc/pulse-host/f; do
	if inside "touch $p" 2>/dev/null; then fail "the daemon may write $p"; fi
done
inside 'touch /var/lib/pulse-host/pulse-unit-test && rm /var/lib/pulse-host/pulse-unit-test' ||
	fail "the daemon cannot write its StateDirectory"
inside 'touch /var/log/pulse-host/pulse-unit-test && rm /var/log/pulse-host/pulse-unit-test' ||
	fail "the daemon cannot write its LogsDirectory"
inside 'echo x > /tmp/pulse-unit-test' || fail "the daemon cannot write its /tmp (PrivateTmp=)"
if ns test -e /tmp/pulse-unit-test; then fail "the daemon's /tmp is not private"; fi
step "sandbox checked"

# ---- reload: SIGHUP through ExecReload, same process
sctl reload pulse-host.service || fail "systemctl reload failed"
harness_wait_for 30 "event=reloaded in the daemon's log" grep -q 'event=reloaded' "$T/daemon.log" ||
	{ tail -n 20 "$T/daemon.log" >&2; fail "the daemon did not reload"; }
[ "$(sctl show -p MainPID --value pulse-host.service)" = "$mpid" ] || fail "reload restarted the daemon"
healthz || fail "/healthz fails after the reload"
step "reloaded"

# ---- stop: clean, within TimeoutStopSec
t_stop=$(harness_now)
sctl stop pulse-host.service || fail "systemctl stop failed"
stop_s=$(harness_elapsed "$t_stop")
res=$(sctl show -p Result --value pulse-host.service)
st=$(sctl show -p ActiveState --value pulse-host.service)
[ "$st" = inactive ] && [ "$res" = success ] || { tail -n 20 "$T/daemon.log" >&2; fail "after stop: state $st, result $res"; }
if healthz; then fail "/healthz still answers after stop"; fi
echo "systemd-unit: stop took $stop_s s (TimeoutStopSec $(sctl show -p TimeoutStopUSec --value pulse-host.service))"
step "stopped"
echo "systemd-unit: PASS in $(harness_elapsed "$t0") s"
