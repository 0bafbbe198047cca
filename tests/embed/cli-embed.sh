#!/usr/bin/env bash
# `pulse-host embed` through the embed-local plugin (no database: --plugin
# and --settings): its vectors equal the internals' (embed-tool), --stats
# counts the tokens the tokenizer makes, texts come from argv or stdin,
# errors name the file, and `plugins show embed-local` documents the fields.
set -euo pipefail
. "$abs_top_srcdir/tests/embed/lib.sh"

embed_require_torch
embed_node_modules
work="$(mktemp -d "${TMPDIR:-/tmp}/embed-cli.XXXXXX")"
trap 'rm -rf "$work"' EXIT
embed_model "$work/m" small 4
host() { "$PULSE_HOST_BIN" --plugin-dir "$abs_top_builddir/plugins/provider-embed-local/.libs" "$@"; }
settings="{\"model_dir\": \"$work/m\", \"batch_size\": 3}"

printf '%s\n' "first text" "Second, with punctuation!" "Ünïcödé ünd 数据" "" "a b c d e" > "$work/texts"
node -e 'require("fs").readFileSync(0, "utf8").split("\n").slice(0, -1).forEach(l => console.log(JSON.stringify(l)))' \
	< "$work/texts" > "$work/texts.jsonl"
host embed --plugin embed-local --settings "$settings" < "$work/texts" > "$work/out.json" 2> "$work/err"
"$EMBED_TOOL" embed "$work/m" 256 5 < "$work/texts.jsonl" > "$work/tool"
"$EMBED_PY" - "$work/out.json" "$work/tool" <<'PY'
import json, sys
import numpy as np
doc = json.load(open(sys.argv[1]))
a = np.array(doc["embeddings"]); b = np.loadtxt(sys.argv[2], ndmin=2)
assert doc["dimension"] == 64 and doc["model"] == "m", doc["model"]
assert a.shape == b.shape == (5, 64), (a.shape, b.shape)
d = np.abs(a - b).max()
assert d <= 1e-6, "CLI vectors differ from embed-tool's by %g" % d
assert np.allclose(np.linalg.norm(a, axis=1), 1, atol=1e-5)
print("cli: 5 vectors equal embed-tool's (max |delta| %.2g), unit norm" % d)
PY

# argv texts, and --stats counts the tokens
want="$("$EMBED_TOOL" tokenize "$work/m/vocab.txt" 256 < <(printf '"%s"\n' "hello world" "x") | wc -w)"
stats="$(host embed --plugin embed-local --settings "$settings" --stats "hello world" "x" 2>/dev/null)"
echo "stats: $stats"
grep -q "\"texts\": 2, \"tokens\": $want," <<< "$stats" || embed_fail "--stats should count $want tokens: $stats"

# a missing model names the file; a wrong digest is refused
if host embed --plugin embed-local --settings "{\"model_dir\": \"$work/none\"}" x > /dev/null 2> "$work/err"; then
	embed_fail "a missing model directory was accepted"
fi
grep -q "$work/none/config.json: cannot open" "$work/err" || embed_fail "unclear error: $(cat "$work/err")"
sha="$(sha256sum "$work/m/model.safetensors" | cut -d' ' -f1)"
host embed --plugin embed-local --settings "{\"model_dir\": \"$work/m\", \"sha256\": \"$sha\"}" x > /dev/null 2>&1 ||
	embed_fail "the right sha256 was refused"
bad="$(printf '%064d' 0)"
if host embed --plugin embed-local --settings "{\"model_dir\": \"$work/m\", \"sha256\": \"$bad\"}" x > /dev/null 2> "$work/err"; then
	embed_fail "a wrong sha256 was accepted"
fi
grep -q "damaged or another model" "$work/err" || embed_fail "unclear digest error: $(cat "$work/err")"

host plugins show embed-local > "$work/show"
for f in model_dir threads batch_size max_tokens sha256; do
	grep -q "^  $f " "$work/show" || embed_fail "plugins show lacks $f"
done
echo "plugins show: all five fields documented"
