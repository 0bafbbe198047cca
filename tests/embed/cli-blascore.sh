#!/usr/bin/env bash
# OpenBLAS's kernels in the host (plugins/common/blascore.h): when
# OpenBLAS picks kernels narrower than the CPU runs (a generic core on an AVX2/AVX-512
# machine it does not recognise), pulse-host restarts itself with
# OPENBLAS_CORETYPE set; a user's OPENBLAS_CORETYPE stands, and then the
# embed-local provider warns with the remedy; PULSE_HOST_OPENBLAS_AUTO=off
# keeps OpenBLAS's own choice. `embed --stats` shows which core runs.
set -euo pipefail
. "$abs_top_srcdir/tests/embed/lib.sh"

embed_require_torch
embed_node_modules
command -v jq > /dev/null || embed_fail "jq is required"
work="$(mktemp -d "${TMPDIR:-/tmp}/embed-blas.XXXXXX")"
trap 'rm -rf "$work"' EXIT
embed_model "$work/m" small 4
settings="{\"model_dir\": \"$work/m\"}"
# run NAME [VAR=VALUE ...]: embed --stats with only the given OpenBLAS
# variables set; JSON in $work/NAME.json, stderr in $work/NAME.err
run() {
	local name="$1"
	shift
	env -u OPENBLAS_CORETYPE -u PULSE_HOST_OPENBLAS_AUTO "$@" \
		"$PULSE_HOST_BIN" --plugin-dir "$abs_top_builddir/plugins/provider-embed-local/.libs" \
		embed --plugin embed-local --settings "$settings" --stats "a short text" \
		> "$work/$name.json" 2> "$work/$name.err" ||
		embed_fail "$name: embed failed: $(cat "$work/$name.err")"
	jq -e .openblas "$work/$name.json" > /dev/null ||
		embed_fail "$name: no openblas in $(cat "$work/$name.json")"
}
field() { jq -r ".openblas.$2" "$work/$1.json"; }
rank() { case "$1" in sse) echo 0;; avx) echo 1;; avx2) echo 2;; avx512) echo 3;; *) embed_fail "isa '$1'";; esac; }
warned() { grep -c "OPENBLAS_CORETYPE=" "$work/$1.err" || true; }

run off PULSE_HOST_OPENBLAS_AUTO=off
run auto
run user OPENBLAS_CORETYPE=Prescott
cpu="$(field auto cpu)"
echo "cpu $cpu; OpenBLAS alone: $(field off core) ($(field off kernels)); auto: $(field auto core) ($(field auto source))"
[ "$(field off source)" = detected ] || embed_fail "off: source $(field off source)"
[ "$(field off cpu)" = "$cpu" ] || embed_fail "the CPU's ISA changed between runs"

if [ "$(rank "$cpu")" -ge 2 ] && [ "$(rank "$(field off kernels)")" -lt "$(rank "$cpu")" ]; then
	# the case this is for: OpenBLAS alone runs narrower kernels
	want=Haswell
	[ "$cpu" = avx512 ] && want=SkylakeX
	[ "$(field auto core)" = "$want" ] || embed_fail "auto: core $(field auto core), want $want"
	[ "$(field auto source)" = auto ] || embed_fail "auto: source $(field auto source)"
	[ "$(warned off)" -ge 1 ] || embed_fail "off: no warning naming OPENBLAS_CORETYPE: $(cat "$work/off.err")"
	[ -n "$(field off advice)" ] || embed_fail "off: no advice"
	echo "auto: restarted with OPENBLAS_CORETYPE=$want; off: warned"
else
	[ "$(field auto core)" = "$(field off core)" ] || embed_fail "auto changed a core that fits"
	[ "$(field auto source)" = detected ] || embed_fail "auto: source $(field auto source)"
	echo "auto: OpenBLAS's own kernels fit this CPU; left alone"
fi
[ -z "$(field auto advice)" ] || embed_fail "auto: advice left: $(field auto advice)"
[ "$(warned auto)" = 0 ] || embed_fail "auto: warned: $(cat "$work/auto.err")"

# the user's choice stands; the advice follows the CPU
[ "$(field user core)" = Prescott ] || embed_fail "user: core $(field user core)"
[ "$(field user source)" = environment ] || embed_fail "user: source $(field user source)"
if [ "$(rank "$cpu")" -ge 2 ]; then
	[ "$(warned user)" -ge 1 ] || embed_fail "user: Prescott on $cpu without a warning"
	field user advice | grep -c "OPENBLAS_CORETYPE=" > /dev/null || embed_fail "user: advice $(field user advice)"
else
	[ "$(warned user)" = 0 ] || embed_fail "user: warned on a CPU below AVX2"
fi
echo "user: OPENBLAS_CORETYPE=Prescott kept, advice $( [ -n "$(field user advice)" ] && echo given || echo none)"
