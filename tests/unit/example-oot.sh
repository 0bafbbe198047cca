#!/bin/bash
# example-oot: the SDK example builds out of tree with nothing but the
# installed SDK (headers + pulse-host-plugin.pc) and a plain Makefile, and
# the resulting module loads into the host.
set -euo pipefail
bin=${PULSE_HOST_BIN:?}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# A private "installation" of the SDK, as make install would lay it out.
make -s -C "$abs_top_builddir" install-pulsehostincludeHEADERS install-pkgconfigDATA \
	DESTDIR="$dir/root" prefix=/usr >/dev/null
pc="$dir/root/usr/lib/pkgconfig"
test -f "$pc/pulse-host-plugin.pc" || pc=$(dirname "$(find "$dir/root" -name pulse-host-plugin.pc)")
# Point the .pc at the staged root (a real install needs none of this).
sed -i "s|^prefix=.*|prefix=$dir/root/usr|" "$pc/pulse-host-plugin.pc"
# pkg-config's ABI version is the header's (configure reads plugin.h).
hdr() { sed -n "s/^#define $1 //p" "$abs_top_srcdir/sdk/include/pulse-host/plugin.h"; }
test "$(PKG_CONFIG_PATH=$pc pkg-config --variable=abi_major pulse-host-plugin)" = "$(hdr PULSE_ABI_MAJOR)"
test "$(PKG_CONFIG_PATH=$pc pkg-config --variable=abi_minor pulse-host-plugin)" = "$(hdr PULSE_ABI_MINOR)"
cp -r "$abs_top_srcdir/sdk/examples/example-source" "$dir/src"
chmod -R u+w "$dir/src"
PKG_CONFIG_PATH=$pc make -s -C "$dir/src" NAME=oot-example CFLAGS="-O2 -Werror"
mkdir "$dir/plugins"
cp "$dir/src/oot-example.so" "$dir/plugins/"
"$bin" --plugin-dir "$dir/plugins" plugins | tee "$dir/out"
grep -Eq "^oot-example +source +1\.0\.0 +$(hdr PULSE_ABI_MAJOR)\.$(hdr PULSE_ABI_MINOR) +loaded" "$dir/out"
# Only the entry point is exported.
exported=$(nm -D --defined-only "$dir/plugins/oot-example.so" | awk '$2=="T"{print $3}')
test "$exported" = pulse_plugin_entry_v1
echo "ok - out-of-tree example loads"
