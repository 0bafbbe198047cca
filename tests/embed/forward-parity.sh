#!/usr/bin/env bash
# Forward-pass parity with PyTorch on a small random BERT (F32 and F16
# files), 210 texts: cosine >= 0.99999 and max |delta| <= 1e-4 for every
# text, with the pass split over 2 threads. Then batch invariance: a
# text's vector is the same alone and in batches of any size, on 1 to 3
# threads. Both ways of running the projections (packed weights on
# AVX-512, OpenBLAS) are compared with PyTorch.
set -euo pipefail
. "$abs_top_srcdir/tests/embed/lib.sh"

embed_require_torch
embed_node_modules
work="$(mktemp -d "${TMPDIR:-/tmp}/embed-fwd.XXXXXX")"
trap 'rm -rf "$work"' EXIT
embed_corpus forward 210 5 > "$work/texts.jsonl"
ref="$EMBED_SRC/torch-ref.py"

for kind in f32 f16; do
	m="$work/$kind"
	embed_model "$m" small 1 $kind
	"$EMBED_TOOL" tokenize "$m/vocab.txt" 256 < "$work/texts.jsonl" > "$m/ids"
	"$EMBED_TOOL" embed "$m" 256 16 2 < "$work/texts.jsonl" > "$m/ours"
	"$EMBED_PY" "$ref" embed "$m" 16 < "$m/ids" > "$m/torch"
	out="$("$EMBED_PY" "$ref" compare "$m/ours" "$m/torch")" ||
		embed_fail "$kind: vectors differ from PyTorch's: $out"
	echo "$kind: $out"
done
# The projections on OpenBLAS too: CPUs with AVX-512 use packed weights
# and our kernel (pack.c) unless PULSE_EMBED_PACKED=off.
m="$work/f32"
PULSE_EMBED_PACKED=off "$EMBED_TOOL" embed "$m" 256 16 2 < "$work/texts.jsonl" > "$m/ours-blas"
out="$("$EMBED_PY" "$ref" compare "$m/ours-blas" "$m/torch")" ||
	embed_fail "f32 on OpenBLAS projections: vectors differ from PyTorch's: $out"
echo "f32, OpenBLAS projections: $out"
# Negative control: the comparison fails on mismatched vectors.
if "$EMBED_PY" "$ref" compare "$work/f32/ours" <(tac "$work/f32/torch") > /dev/null; then
	embed_fail "negative control: reversed vectors compared equal"
fi

# Batch invariance (batch 1 on one thread vs batch 7 and 64 on 1 to 3
# threads, max |delta| <= 1e-6).
m="$work/f32"
"$EMBED_TOOL" embed "$m" 256 1 1 < "$work/texts.jsonl" > "$work/b1"
for case in 7:1 7:2 64:2 64:3; do
	"$EMBED_TOOL" embed "$m" 256 "${case%:*}" "${case#*:}" < "$work/texts.jsonl" > "$work/b$case"
	d="$(paste -d' ' "$work/b1" "$work/b$case" | awk '{ h = NF / 2; for (i = 1; i <= h; i++) { x = $i - $(i + h); if (x < 0) x = -x; if (x > m) m = x } } END { printf "%.3g", m + 0 }')"
	echo "batch ${case%:*} on ${case#*:} threads vs batch 1: max |delta| $d"
	awk -v d="$d" 'BEGIN { exit !(d <= 1e-6) }' || embed_fail "batch $case changes vectors by $d"
done
