# tests/harness/browser.sh: what the browser tests need, installed once
# even when several of them start at the same time (make check -j): Debian's
# chromium and npm (apt-get, if missing) and npm packages in a directory of
# the build tree (never committed). One lock serializes the installs: two
# apt-get runs at once fail on dpkg's lock, and two npm installs into one
# directory corrupt it. Sourced after tests/harness/lib.sh.
#
#   browser_deps DIR PKG@VERSION...   sets $chromium; fails the test when
#                                     something cannot be installed
#   browser_copy DIR FILE...          copies test scripts beside DIR's
#                                     node_modules, each by rename: tests
#                                     running at once may be reading them
browser_deps() {
	local dir=$1 lock=${TMPDIR:-/tmp}/pulse-test-browser-deps.lock p missing=0
	shift
	chromium=${PULSE_TEST_CHROMIUM:-/usr/bin/chromium}
	mkdir -p "$dir"
	exec {browser_lock_fd}>"$lock"
	flock -w 900 "$browser_lock_fd" ||
		wh_fail "waited 15 min for another test's browser install ($lock)"
	if [ ! -x "$chromium" ]; then
		apt-get install -y -q chromium >/dev/null 2>&1 || {
			exec {browser_lock_fd}>&-
			wh_fail "chromium is missing and apt-get install chromium failed"
		}
	fi
	if ! command -v npm >/dev/null 2>&1; then
		apt-get install -y -q npm >/dev/null 2>&1 || {
			exec {browser_lock_fd}>&-
			wh_fail "npm is missing and apt-get install npm failed"
		}
	fi
	for p in "$@"; do
		[ -d "$dir/node_modules/${p%@*}" ] || missing=1
	done
	if [ "$missing" -eq 1 ]; then
		(cd "$dir" && npm install --no-package-lock --no-audit --no-fund \
			--silent "$@") >"$dir/npm.log" 2>&1 || {
			cat "$dir/npm.log" >&2
			exec {browser_lock_fd}>&-
			wh_fail "npm install $* failed (in $dir)"
		}
	fi
	exec {browser_lock_fd}>&-
}

browser_copy() {
	local dir=$1 f
	shift
	for f in "$@"; do
		cp "$f" "$dir/$(basename "$f").$$"
		mv -f "$dir/$(basename "$f").$$" "$dir/$(basename "$f")"
	done
}
