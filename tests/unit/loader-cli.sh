#!/bin/bash
# loader-cli: the installed-style CLI facing a directory of good and broken
# plugins: every refusal is one clear log line naming the file and reason,
# the listing shows each with its status, and the host goes on (exit 0).
# The host sees the build tree's plugins only: a config of our own with
# no plugin_dirs replaces the default (the configure prefix, where `make
# install` may have put plugins), and --plugin-dir adds the test's dir.
set -euo pipefail
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
printf 'plugin_dirs = [];\n' > "$dir/test.conf"
ph() { "${PULSE_HOST_BIN:?}" -c "$dir/test.conf" "$@"; }
cp "$abs_top_builddir"/tests/fixtures/plugins/fake/.libs/fake-*.so "$dir/"
cp "$abs_top_builddir"/plugins/example/.libs/example.so "$dir/"
fail=0
check() { # check DESCRIPTION COMMAND...
	if "${@:2}"; then echo "ok - $1"; else echo "not ok - $1"; fail=1; fi
}

ph --plugin-dir "$dir" plugins >"$dir/out" 2>"$dir/err"
check "plugins exits 0 despite refusals" true
check "example listed as loaded" grep -Eq '^example +source +1\.0\.0 +1\.4 +loaded' "$dir/out"
check "fake-good loaded" grep -Eq '^fake-good .* loaded ' "$dir/out"
check "older minor loaded" grep -Eq '^fake-old .* loaded ' "$dir/out"
for f in newer-tail-set major-field major-symbol no-entry dup-b init-fails ops-major \
	embedder-short vector-no-query llm-tail-set; do
	check "$f refused in listing" grep -Eq "refused +$dir/fake-$f.so" "$dir/out"
	check "$f refused in log with file and reason" \
		grep -Eq "\[LOADER\] level=error refused file=$dir/fake-$f.so reason=\"..+\"" "$dir/err"
done
check "exactly 10 refusal log lines" test "$(grep -c 'refused file=' "$dir/err")" -eq 10
# Provider kinds (ABI 1.1) load and show their kind, refused ones too.
check "embedder listed with its kind" grep -Eq '^fake-embedder +embedder +0\.1 +1\.4 +loaded' "$dir/out"
check "llm listed with its kind" grep -Eq '^fake-llm +llm +0\.1 +1\.4 +loaded' "$dir/out"
check "vector store listed with its kind" grep -Eq '^fake-vector-store +vector-store +0\.1 +1\.4 +loaded' "$dir/out"
check "a 1.3 vector store (no scroll) still loads" grep -Eq '^fake-vector-v1-3 +vector-store +0\.1 +1\.[0-9] +loaded' "$dir/out"
check "a refused provider keeps its kind" grep -Eq '^fake-vector-no-query +vector-store .* refused' "$dir/out"
check "missing op named" grep -q "lacks the mandatory op 'query'" "$dir/out"
check "init failure shows the plugin's text" grep -q 'init failed: cannot open license file' "$dir/out"

ph --plugin-dir "$dir" plugins --json >"$dir/json" 2>/dev/null
check "json lists 22 plugin files" test "$(grep -c '"path"' "$dir/json")" -eq 22
check "every listed file is the test's own" test -z "$(grep -o '"path":"[^"]*"' "$dir/json" | grep -vF "\"path\":\"$dir/")"
check "json shows provider kinds" grep -q '"kind":"vector-store"' "$dir/json"
check "json has reason for refused" grep -q '"reason":"built for ABI major 2' "$dir/json"

ph --plugin-dir "$dir" plugins show fake-good >"$dir/show" 2>/dev/null
check "show prints field table" grep -Eq '^  endpoint +url +yes' "$dir/show"
check "show prints default" grep -Eq '^  retries +int +no +3' "$dir/show"
check "show prints a declared range" grep -Eq '^      range: 0 to 10$' "$dir/show"
if ph --plugin-dir "$dir" plugins show fake-init-fails >"$dir/show2" 2>&1; then
	echo "not ok - show of a refused plugin must fail"; fail=1
else
	check "show of refused plugin explains" grep -q "no loaded plugin named 'fake-init-fails'" "$dir/show2"
fi
exit $fail
