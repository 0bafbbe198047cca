#!/bin/bash
# `make install` creates $(localstatedir)/lib/pulse-host with mode 0700
# (issue 11, item 14): without it the first `integration add` of a fresh
# source install failed. Installs only that directory, into a DESTDIR.
set -euo pipefail
D=$(mktemp -d "${TMPDIR:-/tmp}/pulse-inst.XXXXXX")
trap 'rm -rf "$D"' EXIT
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
# A make of our own: under `make check` the parent's MAKEFLAGS would add
# "Entering directory" lines to what we read.
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$abs_top_builddir" --no-print-directory "$@"; }
state=$(mk print-pulsestatedir 2>/dev/null) ||
	fail "no print-pulsestatedir target in the build tree"
mk install-data-local DESTDIR="$D" ||
	fail "make install-data-local failed"
[ -d "$D$state" ] || fail "make install did not create $state"
mode=$(stat -c %a "$D$state")
[ "$mode" = 700 ] || fail "$state has mode $mode, expected 700"
echo ok
