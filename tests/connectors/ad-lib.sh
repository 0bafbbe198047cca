# tests/connectors/ad-lib.sh: set-up shared by the source-ad tests and the
# benchmark (sourced, not a test). Each test gets its own database, app
# role, temp dir and slapd (tests/harness/ldap.sh), removed at exit.
#
#   ad_setup NAME       database + migrate, tenant "t1"; sets AD_DIR AD_CONF
#   ad_directory SUB ARGS...   generate a directory (ad-gen.py gen ARGS) in
#                       $AD_DIR/SUB and start slapd for it (sets LDAP_*)
#   ad_integration JSON [TENANT]  id of a new `ad` integration; settings JSON
#                       merged over the directory's url, bind and CA
#   ad_run ID / ad_run_ok ID   `job run --in-process`; log in $AD_LOG
#   ad_mutate SUB OPS_JSON     apply changes to the directory (and model)
#   ad_verify ID SUB    the warehouse rows of ID equal the model's truth
#   ad_sql SQL, ad_fail MSG, ad_eq WHAT GOT WANT
. "$abs_top_srcdir/tests/harness/lib.sh"
. "$abs_top_srcdir/tests/harness/ldap.sh"

B=$PULSE_HOST_BIN
AD_DIR=
AD_DB=
AD_RUNS=0

ad_log() { printf '%s: %s\n' "${AD_NAME:-ad}" "$*" >&2; }
ad_fail() { ad_log "FAIL: $*"; exit 1; }
ad_eq() {
	[ "$2" = "$3" ] || ad_fail "$1: got '$2', want '$3'"
	ad_log "ok: $1 = $3"
}

ad_cleanup() {
	ldap_stop
	harness_app_db_drop "${AD_DB:-}"
	[ -n "${AD_DIR:-}" ] && harness_destroy "$AD_DIR"
	return 0
}

ad_sql() { psql -X -q -At -v ON_ERROR_STOP=1 "$AD_ADMIN_URL" -c "$1"; }

ad_setup() {
	AD_NAME=$1
	command -v python3 >/dev/null || ad_fail "python3 is not installed"
	command -v slapd >/dev/null || [ -x /usr/sbin/slapd ] ||
		ad_fail "slapd is not installed (apt-get install slapd ldap-utils)"
	AD_DIR=$(harness_mktemp)
	trap ad_cleanup EXIT
	AD_DB="ad_${AD_NAME//-/_}_$$_$(harness_random_hex 6)"
	harness_app_db "$AD_DB" "$AD_DIR" || ad_fail "database set-up failed"
	AD_ADMIN_URL=$HARNESS_DB_ADMIN_URL
	export PULSE_HOST_DATABASE_URL=$HARNESS_DB_APP_URL
	export PULSE_HOST_BROKER_URL=
	AD_CONF="$AD_DIR/pulse-host.conf"
	cat > "$AD_CONF" <<-EOF
	key_file = "$AD_DIR/secret.key";
	plugin_dirs = ["$abs_top_builddir/plugins/source-ad/.libs"];
	EOF
	"$B" -c "$AD_CONF" tenant add t1 >/dev/null || ad_fail "tenant add failed"
}

# ad_directory SUB GEN_ARGS...: one directory per SUB; the last started
# one's LDAP_* variables are current.
ad_directory() {
	local sub=$1
	shift
	mkdir -p "$AD_DIR/$sub"
	python3 "$abs_top_srcdir/tests/connectors/ad-gen.py" gen "$AD_DIR/$sub/model.json" \
		"$AD_DIR/$sub/seed.ldif" "$@" || ad_fail "ad-gen failed"
	LDAP_INITIAL_USN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["usn"])' \
		"$AD_DIR/$sub/model.json")
	ldap_start "$AD_DIR/$sub/ldap" "$AD_DIR/$sub/seed.ldif" "$AD_DIR" ||
		ad_fail "slapd did not start"
}

ad_integration() {
	local json=$1 tenant=${2:-t1} file="$AD_DIR/integration.$RANDOM.json" out
	# The password goes through the environment: tests scan ps for it.
	TEST_BIND_PASSWORD=$LDAP_SVC_PW python3 - "$json" "$LDAP_URL" "$LDAP_SVC_DN" - "$LDAP_CA" "$LDAP_BASE" \
		> "$file" <<-'PY'
	import json, os, sys
	s = json.loads(sys.argv[1])
	o = {"url": sys.argv[2], "bind_dn": sys.argv[3], "bind_password": os.environ["TEST_BIND_PASSWORD"],
	     "ca_file": sys.argv[5], "base_dn": sys.argv[6],
	     "user_filter": "(&(objectCategory=person)(objectClass=user))"}
	o.update(s)
	print(json.dumps(o))
	PY
	chmod 600 "$file"
	out=$("$B" -c "$AD_CONF" integration add --tenant "$tenant" --plugin ad \
		--config "$file" --name "ad$RANDOM" --json 2>"$AD_DIR/add.err") ||
		{ cat "$AD_DIR/add.err" >&2; ad_fail "integration add failed"; }
	rm -f "$file"
	printf '%s\n' "$out" | harness_json_get id
}

ad_run() {
	local id=$1
	shift
	AD_RUNS=$((AD_RUNS + 1))
	AD_LOG="$AD_DIR/run.$AD_RUNS.log"
	AD_RC=0
	"$B" -c "$AD_CONF" job run --in-process "$@" "$id" >"$AD_LOG" 2>&1 || AD_RC=$?
	return 0
}

ad_run_ok() {
	ad_run "$@"
	[ "$AD_RC" -eq 0 ] || { cat "$AD_LOG" >&2; ad_fail "job run exited $AD_RC"; }
	grep -q 'finished in' "$AD_LOG" || { cat "$AD_LOG" >&2; ad_fail "job run did not finish cleanly"; }
}

# ad_mutate SUB OPS_JSON: change the directory like a DC would, then
# publish the new highestCommittedUSN.
ad_mutate() {
	local sub=$1 ops=$2 usn
	usn=$(python3 "$abs_top_srcdir/tests/connectors/ad-gen.py" mutate \
		"$AD_DIR/$sub/model.json" "$AD_DIR/$sub/change.ldif" "$ops") || ad_fail "ad-gen mutate failed"
	ldap_modify "$AD_DIR/$sub/change.ldif" || ad_fail "applying the changes failed"
	ldap_set_usn "$usn" || ad_fail "slapd did not restart"
}

ad_verify() {
	local id=$1 sub=$2 v
	v="$AD_DIR/$sub/verify.$AD_RUNS"
	python3 "$abs_top_srcdir/tests/connectors/ad-gen.py" truth "$AD_DIR/$sub/model.json" \
		> "$v.truth" || ad_fail "ad-gen truth failed"
	psql -X -q -At -v ON_ERROR_STOP=1 -v id="$id" "$AD_ADMIN_URL" \
		-f "$abs_top_srcdir/tests/connectors/ad-truth.sql" | LC_ALL=C sort > "$v.db" ||
		ad_fail "reading the warehouse failed"
	LC_ALL=C sort -o "$v.truth" "$v.truth"
	if ! diff -u "$v.truth" "$v.db" > "$v.diff"; then
		head -40 "$v.diff" >&2
		ad_fail "the warehouse differs from the directory's truth ($(grep -c '^[-+][A-Z]' "$v.diff") lines)"
	fi
	ad_log "ok: warehouse equals the directory ($(wc -l < "$v.truth") rows: $(cut -d'|' -f1 "$v.truth" | sort | uniq -c | tr -s ' \n' ' '))"
}
