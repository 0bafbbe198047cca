#!/usr/bin/env bash
# MemoryDenyWriteExecute= of the systemd unit (packaging/debian/
# pulse-host.service), tested without systemd: the kernel's own MDWE
# (prctl PR_SET_MDWE, Linux >= 6.3; what systemd uses where it can,
# inherited across fork and exec) is switched on by a wrapper, which
# first proves it holds (an anonymous W+X mapping is refused), then
# execs pulse-host. Under it every plugin must load (`plugins`) and the
# embed-local plugin (OpenBLAS) must embed texts with vectors equal to a
# run without MDWE. A kernel without MDWE is a failure, not a skip.
set -euo pipefail
. "$abs_top_srcdir/tests/embed/lib.sh"

embed_require_torch
embed_node_modules
work="$(mktemp -d "${TMPDIR:-/tmp}/embed-mdwe.XXXXXX")"
trap 'rm -rf "$work"' EXIT
embed_model "$work/m" small 5
cat > "$work/mdwe.py" <<'PY'
import ctypes, mmap, os, sys
libc = ctypes.CDLL(None, use_errno=True)
PR_SET_MDWE, PR_GET_MDWE, REFUSE_EXEC_GAIN = 65, 66, 1
if libc.prctl(PR_SET_MDWE, REFUSE_EXEC_GAIN, 0, 0, 0) != 0:
    sys.exit("mdwe: prctl(PR_SET_MDWE) failed: %s (Linux >= 6.3 needed)"
             % os.strerror(ctypes.get_errno()))
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int,
                      ctypes.c_int, ctypes.c_int, ctypes.c_long]
p = libc.mmap(None, 4096, mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC,
              mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, -1, 0)
if p != ctypes.c_void_p(-1).value:
    sys.exit("mdwe: a W+X mapping was allowed: MDWE is not in force")
os.execv(sys.argv[1], sys.argv[1:])
PY
plugins="$abs_top_builddir/plugins"
dirs=()
for d in "$plugins"/*/.libs; do dirs+=(--plugin-dir "$d"); done
mdwe() { /usr/bin/python3 "$work/mdwe.py" "$PULSE_HOST_BIN" "$@"; }

mdwe "${dirs[@]}" plugins > "$work/plugins" 2>&1 || { cat "$work/plugins" >&2; embed_fail "pulse-host plugins under MDWE failed"; }
n=$(grep -c '[[:space:]]loaded[[:space:]]' "$work/plugins" || :)
want=$(ls "$plugins"/*/.libs/*.so | grep -vc '/lib[^/]*\.so$' || :)
[ "$n" -ge 1 ] && [ "$n" = "$want" ] || { cat "$work/plugins" >&2; embed_fail "under MDWE $n plugins loaded, $want built"; }
echo "mdwe: all $n plugins load"

settings="{\"model_dir\": \"$work/m\", \"batch_size\": 4, \"threads\": 2}"
printf '%s\n' "one text" "Another, longer text with more words in it" "数据 ünd ümlauts" > "$work/texts"
mdwe --plugin-dir "$plugins/provider-embed-local/.libs" embed --plugin embed-local \
	--settings "$settings" < "$work/texts" > "$work/mdwe.json" 2> "$work/err" ||
	{ cat "$work/err" >&2; embed_fail "embed-local under MDWE failed"; }
"$PULSE_HOST_BIN" --plugin-dir "$plugins/provider-embed-local/.libs" embed --plugin embed-local \
	--settings "$settings" < "$work/texts" > "$work/plain.json"
"$EMBED_PY" - "$work/mdwe.json" "$work/plain.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))["embeddings"]
b = json.load(open(sys.argv[2]))["embeddings"]
assert len(a) == len(b) == 3 and a == b, "vectors under MDWE differ"
print("mdwe: embed-local (OpenBLAS, 2 threads) under MDWE: 3 vectors equal")
PY
