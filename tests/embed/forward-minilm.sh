#!/usr/bin/env bash
# Forward-pass parity with PyTorch at all-MiniLM-L6-v2's full shape (384
# hidden, 6 layers, 12 heads, 1536 intermediate, 30,522 vocab) with random
# weights: 200 texts, cosine >= 0.99999 and max |delta| <= 1e-4 each, the
# pass split over 2 threads.
set -euo pipefail
. "$abs_top_srcdir/tests/embed/lib.sh"

embed_require_torch
embed_node_modules
work="$(mktemp -d "${TMPDIR:-/tmp}/embed-minilm.XXXXXX")"
trap 'rm -rf "$work"' EXIT
embed_corpus forward 200 9 > "$work/texts.jsonl"
embed_model "$work/m" minilm 7
"$EMBED_TOOL" tokenize "$work/m/vocab.txt" 256 < "$work/texts.jsonl" > "$work/ids"
"$EMBED_TOOL" embed "$work/m" 256 32 2 < "$work/texts.jsonl" > "$work/ours"
"$EMBED_PY" "$EMBED_SRC/torch-ref.py" embed "$work/m" 32 < "$work/ids" > "$work/torch"
out="$("$EMBED_PY" "$EMBED_SRC/torch-ref.py" compare "$work/ours" "$work/torch")" ||
	embed_fail "vectors differ from PyTorch's at MiniLM shape: $out"
echo "minilm: $out"
