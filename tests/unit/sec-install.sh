#!/bin/bash
# `make install` creates $(localstatedir)/lib/pulse-host with mode 0700
# (issue 11, item 14): without it the first `integration add` of a fresh
# source install failed. Installs only that directory, into a DESTDIR.
# And the sandbox plugin (testing only; it grows jobs as large as asked)
# is never installed into the production plugin directory, by `make
# install` nor by the Debian package (issue 11, item 5).
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

plugindir=$(mk print-plugindirs 2>/dev/null | sed -n 's/^plugindir=//p')
testplugindir=$(mk print-plugindirs 2>/dev/null | sed -n 's/^testplugindir=//p')
[ -n "$plugindir" ] && [ -n "$testplugindir" ] ||
	fail "no print-plugindirs target (plugindir, testplugindir) in the build tree"
[ "$plugindir" != "$testplugindir" ] || fail "testing plugins install into the production plugin directory"
mk install-pluginLTLIBRARIES install-testpluginLTLIBRARIES DESTDIR="$D" >/dev/null ||
	fail "make install of the plugins failed"
[ ! -e "$D$plugindir/sandbox.so" ] || fail "make install put sandbox.so into $plugindir"
[ -e "$D$testplugindir/sandbox.so" ] || fail "make install did not put sandbox.so into $testplugindir"
[ -e "$D$plugindir/example.so" ] || fail "make install did not install the production plugins into $plugindir"
inst=$abs_top_srcdir/packaging/debian/pulse-host-plugin-sandbox.install
[ -f "$inst" ] || fail "no $inst: the sandbox must have its own package"
if grep -q '/pulse-host/plugins/' "$inst"; then fail "$inst installs into the production plugin directory"; fi
grep -q '/pulse-host/plugins-testing/sandbox.so' "$inst" || fail "$inst does not install sandbox.so into plugins-testing"
grep -A12 '^Package: pulse-host-plugin-sandbox' "$abs_top_srcdir/packaging/debian/control" |
	grep -q 'testing only' || fail "packaging/debian/control does not mark pulse-host-plugin-sandbox as testing only"
if grep -E '^ *(Depends|Recommends|Pre-Depends):' -A8 "$abs_top_srcdir/packaging/debian/control" |
	grep -q 'pulse-host-plugin-sandbox'; then
	fail "a package depends on or recommends pulse-host-plugin-sandbox; it must not be installed by default"
fi
echo ok
