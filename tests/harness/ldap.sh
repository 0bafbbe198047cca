# tests/harness/ldap.sh: a private slapd (Debian's) that stands in for an
# Active Directory domain controller, on free loopback ports in a temp dir,
# stopped at exit. Sourced after tests/harness/lib.sh; not a test.
#
# slapd has no AD schema (Debian's msuser.schema has no matching rules),
# so ldap_start writes a small one with AD's names and OIDs: object
# classes user, group, organizationalUnit (+ adObject) and nTDSDSA;
# objectGUID (binary), sAMAccountName, userPrincipalName, uSNChanged,
# whenChanged, userAccountControl, memberOf (seeded, no overlay),
# objectCategory, employeeID, department, proxyAddresses... slapd cannot keep uSNChanged
# itself (the usn overlay is not built by Debian), so the tests write it
# with each change, and the rootDSE (highestCommittedUSN, dsServiceName)
# comes from a file: ldap_set_usn rewrites it and restarts slapd. The
# DC's invocationId sits where AD keeps it, on the nTDSDSA entry that
# dsServiceName names.
#
#   ldap_start DIR LDIF  load LDIF (slapadd) and start slapd; sets
#                        LDAP_URL (ldap://, StartTLS), LDAPS_URL, LDAP_CA
#                        (the CA that signed the server's certificate),
#                        LDAP_WRONG_CA, LDAP_SVC_DN, LDAP_SVC_PW, LDAP_BASE,
#                        LDAP_ROOT_DN, LDAP_ROOT_PWFILE
#   ldap_set_usn N       highestCommittedUSN = N (restarts slapd)
#   ldap_modify LDIF     apply changes as the root DN (ldapmodify)
#   ldap_stop            stop slapd (also done at exit by harness_destroy
#                        through PULSE_HARNESS_OWNER)

LDAP_BASE="dc=corp,dc=example"
LDAP_ROOT_DN="cn=admin,$LDAP_BASE"
LDAP_SVC_DN="cn=svc-pulse,$LDAP_BASE"
LDAP_DSA_DN="cn=NTDS Settings,cn=DC1,$LDAP_BASE"
LDAP_DIR=
LDAP_PID=

_ldap_log() { printf 'ldap: %s\n' "$*" >&2; }

_ldap_schema() {
	cat <<-'EOF'
	attributetype ( 1.2.840.113556.1.4.2 NAME 'objectGUID' EQUALITY octetStringMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.40 SINGLE-VALUE )
	attributetype ( 1.2.840.113556.1.4.221 NAME 'sAMAccountName' EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
	attributetype ( 1.2.840.113556.1.4.656 NAME 'userPrincipalName' EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
	attributetype ( 1.2.840.113556.1.2.120 NAME 'uSNChanged' EQUALITY integerMatch ORDERING integerOrderingMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
	attributetype ( 1.2.840.113556.1.2.102 NAME 'memberOf' EQUALITY distinguishedNameMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.12 )
	attributetype ( 1.2.840.113556.1.4.8 NAME 'userAccountControl' EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
	attributetype ( 1.2.840.113556.1.2.3 NAME 'whenChanged' EQUALITY generalizedTimeMatch ORDERING generalizedTimeOrderingMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.24 SINGLE-VALUE )
	attributetype ( 1.2.840.113556.1.4.1696 NAME 'lastLogonTimestamp' EQUALITY integerMatch ORDERING integerOrderingMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
	attributetype ( 1.2.840.113556.1.4.96 NAME 'pwdLastSet' EQUALITY integerMatch ORDERING integerOrderingMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
	attributetype ( 1.2.840.113556.1.4.159 NAME 'accountExpires' EQUALITY integerMatch ORDERING integerOrderingMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
	attributetype ( 1.2.840.113556.1.4.782 NAME 'objectCategory' EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
	attributetype ( 1.2.840.113556.1.2.141 NAME 'department' EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
	attributetype ( 1.2.840.113556.1.4.35 NAME 'employeeID' EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
	attributetype ( 1.2.840.113556.1.2.210 NAME 'proxyAddresses' EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )
	attributetype ( 1.2.840.113556.1.2.115 NAME 'invocationId' EQUALITY octetStringMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.40 SINGLE-VALUE )
	attributetype ( 1.3.6.1.4.1.99999.1.1 NAME 'defaultNamingContext' EQUALITY distinguishedNameMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.12 SINGLE-VALUE )
	attributetype ( 1.3.6.1.4.1.99999.1.2 NAME 'highestCommittedUSN' EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
	attributetype ( 1.3.6.1.4.1.99999.1.3 NAME 'dsServiceName' EQUALITY distinguishedNameMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.12 SINGLE-VALUE )
	objectclass ( 1.3.6.1.4.1.99999.2.1 NAME 'user' SUP inetOrgPerson STRUCTURAL MAY ( objectGUID $ sAMAccountName $ userPrincipalName $ uSNChanged $ memberOf $ userAccountControl $ whenChanged $ lastLogonTimestamp $ pwdLastSet $ accountExpires $ objectCategory $ department $ employeeID $ proxyAddresses ) )
	objectclass ( 1.3.6.1.4.1.99999.2.2 NAME 'group' SUP top STRUCTURAL MUST cn MAY ( member $ objectGUID $ sAMAccountName $ uSNChanged $ whenChanged $ mail $ description $ objectCategory $ memberOf ) )
	objectclass ( 1.3.6.1.4.1.99999.2.3 NAME 'adObject' SUP top AUXILIARY MAY ( objectGUID $ uSNChanged $ whenChanged $ objectCategory ) )
	objectclass ( 1.3.6.1.4.1.99999.2.4 NAME 'nTDSDSA' SUP top STRUCTURAL MUST cn MAY ( invocationId ) )
	EOF
}

# A CA, the server's certificate (for 127.0.0.1) signed by it, and an
# unrelated CA for the wrong-CA tests.
_ldap_certs() {
	local d=$1
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/ca.key" -out "$d/ca.pem" \
		-days 2 -subj /CN=pulse-test-ca >/dev/null 2>&1 &&
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/wrong.key" -out "$d/wrong-ca.pem" \
		-days 2 -subj /CN=pulse-wrong-ca >/dev/null 2>&1 &&
	openssl req -newkey rsa:2048 -nodes -keyout "$d/key.pem" -out "$d/srv.csr" \
		-subj /CN=127.0.0.1 >/dev/null 2>&1 &&
	printf 'subjectAltName=IP:127.0.0.1\n' > "$d/ext.cnf" &&
	openssl x509 -req -in "$d/srv.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
		-CAcreateserial -out "$d/cert.pem" -days 2 -extfile "$d/ext.cnf" >/dev/null 2>&1
}

_ldap_rootdse() {
	printf 'dn:\ndefaultNamingContext: %s\ndsServiceName: %s\nhighestCommittedUSN: %s\n' \
		"$LDAP_BASE" "$LDAP_DSA_DN" "$1" > "$LDAP_DIR/rootdse.ldif"
}

_ldap_run() {
	local i
	rm -f "$LDAP_DIR/slapd.pid"
	PULSE_HARNESS_OWNER=$LDAP_OWNER /usr/sbin/slapd -f "$LDAP_DIR/slapd.conf" \
		-h "ldap://127.0.0.1:$LDAP_PORT/ ldaps://127.0.0.1:$LDAPS_PORT/" \
		>>"$LDAP_DIR/slapd.log" 2>&1 || { cat "$LDAP_DIR/slapd.log" >&2; _ldap_log "slapd did not start"; return 1; }
	for i in $(seq 300); do
		if [ -s "$LDAP_DIR/slapd.pid" ] && harness_tcp_ready 127.0.0.1 "$LDAP_PORT"; then
			LDAP_PID=$(cat "$LDAP_DIR/slapd.pid")
			return 0
		fi
		sleep 0.1
	done
	_ldap_log "slapd did not listen on $LDAP_PORT"
	return 1
}

ldap_stop() {
	[ -n "$LDAP_PID" ] || return 0
	kill "$LDAP_PID" 2>/dev/null
	harness_wait_exit "$LDAP_PID" 20 || kill -KILL "$LDAP_PID" 2>/dev/null
	LDAP_PID=
}

# ldap_start DIR LDIF [OWNER]
ldap_start() {
	LDAP_DIR=$1
	local ldif=$2
	LDAP_OWNER=${3:-$1}
	command -v slapadd >/dev/null || { _ldap_log "slapd is not installed (apt-get install slapd ldap-utils)"; return 1; }
	mkdir -p "$LDAP_DIR/db" || return 1
	_ldap_schema > "$LDAP_DIR/ad.schema"
	_ldap_certs "$LDAP_DIR" || { _ldap_log "openssl failed"; return 1; }
	LDAP_ROOT_PWFILE=$LDAP_DIR/root.pw
	harness_random_hex 24 | tr -d "\n" > "$LDAP_ROOT_PWFILE"
	chmod 600 "$LDAP_ROOT_PWFILE"
	LDAP_SVC_PW="svc-$(harness_random_hex 20)"
	_ldap_rootdse "${LDAP_INITIAL_USN:-1}"
	cat > "$LDAP_DIR/slapd.conf" <<-EOF
	modulepath /usr/lib/ldap
	moduleload back_mdb
	include /etc/ldap/schema/core.schema
	include /etc/ldap/schema/cosine.schema
	include /etc/ldap/schema/inetorgperson.schema
	include $LDAP_DIR/ad.schema
	pidfile $LDAP_DIR/slapd.pid
	rootDSE $LDAP_DIR/rootdse.ldif
	TLSCACertificateFile $LDAP_DIR/ca.pem
	TLSCertificateFile $LDAP_DIR/cert.pem
	TLSCertificateKeyFile $LDAP_DIR/key.pem
	sizelimit unlimited
	database mdb
	maxsize 1073741824
	suffix "$LDAP_BASE"
	rootdn "$LDAP_ROOT_DN"
	rootpw $(cat "$LDAP_ROOT_PWFILE")
	directory $LDAP_DIR/db
	index objectClass,uSNChanged,sAMAccountName,objectCategory eq
	limits dn.exact="$LDAP_SVC_DN" size.soft=unlimited size.hard=unlimited size.prtotal=unlimited
	access to attrs=userPassword by anonymous auth by * none
	access to * by dn.exact="$LDAP_SVC_DN" read by * none
	EOF
	chmod 600 "$LDAP_DIR/slapd.conf"
	{
		printf 'dn: %s\nobjectClass: top\nobjectClass: dcObject\nobjectClass: organization\ndc: corp\no: corp\n\n' "$LDAP_BASE"
		printf 'dn: %s\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: svc-pulse\nuserPassword: %s\n\n' "$LDAP_SVC_DN" "$LDAP_SVC_PW"
		printf 'dn: cn=DC1,%s\nobjectClass: organizationalRole\ncn: DC1\n\n' "$LDAP_BASE"
		printf 'dn: %s\nobjectClass: nTDSDSA\ncn: NTDS Settings\ninvocationId:: %s\n\n' "$LDAP_DSA_DN" \
			"$(head -c 16 /dev/urandom | base64)"
		cat "$ldif"
	} > "$LDAP_DIR/load.ldif"
	/usr/sbin/slapadd -q -f "$LDAP_DIR/slapd.conf" -l "$LDAP_DIR/load.ldif" \
		>>"$LDAP_DIR/slapd.log" 2>&1 || { tail -20 "$LDAP_DIR/slapd.log" >&2; _ldap_log "slapadd failed"; return 1; }
	LDAP_PORT=$(harness_free_port "$LDAP_OWNER") || return 1
	LDAPS_PORT=$(harness_free_port "$LDAP_OWNER") || return 1
	LDAP_URL="ldap://127.0.0.1:$LDAP_PORT"
	LDAPS_URL="ldaps://127.0.0.1:$LDAPS_PORT"
	LDAP_CA=$LDAP_DIR/ca.pem
	LDAP_WRONG_CA=$LDAP_DIR/wrong-ca.pem
	_ldap_run
}

ldap_set_usn() {
	_ldap_rootdse "$1"
	ldap_stop
	_ldap_run
}

# ldap_modify FILE: the changes in FILE (LDIF with changetype), as root.
ldap_modify() {
	LDAPTLS_CACERT=$LDAP_CA ldapmodify -x -ZZ -H "$LDAP_URL" -D "$LDAP_ROOT_DN" \
		-y "$LDAP_ROOT_PWFILE" -f "$1" >>"$LDAP_DIR/modify.log" 2>&1 ||
		{ tail -20 "$LDAP_DIR/modify.log" >&2; _ldap_log "ldapmodify failed"; return 1; }
}

# ldap_new_invocation: the DC was restored: a new invocationId.
ldap_new_invocation() {
	printf 'dn: %s\nchangetype: modify\nreplace: invocationId\ninvocationId:: %s\n' \
		"$LDAP_DSA_DN" "$(head -c 16 /dev/urandom | base64)" > "$LDAP_DIR/inv.ldif"
	ldap_modify "$LDAP_DIR/inv.ldif"
}
