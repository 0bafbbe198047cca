#!/usr/bin/env bash
# ensure-deps.sh: make the GitHub sandbox runnable.
#
#  1. Installs Debian's nodejs and npm when `node` or `npm` is missing
#     (needs root or sudo; apt-get update runs first).
#  2. Runs `npm install` into this folder's node_modules when it is missing
#     or does not hold exactly the versions pinned in package.json. When
#     this folder is read-only (a `make distcheck` tree), the packages go to
#     $PULSE_SANDBOX_DEPS_DIR (default: a per-user folder under $TMPDIR).
#  3. Prints the node_modules folder that holds them: run the sandbox with
#     NODE_PATH set to it.
#
# Idempotent and quiet when everything is in place. Exit status non-zero on
# failure, with the reason on stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
say() { printf 'github-sandbox deps: %s\n' "$*" >&2; }

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	sudo=""
	if [ "$(id -u)" -ne 0 ]; then
		if command -v sudo >/dev/null 2>&1; then
			sudo="sudo"
		else
			say "node/npm missing and not root (no sudo): install Debian's nodejs and npm"
			exit 1
		fi
	fi
	say "installing Debian packages nodejs and npm"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	$sudo apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi

major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$major" -lt 18 ]; then
	say "node $(node --version) is too old; the sandbox needs Node.js 18 or newer"
	exit 1
fi

# Are the pinned versions installed? (prints what is missing or different)
check_installed() {
	node - "$1" <<'EOF'
const fs = require('fs');
const path = require('path');
const dir = process.argv[2];
const want = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).dependencies || {};
const bad = [];
for (const [name, version] of Object.entries(want)) {
  const p = path.join(dir, 'node_modules', ...name.split('/'), 'package.json');
  let have = null;
  try { have = JSON.parse(fs.readFileSync(p, 'utf8')).version; } catch (e) { have = null; }
  if (have !== version) bad.push(`${name}: want ${version}, have ${have || 'none'}`);
}
if (!fs.existsSync(path.join(dir, 'node_modules', '@octokit', 'graphql-schema', 'schema.graphql'))) {
  bad.push('@octokit/graphql-schema/schema.graphql missing');
}
if (bad.length) { console.log(bad.join('; ')); process.exit(1); }
EOF
}

if reason="$(check_installed "$here")"; then
	printf '%s\n' "$here/node_modules"
	exit 0
fi
# Tests start in parallel: one npm install at a time, the others wait.
exec 9>"${TMPDIR:-/tmp}/pulse-github-sandbox-deps-$(id -u).lock"
flock 9
if reason="$(check_installed "$here")"; then
	printf '%s\n' "$here/node_modules"
	exit 0
fi
dir=$here
if [ ! -w "$here" ]; then
	dir=${PULSE_SANDBOX_DEPS_DIR:-${TMPDIR:-/tmp}/pulse-github-sandbox-deps-$(id -u)}
	mkdir -p "$dir"
	cp "$here/package.json" "$dir/package.json"
	if reason="$(check_installed "$dir")"; then
		printf '%s\n' "$dir/node_modules"
		exit 0
	fi
fi
say "npm install in $dir (${reason})"
(
	cd "$dir"
	npm install --no-package-lock --no-audit --no-fund --loglevel=error >&2
)
if ! reason="$(check_installed "$dir")"; then
	say "npm install did not produce the pinned versions: ${reason}"
	exit 1
fi
printf '%s\n' "$dir/node_modules"
