# tests/harness/samba.sh: a private Samba AD domain controller (Debian's
# samba package), the real AD next to tests/harness/ldap.sh's slapd
# stand-in. Sourced after tests/harness/lib.sh; not a test.
#
# AD's LDAP ports are fixed (389, 636, 3268, 3269), so each DC gets a
# loopback address of its own (127.0.0.0/8, reserved like the harness's
# ports) and binds only there. Only the ldap service runs (no smbd, KDC,
# DNS, NetBIOS). The DC serves our own certificate (for that address,
# signed by a test CA): simple binds then go over StartTLS, which Samba's
# default "ldap server require strong auth = yes" demands.
#
# samba sets its process title over its environment, so the harness's
# PULSE_HARNESS_OWNER marker cannot find it: it runs with -i (it exits when
# its stdin closes) fed by a tether that ends with the test's shell.
#
#   samba_provision DIR  provision a domain corp.example into DIR (timed;
#                        the administrator's password is random and unused)
#   samba_start          start the DC (after seeding the offline database);
#                        sets LDAP_URL (ldap://ADDR, StartTLS), LDAP_CA,
#                        LDAP_BASE_DOMAIN, SAMBA_ADDR, SAMBA_SAM (sam.ldb),
#                        SAMBA_CONF (smb.conf)
#   samba_stop           stop it (also at the test's exit, via the tether)
#   samba_py ARGS...     /usr/bin/python3 (Samba's bindings live there)
#   samba_timed FILE CMD...  CMD, its wall and CPU time into FILE

SAMBA_DIR=
SAMBA_PID=
SAMBA_ADDR=
SAMBA_PY=/usr/bin/python3
LDAP_BASE_DOMAIN="DC=corp,DC=example"

_samba_log() { printf 'samba: %s\n' "$*" >&2; }

samba_py() { TDB_NO_FSYNC=1 "$SAMBA_PY" "$@"; }

# samba_timed FILE CMD...: run CMD (TDB_NO_FSYNC set); FILE gets its wall
# and CPU time, since on a loaded machine the wall time says little.
samba_timed() {
	local f=$1
	shift
	TDB_NO_FSYNC=1 /usr/bin/time -f '%e s (cpu %U s user, %S s sys)' -o "$f" "$@"
}

# _samba_hex_addr IP: the address as /proc/net/tcp writes it (little-endian).
_samba_hex_addr() {
	local a b c d
	IFS=. read -r a b c d <<< "$1"
	printf '%02X%02X%02X%02X' "$d" "$c" "$b" "$a"
}

# _samba_addr_busy IP: true if a TCP socket uses one of AD's ports on IP
# or on the wildcard address (which would make our bind fail).
_samba_addr_busy() {
	local ip port _sl local_addr _rest
	ip=$(_samba_hex_addr "$1")
	for port in 389 636 3268 3269; do
		port=$(printf '%04X' "$port")
		while read -r _sl local_addr _rest; do
			case $local_addr in "$ip:$port"|"00000000:$port") return 0 ;; esac
		done < /proc/net/tcp
		[ -r /proc/net/tcp6 ] || continue
		while read -r _sl local_addr _rest; do
			case $local_addr in "00000000000000000000000000000000:$port") return 0 ;; esac
		done < /proc/net/tcp6
	done
	return 1
}

# _samba_pick_addr OWNER: a free 127.x.y.z reserved for OWNER (the port
# reservations' directory and rules, keyed "addr-IP").
_samba_pick_addr() {
	local owner=$1 pdir ip holder
	pdir=$(_harness_port_dir)
	mkdir -p "$pdir" || return 1
	for _ in $(seq 100); do
		ip="127.0.$((RANDOM % 250 + 2)).$((RANDOM % 250 + 2))"
		_samba_addr_busy "$ip" && continue
		if ! mkdir "$pdir/addr-$ip" 2>/dev/null; then
			holder=$(cat "$pdir/addr-$ip/owner" 2>/dev/null) || holder=
			if [ -z "$holder" ] || [ -d "$holder" ]; then continue; fi
			rm -rf "$pdir/addr-$ip"
			mkdir "$pdir/addr-$ip" 2>/dev/null || continue
		fi
		printf '%s\n' "$owner" > "$pdir/addr-$ip/owner"
		printf '%s\n' "$ip"
		return 0
	done
	harness_err "no free loopback address for AD's ports (a server listens on 389 on all addresses?)"
}

_samba_certs() {
	local d=$1 ip=$2
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/ca.key" -out "$d/ca.pem" \
		-days 2 -subj /CN=pulse-test-ca >/dev/null 2>&1 &&
	openssl req -newkey rsa:2048 -nodes -keyout "$d/key.pem" -out "$d/srv.csr" \
		-subj "/CN=$ip" >/dev/null 2>&1 &&
	printf 'subjectAltName=IP:%s\n' "$ip" > "$d/ext.cnf" &&
	openssl x509 -req -in "$d/srv.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
		-CAcreateserial -out "$d/cert.pem" -days 2 -extfile "$d/ext.cnf" >/dev/null 2>&1 &&
	chmod 600 "$d/key.pem" "$d/ca.key"
}

# samba_provision DIR [OWNER]
samba_provision() {
	local out
	SAMBA_DIR=$1
	local owner=${2:-$1}
	for out in samba-tool /usr/sbin/samba "$SAMBA_PY"; do
		command -v "$out" >/dev/null || { _samba_log "$out is missing (apt-get install samba samba-ad-provision samba-dsdb-modules samba-vfs-modules ldb-tools)"; return 1; }
	done
	"$SAMBA_PY" -c 'import samba.samdb' 2>/dev/null ||
		{ _samba_log "python3-samba is missing (apt-get install samba)"; return 1; }
	mkdir -p "$SAMBA_DIR/tls" || return 1
	SAMBA_ADDR=$(_samba_pick_addr "$owner") || return 1
	_samba_certs "$SAMBA_DIR/tls" "$SAMBA_ADDR" || { _samba_log "openssl failed"; return 1; }
	# No --adminpass: provision picks a random one we never use (the tests
	# bind as their own service account). TDB_NO_FSYNC: a throwaway DC.
	# The output holds that password, hence the private file.
	( umask 077; samba_timed "$SAMBA_DIR/provision.time" samba-tool domain provision --targetdir="$SAMBA_DIR" \
		--realm=CORP.EXAMPLE --domain=CORP --host-name=pulsedc --server-role=dc \
		--dns-backend=NONE --backend-store=tdb --host-ip="$SAMBA_ADDR" \
		--option="interfaces = $SAMBA_ADDR/8" --option="bind interfaces only = yes" \
		> "$SAMBA_DIR/provision.log" 2>&1 ) ||
		{ grep -v -i password "$SAMBA_DIR/provision.log" | tail -20 >&2; _samba_log "samba-tool domain provision failed"; return 1; }
	_samba_log "provisioned corp.example in $(cat "$SAMBA_DIR/provision.time")"
	SAMBA_CONF=$SAMBA_DIR/etc/smb.conf
	SAMBA_SAM=$SAMBA_DIR/private/sam.ldb
	# Our own smb.conf: the ldap service alone, everything in DIR. The
	# "/8" makes Samba accept an address that is not an interface's own.
	cat > "$SAMBA_CONF" <<-EOF
	[global]
		netbios name = PULSEDC
		realm = CORP.EXAMPLE
		workgroup = CORP
		server role = active directory domain controller
		server services = ldap
		interfaces = $SAMBA_ADDR/8
		bind interfaces only = yes
		private dir = $SAMBA_DIR/private
		lock directory = $SAMBA_DIR
		state directory = $SAMBA_DIR/state
		cache directory = $SAMBA_DIR/cache
		pid directory = $SAMBA_DIR
		binddns dir = $SAMBA_DIR/bind-dns
		ncalrpc dir = $SAMBA_DIR/ncalrpc
		log file = $SAMBA_DIR/samba.log
		logging = file
		log level = 1
		tls enabled = yes
		tls keyfile = $SAMBA_DIR/tls/key.pem
		tls certfile = $SAMBA_DIR/tls/cert.pem
		tls cafile = $SAMBA_DIR/tls/ca.pem
	EOF
	LDAP_URL="ldap://$SAMBA_ADDR"
	LDAP_CA=$SAMBA_DIR/tls/ca.pem
}

samba_start() {
	local shell=$$ stop=$SAMBA_DIR/stop
	rm -f "$stop"
	# The tether holds samba's stdin open while the test's shell lives and
	# samba_stop has not asked it to stop.
	(
		export PULSE_HARNESS_OWNER=$SAMBA_DIR
		while kill -0 "$shell" 2>/dev/null && [ ! -e "$stop" ]; do sleep 0.2; done
	) | TDB_NO_FSYNC=1 /usr/sbin/samba -i -M single -s "$SAMBA_CONF" \
		>> "$SAMBA_DIR/samba.out" 2>&1 &
	SAMBA_PID=$!
	for _ in $(seq 600); do
		harness_tcp_ready "$SAMBA_ADDR" 389 && return 0
		harness_alive "$SAMBA_PID" || break
		sleep 0.1
	done
	tail -20 "$SAMBA_DIR/samba.out" >&2
	_samba_log "the DC did not listen on $SAMBA_ADDR:389"
	return 1
}

# samba_stop: never fails (EXIT traps run it under set -e).
samba_stop() {
	[ -n "$SAMBA_PID" ] || return 0
	touch "$SAMBA_DIR/stop" 2>/dev/null || :
	kill "$SAMBA_PID" 2>/dev/null || :
	harness_wait_exit "$SAMBA_PID" 20 || kill -KILL "$SAMBA_PID" 2>/dev/null || :
	wait "$SAMBA_PID" 2>/dev/null || :
	SAMBA_PID=
	rm -rf "$(_harness_port_dir)/addr-$SAMBA_ADDR"
	return 0
}
