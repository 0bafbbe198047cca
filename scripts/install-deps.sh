#!/bin/bash
# install-deps: install the Debian 12 packages pulse-host needs to build, test,
# package and run its demo. Idempotent and quick when all is present: only
# missing packages are installed (apt-get update runs only then).
#
#   scripts/install-deps.sh [--check]    --check: list what is missing, exit 1 if any
set -euo pipefail

pkgs=(
	# build
	build-essential autoconf automake libtool pkg-config
	libcurl4-openssl-dev libpq-dev libjson-c-dev libconfig-dev
	libgcrypt20-dev librabbitmq-dev libwebsockets-dev libcmocka-dev
	libopenblas-dev libutf8proc-dev
	# private servers for tests and the demo
	postgresql rabbitmq-server
	# sandboxes, test tooling
	curl python3 iproute2 procps psmisc time
	python3-torch python3-numpy
	# packaging
	debhelper devscripts lintian dpkg-dev fakeroot
)

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
# on the default ports: tests and the demo start private ones.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
