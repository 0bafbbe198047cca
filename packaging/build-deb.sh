#!/bin/bash
# packaging/build-deb.sh TARBALL [OUTDIR]: build the Debian binary packages
# from a `make dist` tarball. `make deb` runs it.
#
# dpkg-buildpackage wants debian/ at the top of the source tree; ours lives
# in packaging/debian so the tree stays free of packaging. The tarball is
# unpacked in a temporary directory, packaging/debian is copied to debian/
# there, and the .deb, .changes and .buildinfo files land in OUTDIR
# (default: the current directory).
#
# DEB_BUILD_OPTIONS=nocheck skips the test suite (and, via the nocheck
# build profile, its PostgreSQL/RabbitMQ build dependencies).
set -euo pipefail

tarball=${1:?usage: build-deb.sh TARBALL [OUTDIR]}
out=${2:-.}
tarball=$(cd "$(dirname "$tarball")" && pwd)/$(basename "$tarball")
mkdir -p "$out"
out=$(cd "$out" && pwd)

work=$(mktemp -d "${TMPDIR:-/tmp}/pulse-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
tar -xzf "$tarball" -C "$work"
top=$(find "$work" -mindepth 1 -maxdepth 1 -type d)
[ -d "$top/packaging/debian" ] || { echo "build-deb: $tarball has no packaging/debian" >&2; exit 1; }
cp -a "$top/packaging/debian" "$top/debian"

# The package version is the upstream version (native package).
upstream=$(basename "$top"); upstream=${upstream#pulse-host-}
deb_version=$(cd "$top" && dpkg-parsechangelog -S Version)
if [ "$deb_version" != "$upstream" ]; then
	echo "build-deb: packaging/debian/changelog says $deb_version but the source is $upstream;" \
		"add a changelog entry (dch -v $upstream)" >&2
	exit 1
fi

args=(-us -uc -b)
case " ${DEB_BUILD_OPTIONS:-} " in *" nocheck "*) args+=(-Pnocheck) ;; esac
(cd "$top" && dpkg-buildpackage "${args[@]}")

find "$work" -maxdepth 1 -type f \( -name '*.deb' -o -name '*.changes' -o -name '*.buildinfo' \) \
	-exec mv -f {} "$out"/ \;
ls -1 "$out"/*.deb
