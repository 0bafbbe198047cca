#!/bin/bash
# install-deps: install the Debian 12 packages pulse-host needs to build, test,
# package and run its demo. Idempotent and quick when all is present: only
# missing packages are installed (apt-get update runs only then). The list
# is scripts/packages.txt (shared with .ci/run).
#
#   scripts/install-deps.sh [--check]    --check: list what is missing, exit 1 if any
set -euo pipefail

list="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/packages.txt"
[ -r "$list" ] || { echo "install-deps: cannot read $list" >&2; exit 1; }
# one package per line; '#' starts a comment
mapfile -t pkgs < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$list")

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
# Node.js for the sandboxes: any node >= 18 will do; Debian's if none.
if ! command -v node >/dev/null 2>&1; then missing+=(nodejs); fi
if ! command -v npm >/dev/null 2>&1; then missing+=(npm); fi

if [ "${1:-}" = --check ]; then
	[ ${#missing[@]} -eq 0 ] && { echo "install-deps: all present"; exit 0; }
	echo "install-deps: missing: ${missing[*]}"
	exit 1
fi
if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#pkgs[@]} packages present"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}" >&2
	echo "install-deps: run as root (sudo $0) to install them" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Installing the server packages must not leave system-wide servers running
# on the default ports: tests and the demo start private ones. The trap is
# set first, so a failing apt-get still removes the file.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
