#!/usr/bin/env bash
# ensure-deps.sh DIR: make the npm peers of the embed-local tests (pinned
# in package.json next to this script) present in DIR/node_modules, DIR
# being a folder of the build tree; prints that node_modules folder.
# Idempotent and quiet when everything is in place; fails (never skips)
# with the reason on stderr when node, npm or the registry is missing.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir=$1
say() { printf 'embed deps: %s\n' "$*" >&2; }

for tool in node npm; do
	command -v "$tool" >/dev/null 2>&1 ||
		{ say "$tool not found: install Debian's nodejs and npm (scripts/install-deps.sh)"; exit 1; }
done

# Prints what is missing or not at the pinned version; status 1 if any.
check_installed() {
	node - "$here/package.json" "$1" <<'JS'
const fs = require("fs"), path = require("path");
const want = JSON.parse(fs.readFileSync(process.argv[2], "utf8")).dependencies;
const bad = [];
for (const [name, version] of Object.entries(want)) {
  let have = null;
  try {
    have = JSON.parse(fs.readFileSync(path.join(process.argv[3], "node_modules",
      ...name.split("/"), "package.json"), "utf8")).version;
  } catch (e) { have = null; }
  if (have !== version) bad.push(`${name}: want ${version}, have ${have || "none"}`);
}
if (bad.length) { console.log(bad.join("; ")); process.exit(1); }
JS
}

mkdir -p "$dir"
if reason="$(check_installed "$dir")"; then
	printf '%s\n' "$dir/node_modules"
	exit 0
fi
# The embed tests start in parallel: one npm install at a time.
exec 9>"$dir/.lock"
flock 9
if ! reason="$(check_installed "$dir")"; then
	say "npm install in $dir ($reason)"
	cp "$here/package.json" "$dir/package.json"
	(cd "$dir" && npm install --no-package-lock --no-audit --no-fund --loglevel=error >&2) ||
		{ say "npm install failed; the tokenizer parity test needs the registry once"; exit 1; }
	reason="$(check_installed "$dir")" ||
		{ say "npm install did not give the pinned versions: $reason"; exit 1; }
fi
printf '%s\n' "$dir/node_modules"
