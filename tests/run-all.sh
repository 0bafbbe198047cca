#!/bin/bash
# tests/run-all.sh: configure, build and run the whole test suite in a
# separate build directory, then print the automake summary.
#
#   tests/run-all.sh [--sanitizers] [--builddir DIR] [-j N] [-- CONFIGURE-ARGS...]
#
#   --sanitizers   configure with --enable-sanitizers (ASan + UBSan, leak
#                  checking where the kernel allows it); default build dir
#                  build/sanitizers instead of build/check
#   --builddir DIR build there (created if needed)
#   -j N           parallel jobs for make and for the tests (default: nproc)
#
# CFLAGS etc. from the environment reach configure, e.g.
#   CFLAGS="-O2 -g -Werror" tests/run-all.sh
# The source tree itself must not be configured (VPATH builds need a clean
# tree; `make distclean` there first). Exit status: that of `make check`.
set -euo pipefail

srcdir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
builddir=
sanitizers=0
jobs=$(nproc 2>/dev/null || echo 2)
while [ $# -gt 0 ]; do
	case $1 in
	--sanitizers) sanitizers=1 ;;
	--builddir) builddir=${2:?--builddir needs a directory}; shift ;;
	--builddir=*) builddir=${1#*=} ;;
	-j) jobs=${2:?-j needs a number}; shift ;;
	-j*) jobs=${1#-j} ;;
	--) shift; break ;;
	-h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) break ;;
	esac
	shift
done
if [ -z "$builddir" ]; then
	if [ "$sanitizers" -eq 1 ]; then builddir=$srcdir/build/sanitizers
	else builddir=$srcdir/build/check; fi
fi

say() { printf '\n=== %s\n' "$*"; }

# The README's promise: a fresh Debian 12 machine needs nothing else.
if ! bash "$srcdir/scripts/install-deps.sh" --check >/dev/null 2>&1; then
	if [ "$(id -u)" -ne 0 ]; then
		bash "$srcdir/scripts/install-deps.sh" --check >&2 || :
		echo "run-all: packages are missing (above); run as root, or: sudo bash scripts/install-deps.sh" >&2
		exit 2
	fi
	say "installing the missing Debian packages"
	bash "$srcdir/scripts/install-deps.sh" < /dev/null
fi

if [ -f "$srcdir/config.status" ]; then
	echo "run-all: $srcdir is configured in-tree; run 'make distclean' there first" >&2
	exit 2
fi
if [ ! -x "$srcdir/configure" ]; then
	say "autoreconf -fi"
	(cd "$srcdir" && autoreconf -fi)
fi

configure_args=()
if [ "$sanitizers" -eq 1 ]; then
	configure_args+=(--enable-sanitizers)
	# LeakSanitizer needs ptrace-like access to the process; some
	# containers deny it and every test would die with a LeakSanitizer
	# "fatal error". Probe once and only then turn leak checking off.
	probe=$(mktemp -d)
	printf 'int main(void) { return 0; }\n' > "$probe/p.c"
	if ${CC:-cc} -fsanitize=address -o "$probe/p" "$probe/p.c" 2>/dev/null &&
		! ASAN_OPTIONS=detect_leaks=1 "$probe/p" > "$probe/out" 2>&1; then
		echo "run-all: LeakSanitizer does not work here ($(head -n 1 "$probe/out")); leak checking off" >&2
		export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
	fi
	rm -rf "$probe"
fi

mkdir -p "$builddir"
cd "$builddir"
say "configure (in $builddir)"
"$srcdir/configure" "${configure_args[@]}" "$@"
say "make -j$jobs"
make -j"$jobs"
say "make -j$jobs check"
rc=0
make -j"$jobs" check || rc=$?
if [ "$rc" -ne 0 ] && [ -f test-suite.log ]; then
	say "test-suite.log (failures)"
	cat test-suite.log
fi
if [ -f test-suite.log ]; then
	# (Indented, not "# PASS:", so that scripts counting automake summary
	# lines in this output see each run once.)
	say "summary: $builddir/test-suite.log"
	sed -n 's/^# \(TOTAL\|PASS\|SKIP\|XFAIL\|FAIL\|XPASS\|ERROR\):/   \1:/p' test-suite.log
fi
exit "$rc"
