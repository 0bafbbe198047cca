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
# (default 2, this machine's cores): our pass's team, torch.set_num_threads
# for PyTorch, and the same OpenBLAS library and OPENBLAS_CORETYPE for both
# (PyTorch's nn.Linear goes to the system BLAS). Runs with the core in the
# environment (or detected) and with OPENBLAS_CORETYPE=SkylakeX (AVX-512),
# see docs/embeddings.md. EMBED_BENCH_CORES overrides that list.
#
# Each case prints, for C and PyTorch in turn (C, PyTorch, C, PyTorch, ...
# EMBED_BENCH_ROUNDS times, default 2, so both see the same load):
#   emb/s       embeddings per wall second (best round)
#   emb/cpu-s   embeddings per CPU second, all threads (best round): on a
#               loaded machine, x threads, what an idle one gives (ours
#               sleep at barriers; PyTorch's OpenMP threads spin a while,
#               which counts against it, as it would on an idle machine)
#   ratio       C over PyTorch, for both
#   GFLOP/s     matrix products only (2 per multiply-add), per wall second,
#               and per CPU second
#   %peak       wall GFLOP/s over the measured peak (below); per-CPU-
#               second GFLOP/s over a one-thread 2048^3 sgemm's (the
#               practical per-core peak, measured in this run)
#   RSS         peak resident set (MB) of each process
#   split       shares of the C pass's calling-thread wall time: tokenizer,
#               projection sgemms, attention sgemms, softmax, the rest
#               (embeddings, bias, LayerNorm, GELU, pooling), waits at the
#               team's barriers (large when the machine is loaded: the
#               other thread was not running)
#
# The peak: the theoretical figure is cores x MHz (from /proc/cpuinfo) x
# FP32 flops per cycle (64 with AVX-512: 2 FMA pipes x 16 lanes x 2, as
# on Zen 5; 32 with AVX2 only); the measured one is what the threads do
# running nothing but fused multiply-adds, all at once (embed-tool fma),
# timed beside each core's cases: a virtual CPU may run well above its
# nominal clock, and its speed drifts. The practical one is a 2048^3
# sgemm measured here, on the cores (wall) and on one thread (per CPU
# second).
#
# PyTorch runs with OMP_WAIT_POLICY=PASSIVE (EMBED_BENCH_TORCH_WAIT
# overrides): its OpenMP threads otherwise spin at every join, which on a
# loaded machine wastes the very CPU the other thread waits for (batch 1
# on 2 threads ran 4x slower, 2.7 instead of 9.8 embeddings per CPU second)
# and makes its CPU time count spinning, not work. That favours PyTorch.
#
# EMBED_BENCH_BEFORE=PATH: also time another build's embed-tool (one from
# before a change), printed as "before" with the ratio of this build to it.
set -euo pipefail
. "$abs_top_srcdir/tests/embed/lib.sh"

secs=${EMBED_BENCH_SECONDS:-4}
threads=${EMBED_BENCH_THREADS:-2}
rounds=${EMBED_BENCH_ROUNDS:-2}
embed_require_torch
embed_node_modules
work="$(mktemp -d "${TMPDIR:-/tmp}/embed-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT
embed_model "$work/m" minilm 3 > /dev/null
export OPENBLAS_NUM_THREADS=$threads
torch_wait=${EMBED_BENCH_TORCH_WAIT:-PASSIVE}

mhz="$(awk -F: '/^cpu MHz/ { print $2; exit }' /proc/cpuinfo | tr -d ' ')"
if grep -qw avx512f /proc/cpuinfo; then fpc=64; elif grep -qw fma /proc/cpuinfo; then fpc=32; else fpc=16; fi
theor="$(awk -v c="$threads" -v m="$mhz" -v l="$fpc" 'BEGIN { printf "%.1f", c * m * l / 1000 }')"
echo "cpu: $(awk -F: '/^model name/ { print $2; exit }' /proc/cpuinfo | sed 's/^ //'), ${mhz} MHz," \
	"$(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "theoretical peak on $threads threads: $theor GFLOP/s ($threads x $mhz MHz x $fpc FP32 flops/cycle)"

for ntok in 32 128; do
	embed_corpus bench 64 "$ntok" > "$work/t$ntok.jsonl"
	"$EMBED_TOOL" tokenize "$work/m/vocab.txt" 256 < "$work/t$ntok.jsonl" > "$work/ids$ntok"
	awk -v n="$ntok" 'NF != n { bad = 1 } END { exit bad }' "$work/ids$ntok" ||
		embed_fail "the bench texts are not $ntok tokens long"
done

# field KEY LINE: the value of key=value in LINE
field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<< "$2"; }
# best KEY LINES...: the largest value of KEY over the lines
best() { local k=$1; shift; printf '%s\n' "$@" | sed -n "s/.*\b$k=\([^ ]*\).*/\1/p" | sort -g | tail -1; }
# spread KEY LINES...: "min-max" of KEY over the lines
spread() { local k=$1; shift; printf '%s\n' "$@" | sed -n "s/.*\b$k=\([^ ]*\).*/\1/p" | sort -g |
	awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s-%s", lo, hi }'; }

cores="${EMBED_BENCH_CORES:-${OPENBLAS_CORETYPE:-detected} SkylakeX}"
for core in $cores; do
	if [ "$core" = detected ]; then unset OPENBLAS_CORETYPE; else export OPENBLAS_CORETYPE=$core; fi
	sg="$("$EMBED_TOOL" sgemm 2048 2)"
	peak="$(field gflops "$("$EMBED_TOOL" fma 2 "$threads")")"
	echo
	echo "measured peak: $peak GFLOP/s on $threads threads (fused multiply-adds only," \
		"$(awk -v g="$peak" -v t="$theor" 'BEGIN { printf "%.0f", 100 * g / t }')% of theoretical); %pk below is against it"
	echo "OpenBLAS core $(field core "$sg"): 2048^3 sgemm $(field gflops "$sg") GFLOP/s on $threads threads" \
		"(wall; $(awk -v g="$(field gflops "$sg")" -v t="$theor" 'BEGIN { printf "%.0f", 100 * g / t }')%" \
		"of theoretical, $(awk -v g="$(field gflops "$sg")" -v t="$peak" 'BEGIN { printf "%.0f", 100 * g / t }')%" \
		"of measured), $(field gflops_1cpu "$sg") GFLOP per CPU second on one thread; load $(cut -d' ' -f1 /proc/loadavg)"
	printf '%-7s | %7s %7s %5s | %9s %9s %5s | %7s %5s %7s %5s | %4s %4s | %s\n' \
		case "C/s" "torch/s" ratio "C/cpu-s" "torch/cpu" ratio "GF/s" "%pk" "GF/cpu" "%sg" \
		"RSS" "tRSS" "split % (tok sgemm attn softmax other sync)"
	for ntok in 32 128; do
		for batch in 1 32; do
			ours=() theirs=() before=()
			for ((r = 0; r < rounds; r++)); do
				out="$( { /usr/bin/time -f 'peak_rss_kb=%M' "$EMBED_TOOL" bench "$work/m" 256 \
					"$batch" "$secs" "$threads" < "$work/t$ntok.jsonl"; } 2>&1)" ||
					embed_fail "embed-tool bench failed: $out"
				ours+=("$(tr '\n' ' ' <<< "$out")")
				tout="$( { OMP_WAIT_POLICY=$torch_wait /usr/bin/time -f 'peak_rss_kb=%M' "$EMBED_PY" "$EMBED_SRC/torch-ref.py" \
					bench "$work/m" "$batch" "$secs" "$threads" < "$work/ids$ntok"; } 2>&1)" ||
					embed_fail "torch bench failed: $tout"
				theirs+=("$(tr '\n' ' ' <<< "$tout")")
				if [ -n "${EMBED_BENCH_BEFORE:-}" ]; then
					bout="$("$EMBED_BENCH_BEFORE" bench "$work/m" 256 "$batch" "$secs" \
						"$threads" < "$work/t$ntok.jsonl" 2>&1)" ||
						embed_fail "$EMBED_BENCH_BEFORE bench failed: $bout"
					before+=("$bout")
				fi
			done
			# the split and RSS of the C round with the best wall figure
			bestline="$(for l in "${ours[@]}"; do echo "$(field emb_per_s "$l") $l"; done |
				sort -g | tail -1 | cut -d' ' -f2-)"
			awk -v c="$ntok/$batch" -v e="$(best emb_per_s "${ours[@]}")" -v t="$(best emb_per_s "${theirs[@]}")" \
				-v ec="$(best emb_per_cpu_s "${ours[@]}")" -v tc="$(best emb_per_cpu_s "${theirs[@]}")" \
				-v g="$(field gflops "$bestline")" -v gc="$(best gflops_per_cpu_s "${ours[@]}")" \
				-v pk="$peak" -v s1="$(field gflops_1cpu "$sg")" \
				-v r="$(best peak_rss_kb "${ours[@]}")" -v tr="$(best peak_rss_kb "${theirs[@]}")" \
				-v sec="$(field seconds "$bestline")" -v tk="$(field tokenize_s "$bestline")" \
				-v li="$(field linear_s "$bestline")" -v at="$(field attention_s "$bestline")" \
				-v sm="$(field softmax_s "$bestline")" -v ot="$(field other_s "$bestline")" \
				-v sy="$(field sync_s "$bestline")" 'BEGIN {
				printf "%-7s | %7.1f %7.1f %5.2f | %9.1f %9.1f %5.2f | %7.1f %4.0f%% %7.1f %4.0f%% | %4.0f %4.0f | %.0f %.0f %.0f %.0f %.0f %.0f\n",
					c, e, t, e / t, ec, tc, ec / tc, g, 100 * g / pk, gc, 100 * gc / s1,
					r / 1024, tr / 1024, 100 * tk / sec, 100 * li / sec, 100 * at / sec,
					100 * sm / sec, 100 * ot / sec, 100 * sy / sec }'
			echo "          spread over $rounds rounds: C/s $(spread emb_per_s "${ours[@]}")," \
				"torch/s $(spread emb_per_s "${theirs[@]}"), C/cpu-s $(spread emb_per_cpu_s "${ours[@]}")," \
				"torch/cpu-s $(spread emb_per_cpu_s "${theirs[@]}")"
			if [ -n "${EMBED_BENCH_BEFORE:-}" ]; then
				echo "          before: $(best emb_per_s "${before[@]}")/s," \
					"$(best emb_per_cpu_s "${before[@]}")/cpu-s"
			fi
		done
	done
done
echo
echo "case = tokens/batch. Best of $rounds rounds each, C and PyTorch alternating;"
echo "PyTorch with OMP_WAIT_POLICY=$torch_wait."
echo "An idle machine gives about emb/cpu-s x $threads; the machine's load shows in the gap."
