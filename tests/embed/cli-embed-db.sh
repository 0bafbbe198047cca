#!/usr/bin/env bash
# Through the database: an Embedding integration added with `integration
# add`, then `pulse-host embed --integration ID` (vectors equal embed-tool's
# for the same model, --stats, stdin), and `pulse-host doctor` on a good
# model (sha256 verified: ok; no sha256: a warning), a missing model
# directory, a truncated model.safetensors and one with damaged weights
# (sha256 set), plus its other checks (migrations, key file, database).
set -euo pipefail
. "$abs_top_srcdir/tests/embed/lib.sh"
. "$abs_top_srcdir/tests/db/warehouse-lib.sh"

embed_require_torch
embed_node_modules
wh_setup
W=$WH_DIR
# a jwt key of our own, so its check does not depend on the machine
printf 'jwt_key_file = "%s";\n' "$W/jwt.key" >> "$WH_CONF"
PLUGDIR="$abs_top_builddir/plugins/provider-embed-local/.libs"
phe() { ph --plugin-dir "$PLUGDIR" "$@"; }
embed_model "$W/m" small 4
sha="$(sha256sum "$W/m/model.safetensors" | cut -d' ' -f1)"
ph tenant add acme > /dev/null

# add_embedding NAME SETTINGS_JSON: the new integration's id
add_embedding() {
	printf '%s\n' "$2" > "$W/$1.json"
	phe integration add --tenant acme --plugin embed-local --type Embedding \
		--config "$W/$1.json" --name "$1" --json > "$W/$1.add" ||
		wh_fail "integration add $1: $(cat "$W/$1.add")"
	harness_json_get id < "$W/$1.add"
}
GOOD=$(add_embedding good "{\"model_dir\": \"$W/m\", \"sha256\": \"$sha\", \"batch_size\": 2}")
[ "$(wh_sql "SELECT type FROM integrations WHERE id = $GOOD")" = Embedding ] ||
	wh_fail "integration $GOOD is not of type Embedding"

# embed --integration: the same vectors as the internals on the same model
printf '%s\n' "first text" "Second, with punctuation!" "Ünïcödé ünd 数据" > "$W/texts"
node -e 'require("fs").readFileSync(0, "utf8").split("\n").slice(0, -1).forEach(l => console.log(JSON.stringify(l)))' \
	< "$W/texts" > "$W/texts.jsonl"
"$EMBED_TOOL" embed "$W/m" 256 3 < "$W/texts.jsonl" > "$W/tool"
phe embed --integration "$GOOD" < "$W/texts" > "$W/stdin.json" || wh_fail "embed --integration (stdin) failed"
phe embed --integration "$GOOD" "first text" "Second, with punctuation!" "Ünïcödé ünd 数据" > "$W/argv.json" ||
	wh_fail "embed --integration (arguments) failed"
"$EMBED_PY" - "$W/stdin.json" "$W/argv.json" "$W/tool" <<'PY'
import json, sys
import numpy as np
b = np.loadtxt(sys.argv[3], ndmin=2)
for path in sys.argv[1:3]:
    doc = json.load(open(path))
    a = np.array(doc["embeddings"])
    assert doc["model"] == "m" and doc["dimension"] == 64, doc
    assert a.shape == b.shape == (3, 64), (a.shape, b.shape)
    d = np.abs(a - b).max()
    assert d <= 1e-6, "%s: vectors differ from embed-tool's by %g" % (path, d)
print("embed --integration: 3 vectors (stdin and arguments) equal embed-tool's")
PY
want="$("$EMBED_TOOL" tokenize "$W/m/vocab.txt" 256 < "$W/texts.jsonl" | wc -w)"
phe embed --integration "$GOOD" --stats < "$W/texts" > "$W/stats.json"
grep -q "\"texts\": 3, \"tokens\": $want," "$W/stats.json" ||
	wh_fail "--stats should count 3 texts, $want tokens: $(cat "$W/stats.json")"
# an integration that does not exist
wh_expect_fail "$W/noid.err" phe embed --integration 999999 x
wh_contains "$W/noid.err" "999999"

# doctor_check JSON CHECK FIELD: a field of one check of doctor --json
doctor_check() {
	jq -r --arg c "$2" ".checks[] | select(.check == \$c) | .$3" "$1"
}
# doctor_run OUT EXPECTED_STATUS: doctor --json into OUT, exit status as given
doctor_run() {
	local rc=0
	phe doctor --json > "$1" 2> "$1.err" || rc=$?
	[ "$rc" = "$2" ] || { cat "$1" "$1.err" >&2; wh_fail "doctor exited $rc, expected $2"; }
	jq -e . "$1" > /dev/null || wh_fail "doctor --json is not JSON: $(cat "$1")"
}

# 1. a good install: the verified model passes, nothing fails (the key
# files exist: no secret was stored yet, so nothing made them)
for k in secret jwt; do
	[ -e "$W/$k.key" ] || { head -c 32 /dev/urandom > "$W/$k.key"; chmod 600 "$W/$k.key"; }
done
doctor_run "$W/d1.json" 0
g="embedder integration $GOOD (good)"
[ "$(doctor_check "$W/d1.json" "$g" status)" = ok ] || wh_fail "good model: $(cat "$W/d1.json")"
[ "$(doctor_check "$W/d1.json" "$g" verified)" = true ] || wh_fail "good model not verified"
[ "$(doctor_check "$W/d1.json" "$g" dimension)" = 64 ] || wh_fail "good model: dimension"
[ "$(doctor_check "$W/d1.json" migrations status)" = ok ] || wh_fail "migrations: $(cat "$W/d1.json")"
[ "$(doctor_check "$W/d1.json" database status)" = ok ] || wh_fail "database"
[ "$(doctor_check "$W/d1.json" key_file status)" = ok ] || wh_fail "key_file: $(cat "$W/d1.json")"
[ "$(doctor_check "$W/d1.json" jwt_key_file status)" = ok ] || wh_fail "jwt_key_file: $(cat "$W/d1.json")"
[ "$(doctor_check "$W/d1.json" "plugin embed-local" status)" = ok ] || wh_fail "plugin embed-local"
jq -e '.ok == true and .failed == 0 and .warnings == 0' "$W/d1.json" > /dev/null || wh_fail "doctor not ok: $(cat "$W/d1.json")"
echo "doctor: good install ok"

# 2. no sha256: present and working, but a warning (not verified)
NOSHA=$(add_embedding nosha "{\"model_dir\": \"$W/m\"}")
doctor_run "$W/d2.json" 0
c="embedder integration $NOSHA (nosha)"
[ "$(doctor_check "$W/d2.json" "$c" status)" = warn ] || wh_fail "no sha256: $(cat "$W/d2.json")"
[ "$(doctor_check "$W/d2.json" "$c" verified)" = false ] || wh_fail "no sha256 but verified"
doctor_check "$W/d2.json" "$c" detail | grep -q 'set "sha256"' || wh_fail "no sha256: unclear detail"

# 3. a missing model directory: fails, naming the file
MISS=$(add_embedding missing "{\"model_dir\": \"$W/nothere\"}")
doctor_run "$W/d3.json" 1
c="embedder integration $MISS (missing)"
[ "$(doctor_check "$W/d3.json" "$c" status)" = fail ] || wh_fail "missing dir: $(cat "$W/d3.json")"
doctor_check "$W/d3.json" "$c" detail | grep -qF "$W/nothere/config.json: cannot open" ||
	wh_fail "missing dir: unclear detail: $(doctor_check "$W/d3.json" "$c" detail)"
# the text form says the same, one line per check
phe doctor > "$W/d3.txt" 2>/dev/null && wh_fail "doctor exited 0 with a failing check"
grep -q "^fail  embedder integration $MISS (missing) .*nothere/config.json: cannot open" "$W/d3.txt" ||
	wh_fail "doctor text: $(cat "$W/d3.txt")"
grep -q "^doctor: 1 failed" "$W/d3.txt" || wh_fail "doctor summary: $(tail -1 "$W/d3.txt")"
wh_sql "UPDATE integrations SET enabled = false WHERE id = $MISS" > /dev/null

# 4. a truncated model.safetensors
mkdir "$W/trunc" && cp "$W/m/config.json" "$W/m/vocab.txt" "$W/trunc/"
head -c 100000 "$W/m/model.safetensors" > "$W/trunc/model.safetensors"
TRUNC=$(add_embedding trunc "{\"model_dir\": \"$W/trunc\"}")
doctor_run "$W/d4.json" 1
c="embedder integration $TRUNC (trunc)"
[ "$(doctor_check "$W/d4.json" "$c" status)" = fail ] || wh_fail "truncated: $(cat "$W/d4.json")"
doctor_check "$W/d4.json" "$c" detail | grep -q "trunc/model.safetensors: .*truncated" ||
	wh_fail "truncated: unclear detail: $(doctor_check "$W/d4.json" "$c" detail)"
[ "$(doctor_check "$W/d4.json" "embedder integration $MISS (missing)" status)" = skip ] ||
	wh_fail "a disabled integration was not skipped"
wh_sql "UPDATE integrations SET enabled = false WHERE id = $TRUNC" > /dev/null

# 5. damaged weights (well-formed file, bytes changed) with sha256 set
mkdir "$W/dmg" && cp "$W/m/"* "$W/dmg/"
printf '\x7f\x7f\x7f\x7f' | dd of="$W/dmg/model.safetensors" bs=1 seek=$(( $(stat -c %s "$W/m/model.safetensors") - 64 )) conv=notrunc status=none
DMG=$(add_embedding damaged "{\"model_dir\": \"$W/dmg\", \"sha256\": \"$sha\"}")
doctor_run "$W/d5.json" 1
c="embedder integration $DMG (damaged)"
[ "$(doctor_check "$W/d5.json" "$c" status)" = fail ] || wh_fail "damaged: $(cat "$W/d5.json")"
doctor_check "$W/d5.json" "$c" detail | grep -q "dmg/model.safetensors: .*damaged or another model" ||
	wh_fail "damaged: unclear detail: $(doctor_check "$W/d5.json" "$c" detail)"
wh_sql "UPDATE integrations SET enabled = false WHERE id = $DMG" > /dev/null
echo "doctor: missing dir, truncated file and damaged weights each fail with the loader's line"

# 6. the install checks: a pending migration, a readable key file, no database
last="$(wh_sql "SELECT max(version) FROM schema_migrations")"
wh_sql "CREATE TABLE doctor_saved AS SELECT * FROM schema_migrations WHERE version = '$last';
	DELETE FROM schema_migrations WHERE version = '$last'" > /dev/null
doctor_run "$W/d6.json" 1
[ "$(doctor_check "$W/d6.json" migrations status)" = fail ] || wh_fail "pending migration: $(cat "$W/d6.json")"
doctor_check "$W/d6.json" migrations detail | grep -q "1 of [0-9]* pending: run \`pulse-host migrate\`" ||
	wh_fail "pending migration: $(doctor_check "$W/d6.json" migrations detail)"
# put the row back (running the migration again would not be idempotent)
wh_sql "INSERT INTO schema_migrations SELECT * FROM doctor_saved; DROP TABLE doctor_saved" > /dev/null
chmod 644 "$W/secret.key"
doctor_run "$W/d7.json" 1
[ "$(doctor_check "$W/d7.json" key_file status)" = fail ] || wh_fail "0644 key file: $(cat "$W/d7.json")"
[ "$(doctor_check "$W/d7.json" migrations status)" = ok ] || wh_fail "migrations after migrate"
chmod 600 "$W/secret.key"
PULSE_HOST_DATABASE_URL="postgresql://nobody@127.0.0.1:1/none" doctor_run "$W/d8.json" 1
[ "$(doctor_check "$W/d8.json" database status)" = fail ] || wh_fail "no database: $(cat "$W/d8.json")"
[ "$(doctor_check "$W/d8.json" migrations status)" = skip ] || wh_fail "no database: migrations not skipped"
# without the database the plugin's defaults are checked instead (a warning:
# no integration uses it, and the default model directory is absent here)
[ "$(doctor_check "$W/d8.json" "embedder embed-local (defaults)" status)" = warn ] ||
	wh_fail "no database: embed-local defaults: $(cat "$W/d8.json")"
echo "doctor: pending migration, key file mode and an unreachable database are reported"
