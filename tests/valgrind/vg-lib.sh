# tests/valgrind/vg-lib.sh: the valgrind memcheck wrapper shared by the
# `make check-valgrind` scripts (sourced, not a test). Each script sources
# its connector's test lib first (which sets B=$PULSE_HOST_BIN), then:
#
#   vg_setup DIR        write DIR/vg, a wrapper that runs the real binary
#                       under memcheck; sets VG (the wrapper) and VG_REAL
#   vg_check LABEL RC RUNLOG   after a run through $VG: fail the test
#                       unless it exited 0 with zero memcheck errors and
#                       zero definitely lost bytes
#
# Safe in parallel: every log is in the script's own temp DIR, named by
# pid, and the gdbserver FIFOs (shared /tmp) are off (--vgdb=no).
# Errors count definite leaks (--errors-for-leak-kinds=definite); "possibly
# lost" and still-reachable blocks (library caches) are not counted.

vg_log() { printf '%s %s: %s\n' "$(date +%T)" "${VG_NAME:-valgrind}" "$*" >&2; }
vg_fail() { vg_log "FAIL: $*"; exit 1; }

vg_setup() {
	VG_DIR=$1
	VG_REAL=$PULSE_HOST_BIN
	VG="$VG_DIR/vg"
	command -v valgrind >/dev/null || vg_fail "valgrind is not installed (apt-get install valgrind)"
	# The suppressions are library-internal noise only (see the file).
	# PULSE_HOST_OPENBLAS_AUTO=off: the host may exec itself again to pick
	# OpenBLAS kernels (docs/embeddings.md), and memcheck does not follow
	# an exec, so the run would go unchecked.
	cat > "$VG" <<-VG
	#!/bin/sh
	PULSE_HOST_OPENBLAS_AUTO=off
	export PULSE_HOST_OPENBLAS_AUTO
	exec valgrind --tool=memcheck --leak-check=full --errors-for-leak-kinds=definite \\
		--show-leak-kinds=definite --error-exitcode=99 --num-callers=30 --vgdb=no \\
		--suppressions="$abs_top_srcdir/tests/valgrind/vg.supp" \\
		--log-file="$VG_DIR/vg.%p.log" "$VG_REAL" "\$@"
	VG
	chmod +x "$VG"
	rm -f "$VG_DIR"/vg.*.log
}

# vg_check LABEL RC RUNLOG: judge the memcheck logs written since the last
# check (one per process run through $VG), then clear them.
vg_check() {
	local label=$1 rc=$2 runlog=$3 log n=0
	for log in "$VG_DIR"/vg.*.log; do
		[ -e "$log" ] || continue
		n=$((n + 1))
		if [ "$rc" -ne 0 ]; then
			cat "$runlog" "$log" >&2
			vg_fail "$label: the run under memcheck exited $rc (99: memcheck errors)"
		fi
		grep -q "ERROR SUMMARY: 0 errors" "$log" || { cat "$log" >&2; vg_fail "$label: memcheck errors"; }
		if grep -q "definitely lost: [1-9]" "$log"; then
			cat "$log" >&2
			vg_fail "$label: definite leaks"
		fi
		vg_log "ok: $label under memcheck: $(grep -o 'ERROR SUMMARY: [0-9]* errors' "$log"), $(grep -o 'definitely lost: [0-9,]* bytes' "$log" || echo 'no leaks')"
	done
	[ "$n" -ge 1 ] || { cat "$runlog" >&2; vg_fail "$label: no memcheck log (did the run go through $VG?)"; }
	[ "$rc" -eq 0 ] || { cat "$runlog" >&2; vg_fail "$label: the run exited $rc"; }
	rm -f "$VG_DIR"/vg.*.log
}
