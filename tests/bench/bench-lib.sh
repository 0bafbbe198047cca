# tests/bench/bench-lib.sh: set-up shared by the sandbox benchmarks
# (sourced). BENCH_NAME must be set. It exports abs_top_srcdir,
# abs_top_builddir and PULSE_HOST_BIN (defaults: this tree, the current
# directory, its host/pulse-host), and makes sure PULSE_TEST_PG_ADMIN_URL
# points at a PostgreSQL superuser: the suite's when set (`make bench`,
# `make check`), else a private server started here; bench_pg_cleanup
# stops that one (call it at exit).
bench_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export abs_top_srcdir=${abs_top_srcdir:-$(cd "$bench_here/../.." && pwd)}
export abs_top_builddir=${abs_top_builddir:-$PWD}
export PULSE_HOST_BIN=${PULSE_HOST_BIN:-$abs_top_builddir/host/pulse-host}
[ -x "$PULSE_HOST_BIN" ] || {
	echo "$BENCH_NAME: $PULSE_HOST_BIN not built (run from the build directory, or set abs_top_builddir)" >&2
	exit 2
}

bench_own_pg=
if [ -z "${PULSE_TEST_PG_ADMIN_URL:-}" ]; then
	. "$abs_top_srcdir/tests/harness/lib.sh"
	bench_own_pg=$(harness_mktemp)
	pg_start "$bench_own_pg/pg" >&2
	PULSE_TEST_PG_ADMIN_URL=$(pg_admin_url "$bench_own_pg/pg")
	export PULSE_TEST_PG_ADMIN_URL
fi
bench_pg_cleanup() { [ -z "$bench_own_pg" ] || harness_destroy "$bench_own_pg"; }
