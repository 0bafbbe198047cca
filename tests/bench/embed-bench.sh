#!/bin/bash
# embed-bench.sh: speed of the embed-local forward pass, and PyTorch's on
# the same texts and weights in the same run. Figures, not assertions.
#
#   make bench BENCH=embed        (or, from the build dir:
#   abs_top_srcdir=SRC abs_top_builddir=$PWD bash SRC/tests/bench/embed-bench.sh)
#
# Model: all-MiniLM-L6-v2's shape (384/6/12/1536, vocab 30,522) with random
# weights (speed does not depend on the values). Texts of exactly 32 and
# 128 tokens; batch 1 and 32; both sides on EMBED_BENCH_THREADS threads
# (default 2, this machine's cores). For each case: embeddings/s, achieved
# GFLOP/s (matrix products only) and its fraction of the peak, peak RSS,
# where the time goes (tokenizer, sgemm projections, attention, the rest),
# and the ratio to PyTorch. Runs twice: with the core OpenBLAS detects and
# with OPENBLAS_CORETYPE=SkylakeX (AVX-512), see docs/embeddings.md.
#
# The peak: the theoretical figure is cores x MHz (from /proc/cpuinfo) x
# 32 FP32 flops/cycle for AVX2 (2 FMA pipes x 8 lanes x 2) or 64 for
# AVX-512; the practical one is a 2048^3 sgemm measured here.
set -euo pipefail
. "$abs_top_srcdir/tests/embed/lib.sh"

secs=${EMBED_BENCH_SECONDS:-4}
threads=${EMBED_BENCH_THREADS:-2}
embed_require_torch
embed_node_modules
work="$(mktemp -d "${TMPDIR:-/tmp}/embed-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT
embed_model "$work/m" minilm 3 > /dev/null
export OPENBLAS_NUM_THREADS=$threads

mhz="$(awk -F: '/^cpu MHz/ { print $2; exit }' /proc/cpuinfo | tr -d ' ')"
echo "cpu: $(awk -F: '/^model name/ { print $2; exit }' /proc/cpuinfo | sed 's/^ //'), ${mhz} MHz," \
	"$(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"

for ntok in 32 128; do
	embed_corpus bench 64 "$ntok" > "$work/t$ntok.jsonl"
	"$EMBED_TOOL" tokenize "$work/m/vocab.txt" 256 < "$work/t$ntok.jsonl" > "$work/ids$ntok"
	awk -v n="$ntok" 'NF != n { bad = 1 } END { exit bad }' "$work/ids$ntok" ||
		embed_fail "the bench texts are not $ntok tokens long"
done

# field KEY LINE: the value of key=value in LINE
field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<< "$2"; }

for core in default SkylakeX; do
	if [ "$core" = default ]; then unset OPENBLAS_CORETYPE; else export OPENBLAS_CORETYPE=$core; fi
	sg="$("$EMBED_TOOL" sgemm 2048 2)"
	name="$(field core "$sg")"
	case "$name" in SkylakeX|Cooperlake|SapphireRapids) lanes=64 ;; *) lanes=32 ;; esac
	peak="$(awk -v c="$threads" -v m="$mhz" -v l="$lanes" 'BEGIN { printf "%.1f", c * m * l / 1000 }')"
	echo
	echo "OpenBLAS core $name: theoretical peak $peak GFLOP/s ($threads x $mhz MHz x $lanes);" \
		"2048^3 sgemm reaches $(field gflops "$sg") GFLOP/s"
	printf '%-11s %9s %9s %8s %7s %8s %8s %8s %8s %8s %9s %7s\n' case emb/s GFLOP/s "%theor" "%sgemm" \
		"RSS MB" tok% sgemm% attn% other% torch/s ratio
	for ntok in 32 128; do
		for batch in 1 32; do
			out="$( { /usr/bin/time -f 'peak_rss_kb=%M' "$EMBED_TOOL" bench "$work/m" 256 "$batch" "$secs" \
				< "$work/t$ntok.jsonl"; } 2>&1)" || embed_fail "embed-tool bench failed: $out"
			tout="$( { /usr/bin/time -f 'peak_rss_kb=%M' "$EMBED_PY" "$EMBED_SRC/torch-ref.py" bench \
				"$work/m" "$batch" "$secs" "$threads" < "$work/ids$ntok"; } 2>&1)" ||
				embed_fail "torch bench failed: $tout"
			eps="$(field emb_per_s "$out")"
			tps="$(field emb_per_s "$tout")"
			awk -v c="$ntok/$batch" -v e="$eps" -v g="$(field gflops "$out")" -v p="$peak" \
				-v s="$(field gflops "$sg")" -v r="$(field peak_rss_kb "$out")" -v tk="$(field tokenize_s "$out")" \
				-v li="$(field linear_s "$out")" -v at="$(field attention_s "$out")" \
				-v ot="$(field other_s "$out")" -v sec="$(field seconds "$out")" -v t="$tps" \
				-v tr="$(field peak_rss_kb "$tout")" 'BEGIN {
				printf "%-11s %9.1f %9.2f %7.1f%% %6.1f%% %8.0f %7.1f%% %7.1f%% %7.1f%% %7.1f%% %9.1f %7.2f\n",
					"tok" c, e, g, 100 * g / p, 100 * g / s, r / 1024, 100 * tk / sec,
					100 * li / sec, 100 * at / sec, 100 * ot / sec, t, e / t }'
			echo "            (PyTorch: peak RSS $(awk -v k="$(field peak_rss_kb "$tout")" 'BEGIN { printf "%.0f", k / 1024 }') MB)"
		done
	done
done
echo
echo "case = tokens/batch; GFLOP/s counts the matrix products; tok%, sgemm%, attn%, other%:"
echo "shares of the C run's wall time; ratio = C embeddings/s over PyTorch's."
