#!/usr/bin/env bash
# Tokenizer parity: our WordPiece must give exactly the token ids of
# @huggingface/tokenizers (an independent JS implementation) configured as
# all-MiniLM-L6-v2's tokenizer.json, with BERT's real uncased vocab.txt,
# on 600 generated hard texts, at max_tokens 256 and 32 (truncation).
set -euo pipefail
. "$abs_top_srcdir/tests/embed/lib.sh"

work="$(mktemp -d "${TMPDIR:-/tmp}/embed-tok.XXXXXX")"
trap 'rm -rf "$work"' EXIT
embed_node_modules
embed_vocab "$work/vocab.txt"
[ "$(wc -l < "$work/vocab.txt")" -eq 30522 ] || embed_fail "vocab.txt is not 30,522 lines"
embed_corpus tokenizer 600 12 > "$work/corpus.jsonl"
[ "$(wc -l < "$work/corpus.jsonl")" -ge 500 ] || embed_fail "corpus has under 500 texts"

fails=0
for max in 256 32; do
	"$EMBED_TOOL" tokenize "$work/vocab.txt" "$max" < "$work/corpus.jsonl" > "$work/ours.$max"
	node "$EMBED_SRC/peer-tokenize.js" "$work/vocab.txt" "$max" < "$work/corpus.jsonl" > "$work/peer.$max"
	n="$(wc -l < "$work/peer.$max")"
	[ "$n" -eq 600 ] || embed_fail "the peer gave $n lines for 600 texts"
	bad="$(paste -d'|' "$work/ours.$max" "$work/peer.$max" | awk -F'|' '$1 != $2 { print NR }')"
	if [ -n "$bad" ]; then
		fails=1
		echo "max_tokens $max: $(echo "$bad" | wc -l) of 600 texts differ; first ones:"
		for i in $(echo "$bad" | sed -n 1,5p); do
			echo "  text $i: $(sed -n "${i}p" "$work/corpus.jsonl" | cut -c1-160)"
			echo "    ours: $(sed -n "${i}p" "$work/ours.$max" | cut -c1-160)"
			echo "    peer: $(sed -n "${i}p" "$work/peer.$max" | cut -c1-160)"
		done
	else
		echo "max_tokens $max: 600 of 600 texts give the same ids" \
			"($(wc -w < "$work/ours.$max") ids; $(awk -v m="$max" 'NF == m' "$work/ours.$max" | wc -l) truncated;" \
			"$(tr ' ' '\n' < "$work/ours.$max" | grep -cx 100) [UNK])"
	fi
done
# The comparison must be able to fail: a corpus shifted by one line differs.
if paste -d'|' "$work/ours.256" <(tail -n +2 "$work/peer.256") | awk -F'|' '$1 != $2 { d = 1 } END { exit !d }'; then :; else
	embed_fail "negative control: shifted outputs compared equal"
fi
exit $fails
