# Test suite (included from the top-level Makefile.am).
#
# `make check` starts ONE private PostgreSQL and ONE private RabbitMQ on free
# loopback ports (tests/harness/servers), runs every test in TESTS with their
# URLs in the environment, and stops them afterwards, also when tests fail.
# See docs/testing.md.
#
# Every test gets in its environment:
#   PULSE_HOST_DATABASE_URL  postgresql://pulse_app:...@127.0.0.1:PORT/pulse
#                            (plain role, owns database "pulse"; RLS applies)
#   PULSE_TEST_PG_ADMIN_URL  superuser URL (CREATE DATABASE / ROLE)
#   PULSE_HOST_BROKER_URL    amqp://guest:guest@127.0.0.1:PORT/%2f
#   PULSE_TEST_PG_DIR, PULSE_TEST_RMQ_DIR, PULSE_TEST_HARNESS_DIR
#                            server directories for tests/harness/lib.sh
#   abs_top_builddir, abs_top_srcdir, srcdir
#   PULSE_HOST_BIN           the built host/pulse-host
# Tests run in parallel (make -j) against the same servers: use your own
# database (pg_create_db) or vhost (rmq_add_vhost) or unique queue names.
# A test that stops or restarts a broker must start its own (lib.sh).
#
# Adding a C (cmocka) test, e.g. tests/unit/test-conf.c:
#
#   check_PROGRAMS += tests/unit/test-conf
#   tests_unit_test_conf_SOURCES = tests/unit/test-conf.c
#   tests_unit_test_conf_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
#   tests_unit_test_conf_LDADD = host/libpulsehost.la $(CMOCKA_LIBS)
#   TESTS += tests/unit/test-conf
#
# Adding a shell test, e.g. tests/integration/foo.sh (bash; exit 0 = PASS,
# 77 = SKIP, 99 = hard error, anything else = FAIL):
#
#   TESTS += tests/integration/foo.sh
#   EXTRA_DIST += tests/integration/foo.sh
#
# and start it with
#
#   set -euo pipefail
#   . "$abs_top_srcdir/tests/harness/lib.sh"    # only if it needs the helpers
#
# Run one test:   make check TESTS=tests/integration/foo.sh
# Keep servers between runs: see tests/harness/servers (PULSE_TEST_HARNESS_ENV).

TEST_EXTENSIONS = .sh
SH_LOG_COMPILER = bash

# Written by the harness for the duration of a run; sourced by every test.
PULSE_TEST_ENV_FILE = tests/harness/servers.env

# Sanitizer settings only matter for a --enable-sanitizers build. Leak
# reports from third-party libraries are suppressed in tests/lsan.supp
# (never our own frames). Values already in the environment win.
AM_TESTS_ENVIRONMENT = \
	abs_top_builddir='$(abs_top_builddir)'; export abs_top_builddir; \
	abs_top_srcdir='$(abs_top_srcdir)'; export abs_top_srcdir; \
	PULSE_HOST_BIN='$(abs_top_builddir)/host/pulse-host$(EXEEXT)'; export PULSE_HOST_BIN; \
	. '$(abs_top_builddir)/$(PULSE_TEST_ENV_FILE)'; \
	ASAN_OPTIONS="$${ASAN_OPTIONS-detect_leaks=1}"; export ASAN_OPTIONS; \
	LSAN_OPTIONS="suppressions=$(abs_top_srcdir)/tests/lsan.supp:print_suppressions=0$${LSAN_OPTIONS:+:$$LSAN_OPTIONS}"; \
	export LSAN_OPTIONS; \
	UBSAN_OPTIONS="$${UBSAN_OPTIONS-print_stacktrace=1:halt_on_error=1}"; export UBSAN_OPTIONS;

# Servers up before the first test log is made, down after the last one
# (logs are made even for failing tests, so teardown always runs). If make
# dies first (^C, kill), the watchdog left by make-up stops them.
# (The summary log is named through our own variable: automake would read
# a rule for "$(TEST_SUITE_LOG)" as overriding its own, while this only adds
# a prerequisite to it.)
PULSE_TEST_SUITE_LOG = $(TEST_SUITE_LOG)
$(TEST_LOGS): pulse-test-servers-up
$(PULSE_TEST_SUITE_LOG): pulse-test-servers-down

pulse-test-servers-up:
	@bash '$(srcdir)/tests/harness/servers' make-up '$(PULSE_TEST_ENV_FILE)' $$PPID

pulse-test-servers-down: $(TEST_LOGS)
	@bash '$(srcdir)/tests/harness/servers' make-down '$(PULSE_TEST_ENV_FILE)'

.PHONY: pulse-test-servers-up pulse-test-servers-down

CLEANFILES += $(PULSE_TEST_ENV_FILE)

EXTRA_DIST += \
	tests/harness/lib.sh \
	tests/harness/servers \
	tests/lsan.supp \
	tests/run-all.sh

# The harness tests itself.
TESTS += \
	tests/integration/harness.sh \
	tests/integration/harness-restart.sh
EXTRA_DIST += \
	tests/integration/harness.sh \
	tests/integration/harness-restart.sh

# Queue (host/queue.c): C checks against real brokers, driven by queue.sh
# (a vhost of its own on the suite broker, plus a private node it restarts).
check_PROGRAMS += tests/unit/test-queue
tests_unit_test_queue_SOURCES = tests/unit/test-queue.c
tests_unit_test_queue_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_queue_LDADD = host/libpulsehost.la $(CMOCKA_LIBS)
check_PROGRAMS += tests/unit/amqp-send
tests_unit_amqp_send_SOURCES = tests/unit/amqp-send.c
tests_unit_amqp_send_CFLAGS = $(AM_CFLAGS) $(RABBITMQ_CFLAGS)
tests_unit_amqp_send_LDADD = $(RABBITMQ_LIBS)
TESTS += tests/integration/queue.sh
EXTRA_DIST += tests/integration/queue.sh

# Workers (host/worker.c, `pulse-host worker`): the outcome policy, then
# real workers on sandbox workloads (each test: own database and vhost;
# the broker restart runs on a node of its own).
check_PROGRAMS += tests/unit/test-worker
tests_unit_test_worker_SOURCES = tests/unit/test-worker.c
tests_unit_test_worker_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_worker_LDADD = host/libpulsehost.la $(CMOCKA_LIBS)
TESTS += \
	tests/unit/test-worker \
	tests/integration/worker-scale.sh \
	tests/integration/worker-kill.sh \
	tests/integration/worker-broker-restart.sh \
	tests/integration/worker-poison.sh
EXTRA_DIST += \
	tests/integration/worker-lib.sh \
	tests/integration/worker-scale.sh \
	tests/integration/worker-kill.sh \
	tests/integration/worker-broker-restart.sh \
	tests/integration/worker-poison.sh

# HTTP service (host/http.c, host/ratelimit.c) against a scripted server
# inside the test: retries, truncation, 401/403/404, rate limits, 304.
check_PROGRAMS += tests/unit/test-http
tests_unit_test_http_SOURCES = tests/unit/test-http.c
tests_unit_test_http_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_http_LDADD = host/libpulsehost.la $(CMOCKA_LIBS) -lpthread
TESTS += tests/unit/test-http

# DORA metrics (host/dora.c, 010_dora.sql): bands and wording in C, the
# figures against a hand-computed dataset in PostgreSQL.
check_PROGRAMS += tests/unit/test-dora
tests_unit_test_dora_SOURCES = tests/unit/test-dora.c
tests_unit_test_dora_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(JSONC_CFLAGS) $(PQ_CFLAGS)
tests_unit_test_dora_LDADD = host/libpulsehost.la $(CMOCKA_LIBS)
TESTS += tests/unit/test-dora tests/integration/dora-golden.sh
EXTRA_DIST += tests/integration/dora-golden.sh tests/fixtures/dora/golden.sql \
	tests/bench/dora-bench.sql

# The GitHub plugin against the GitHub sandbox (tests/sandbox/github, Node):
# full sync vs the sandbox's truth, incremental syncs, rate limits, a bad
# token, truncated responses. Each test runs its own sandbox and database.
TESTS += \
	tests/plugins/github-sync.sh \
	tests/plugins/github-incremental.sh \
	tests/plugins/github-ratelimit.sh \
	tests/plugins/github-badtoken.sh \
	tests/plugins/github-truncated.sh \
	tests/plugins/github-resume.sh
EXTRA_DIST += \
	tests/plugins/github-resume.sh \
	tests/plugins/github-sync.sh \
	tests/plugins/github-incremental.sh \
	tests/plugins/github-ratelimit.sh \
	tests/plugins/github-badtoken.sh \
	tests/plugins/github-truncated.sh \
	tests/plugins/github-lib.sh \
	tests/plugins/github-check.js \
	tests/plugins/github-dump.sql

# Warehouse and single-machine pipeline (db, migrate, crypto, settings,
# record, load, pipeline, runner; plugins/source-sandbox). Each test makes
# and drops a database and app role of its own.
check_PROGRAMS += tests/unit/test-warehouse
tests_unit_test_warehouse_SOURCES = tests/unit/test-warehouse.c
tests_unit_test_warehouse_CFLAGS = $(host_libpulsehost_la_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_warehouse_LDADD = host/libpulsehost.la $(CMOCKA_LIBS)
TESTS += tests/unit/test-warehouse \
	tests/integration/warehouse-migrate-rls.sh \
	tests/integration/warehouse-integrations.sh \
	tests/integration/warehouse-jobrun.sh
EXTRA_DIST += tests/integration/warehouse-lib.sh \
	tests/integration/warehouse-migrate-rls.sh \
	tests/integration/warehouse-integrations.sh \
	tests/integration/warehouse-jobrun.sh

# Orchestrator, daemon, REST API, auth, live progress (host/orchestrator.c,
# jobstate.c, server.c, api.c, auth.c, progress.c). The orchtest plugin
# misbehaves on demand (crash, transient, permanent failures). Each
# integration test makes its own database and runs its own daemon(s) on
# free ports.
check_LTLIBRARIES += tests/plugins/orch/orchtest.la
tests_plugins_orch_orchtest_la_SOURCES = tests/plugins/orch/orchtest.c
tests_plugins_orch_orchtest_la_CFLAGS = $(PLUGIN_CC_FLAGS)
tests_plugins_orch_orchtest_la_LDFLAGS = $(TEST_PLUGIN_LD_FLAGS)
check_PROGRAMS += tests/unit/test-orch
tests_unit_test_orch_SOURCES = tests/unit/test-orch.c
tests_unit_test_orch_CFLAGS = $(host_libpulsehost_la_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_orch_LDADD = host/libpulsehost.la $(CMOCKA_LIBS)
TESTS += tests/unit/test-orch \
	tests/integration/orch-api.sh \
	tests/integration/orch-run.sh \
	tests/integration/orch-kill9.sh \
	tests/integration/orch-lock.sh \
	tests/integration/orch-viewer.sh \
	tests/integration/orch-follow.sh
EXTRA_DIST += tests/integration/orch-lib.sh \
	tests/integration/orch-api.sh \
	tests/integration/orch-run.sh \
	tests/integration/orch-kill9.sh \
	tests/integration/orch-lock.sh \
	tests/integration/orch-viewer.sh \
	tests/integration/orch-follow.sh \
	tests/integration/orch-ws-client.mjs \
	tests/integration/orch-viewer.mjs

# The Jira plugin (plugins/source-jira) and work item mappings
# (host/mapping.c, 030_jira.sql) against the Jira sandbox
# (tests/sandbox/jira, Node): full sync vs the sandbox's truth, incremental
# syncs with deletions, time zones, bad credentials, mappings, rate limits,
# dev-status failures. Each test runs its own sandbox and database. The
# plugin's time-zone code is checked against the C library's in C.
check_PROGRAMS += tests/unit/test-jira-tz
tests_unit_test_jira_tz_SOURCES = tests/unit/test-jira-tz.c \
	plugins/source-jira/tz.c plugins/source-jira/util.c plugins/common/pjson.c
tests_unit_test_jira_tz_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/source-jira \
	-I$(top_srcdir)/plugins/common
tests_unit_test_jira_tz_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(JSONC_CFLAGS)
tests_unit_test_jira_tz_LDADD = $(CMOCKA_LIBS) $(JSONC_LIBS)
TESTS += tests/unit/test-jira-tz \
	tests/plugins/jira-sync.sh \
	tests/plugins/jira-incremental.sh \
	tests/plugins/jira-timezone.sh \
	tests/plugins/jira-badcreds.sh \
	tests/plugins/jira-mapping.sh \
	tests/plugins/jira-ratelimit.sh \
	tests/plugins/jira-devstatus.sh
EXTRA_DIST += tests/plugins/jira-lib.sh tests/plugins/sandbox-lib.sh \
	tests/plugins/jira-check.js \
	tests/plugins/jira-dump.sql \
	tests/plugins/jira-sync.sh \
	tests/plugins/jira-incremental.sh \
	tests/plugins/jira-timezone.sh \
	tests/plugins/jira-badcreds.sh \
	tests/plugins/jira-mapping.sh \
	tests/plugins/jira-ratelimit.sh \
	tests/plugins/jira-devstatus.sh

# The sandboxes (Node): the sources only; npm packages are never shipped
# (tests/sandbox/github/ensure-deps.sh installs them where it can write).
EXTRA_DIST += tests/sandbox
dist-hook: dist-sandbox-clean
dist-sandbox-clean:
	rm -rf $(distdir)/tests/sandbox/github/node_modules \
		$(distdir)/tests/sandbox/github/package-lock.json
.PHONY: dist-sandbox-clean

# The viewer test's npm packages (playwright-core) live in the build tree.
clean-local: clean-node-deps
clean-node-deps:
	-rm -rf tests/node-deps
.PHONY: clean-node-deps
