#!/bin/bash
# `config check` applies every check `run` applies (issue 11, item 11):
# the listen address (parseable, port 1-65535), integer ranges (a huge
# value is refused, not wrapped), the key files' owner and mode (item 8);
# and `config show` masks every password form (item 7). No server needed.
set -euo pipefail
B=${PULSE_HOST_BIN:?}
D=$(mktemp -d "${TMPDIR:-/tmp}/pulse-seccfg.XXXXXX")
trap 'chmod -R u+rwx "$D" 2>/dev/null; rm -rf "$D"' EXIT
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
unset PULSE_HOST_DATABASE_URL PULSE_HOST_BROKER_URL

# conf TEXT: a config file with TEXT after private key paths
conf() {
	printf 'key_file = "%s/keys/secret.key";\njwt_key_file = "%s/keys/jwt.key";\n%s\n' \
		"$D" "$D" "$1" > "$D/c.conf"
}
# refused TEXT EXPECTED: config check must fail and say EXPECTED
refused() {
	conf "$1"
	if "$B" config check "$D/c.conf" > "$D/out" 2> "$D/err"; then
		fail "config check accepted: $1"
	fi
	grep -qF -- "$2" "$D/err" || fail "config check on '$1' said: $(cat "$D/err"), expected '$2'"
}
mkdir -m 0700 "$D/keys"

conf 'listen = "127.0.0.1:8470";'
"$B" config check "$D/c.conf" > "$D/out" || fail "a valid file was refused"
refused 'listen = "127.0.0.1:99999";' "port must be a number from 1 to 65535"
refused 'listen = "127.0.0.1:-5";' "port must be a number from 1 to 65535"
refused 'listen = "127.0.0.1:http";' "port must be a number from 1 to 65535"
refused 'listen = "127.0.0.1";' "must be HOST:PORT"
refused 'listen = "not an address:80";' "the host must be an IPv4 address"
refused 'jobs = { max_running = 99999999999; };' "'jobs.max_running' is 99999999999; it must be between 1 and"
refused 'http = {
  timeout_seconds = 0; };' "c.conf:4: 'http.timeout_seconds' is 0"
refused 'jwt_max_lifetime_seconds = 5;' "'jwt_max_lifetime_seconds' is 5"
# the job process limits and the stop grace (issue 11, item 5)
refused 'jobs = { stop_grace_seconds = 0; };' "'jobs.stop_grace_seconds' is 0; it must be between 1 and 3600"
refused 'jobs = { rlimit_as_mb = -1; };' "'jobs.rlimit_as_mb' is -1; it must be between 0 and"
refused 'jobs = { rlimit_cpu_s = 99999999999; };' "'jobs.rlimit_cpu_s' is 99999999999; it must be between 0 and"

# key files: a directory others can write, a readable key, a foreign owner
conf ''
chmod 0777 "$D/keys"
refused '' "key file directory $D/keys is writable by group or others"
chmod 0700 "$D/keys"
head -c 32 /dev/urandom > "$D/keys/jwt.key"
chmod 0644 "$D/keys/jwt.key"
refused '' "key file $D/keys/jwt.key has mode 0644"
chmod 0600 "$D/keys/jwt.key"
if [ "$(id -u)" = 0 ]; then
	chown 65534 "$D/keys/jwt.key"
	refused '' "is owned by uid 65534"
	chown 0 "$D/keys/jwt.key"
fi
conf ''
"$B" config check "$D/c.conf" > "$D/out" || fail "valid key files were refused"

# `run` refuses what config check refuses, before touching anything
conf 'listen = "127.0.0.1:http";'
if "$B" -c "$D/c.conf" run > "$D/out" 2> "$D/err"; then fail "run accepted a port name"; fi
grep -qF "port must be a number" "$D/err" || fail "run said: $(cat "$D/err")"
if "$B" -c /dev/null run --listen 127.0.0.1:0 > "$D/out" 2> "$D/err"; then
	fail "run accepted port 0"
fi
grep -qF "port must be a number" "$D/err" || fail "run --listen :0 said: $(cat "$D/err")"

# config show masks the key=value and query-parameter forms
conf 'database_url = "host=db user=app password=s3cretQ dbname=x";
broker_url = "amqp://guest:s3cretQ@127.0.0.1/%2f?password=s3cretQ";'
"$B" -c "$D/c.conf" config show > "$D/out"
grep -q s3cretQ "$D/out" && fail "config show printed a password: $(cat "$D/out")"
grep -qF 'password=***' "$D/out" || fail "config show: $(cat "$D/out")"
conf 'database_url = "postgresql://app@db/x?sslmode=require&password=s3cretQ";'
"$B" -c "$D/c.conf" config show > "$D/out"
grep -q s3cretQ "$D/out" && fail "config show printed a query password: $(cat "$D/out")"
echo ok
