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
# Adding a shell test, e.g. tests/db/foo.sh (bash; exit 0 = PASS,
# 77 = SKIP, 99 = hard error, anything else = FAIL):
#
#   TESTS += tests/db/foo.sh
#   EXTRA_DIST += tests/db/foo.sh
#
# and start it with
#
#   set -euo pipefail
#   . "$abs_top_srcdir/tests/harness/lib.sh"    # only if it needs the helpers
#
# Run one test:   make check TESTS=tests/db/foo.sh
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
	tests/harness/browser.sh \
	tests/harness/servers \
	tests/lsan.supp \
	tests/run-all.sh

# The harness tests itself.
TESTS += \
	tests/harness/selftest.sh \
	tests/harness/selftest-restart.sh
EXTRA_DIST += \
	tests/harness/selftest.sh \
	tests/harness/selftest-restart.sh

# Queue (host/queue/queue.c): C checks against real brokers, driven by queue.sh
# (a vhost of its own on the suite broker, plus a private node it restarts).
check_PROGRAMS += tests/broker/test-queue
tests_broker_test_queue_SOURCES = tests/broker/test-queue.c
tests_broker_test_queue_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_broker_test_queue_LDADD = host/libpulsehost.la $(CMOCKA_LIBS)
check_PROGRAMS += tests/broker/amqp-send
tests_broker_amqp_send_SOURCES = tests/broker/amqp-send.c
tests_broker_amqp_send_CFLAGS = $(AM_CFLAGS) $(RABBITMQ_CFLAGS)
tests_broker_amqp_send_LDADD = $(RABBITMQ_LIBS)
TESTS += tests/broker/queue.sh
EXTRA_DIST += tests/broker/queue.sh

# Workers (host/queue/worker.c, `pulse-host worker`): the outcome policy, then
# real workers on sandbox workloads (each test: own database and vhost;
# the broker restart runs on a node of its own).
check_PROGRAMS += tests/unit/test-worker
tests_unit_test_worker_SOURCES = tests/unit/test-worker.c
tests_unit_test_worker_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_worker_LDADD = host/libpulsehost.la $(CMOCKA_LIBS)
TESTS += \
	tests/unit/test-worker \
	tests/broker/worker-scale.sh \
	tests/broker/worker-kill.sh \
	tests/broker/worker-broker-restart.sh \
	tests/broker/worker-poison.sh
EXTRA_DIST += \
	tests/broker/worker-lib.sh \
	tests/broker/worker-scale.sh \
	tests/broker/worker-kill.sh \
	tests/broker/worker-broker-restart.sh \
	tests/broker/worker-poison.sh
# The claim path names the partition (created_at in the messages).
TESTS += tests/broker/worker-partition.sh
EXTRA_DIST += tests/broker/worker-partition.sh

# HTTP service (host/http/) against a scripted server inside the test:
# retries, truncation, 401/403/404, rate limits, 304, the request guard.
check_PROGRAMS += tests/unit/test-http
tests_unit_test_http_SOURCES = tests/unit/test-http.c
tests_unit_test_http_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_http_LDADD = host/libpulsehost.la $(CMOCKA_LIBS) -lpthread
TESTS += tests/unit/test-http

# The HTTP status -> action policy and the internal address ranges
# (host/http/http_policy.c): pure, no server.
check_PROGRAMS += tests/unit/test-http-policy
tests_unit_test_http_policy_SOURCES = tests/unit/test-http-policy.c
tests_unit_test_http_policy_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_http_policy_LDADD = host/libpulsehost.la $(CMOCKA_LIBS)
TESTS += tests/unit/test-http-policy

# DORA metrics (host/analytics/dora.c, 010_dora.sql): bands and wording in C, the
# figures against a hand-computed dataset in PostgreSQL.
check_PROGRAMS += tests/db/test-dora
tests_db_test_dora_SOURCES = tests/db/test-dora.c
tests_db_test_dora_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(JSONC_CFLAGS) $(PQ_CFLAGS)
tests_db_test_dora_LDADD = host/libpulsehost.la $(CMOCKA_LIBS)
TESTS += tests/db/test-dora tests/db/dora-golden.sh
EXTRA_DIST += tests/db/dora-golden.sh tests/fixtures/dora/golden.sql \
	tests/bench/dora-bench.sql

# The GitHub plugin against the GitHub sandbox (tests/sandbox/github, Node):
# full sync vs the sandbox's truth, incremental syncs, rate limits, a bad
# token, truncated responses, a base_url on a host that is not allowed.
# Each test runs its own sandbox and database.
TESTS += \
	tests/connectors/github-ssrf.sh \
	tests/connectors/github-sync.sh \
	tests/connectors/github-incremental.sh \
	tests/connectors/github-ratelimit.sh \
	tests/connectors/github-badtoken.sh \
	tests/connectors/github-truncated.sh \
	tests/connectors/github-resume.sh
EXTRA_DIST += \
	tests/connectors/github-ssrf.sh \
	tests/connectors/github-resume.sh \
	tests/connectors/github-sync.sh \
	tests/connectors/github-incremental.sh \
	tests/connectors/github-ratelimit.sh \
	tests/connectors/github-badtoken.sh \
	tests/connectors/github-truncated.sh \
	tests/connectors/github-lib.sh \
	tests/connectors/github-check.js \
	tests/connectors/github-links.js \
	tests/connectors/github-dump.sql

# Warehouse and single-machine pipeline (db, migrate, crypto, settings,
# record, load, pipeline, runner; plugins/source-sandbox). Each test makes
# and drops a database and app role of its own.
check_PROGRAMS += tests/db/test-warehouse
tests_db_test_warehouse_SOURCES = tests/db/test-warehouse.c
tests_db_test_warehouse_CFLAGS = $(host_libpulsehost_la_CFLAGS) $(CMOCKA_CFLAGS)
tests_db_test_warehouse_LDADD = host/libpulsehost.la $(CMOCKA_LIBS)
TESTS += tests/db/test-warehouse \
	tests/db/warehouse-migrate-rls.sh \
	tests/db/warehouse-integrations.sh \
	tests/db/warehouse-jobrun.sh
EXTRA_DIST += tests/db/warehouse-lib.sh \
	tests/db/warehouse-migrate-rls.sh \
	tests/db/warehouse-integrations.sh \
	tests/db/warehouse-jobrun.sh

# Raw ledger partitions and housekeeping (080_raw_partitions.sql,
# host/housekeeping/): conversion of a populated database.
TESTS += tests/db/raw-partition-migrate.sh tests/db/housekeeping.sh \
	tests/db/job-deps-force.sh
EXTRA_DIST += tests/db/raw-partition-migrate.sh tests/db/housekeeping.sh \
	tests/db/job-deps-force.sh

# Orchestrator, daemon, REST API, auth, live progress (host/jobs/orchestrator.c,
# jobstate.c, server.c, api.c, auth.c, progress.c). The orchtest plugin
# misbehaves on demand (crash, transient, permanent failures). Each
# integration test makes its own database and runs its own daemon(s) on
# free ports.
check_LTLIBRARIES += tests/fixtures/plugins/orch/orchtest.la
tests_fixtures_plugins_orch_orchtest_la_SOURCES = tests/fixtures/plugins/orch/orchtest.c
tests_fixtures_plugins_orch_orchtest_la_CFLAGS = $(PLUGIN_CC_FLAGS)
tests_fixtures_plugins_orch_orchtest_la_LDFLAGS = $(TEST_PLUGIN_LD_FLAGS)
check_PROGRAMS += tests/unit/test-orch
tests_unit_test_orch_SOURCES = tests/unit/test-orch.c
tests_unit_test_orch_CFLAGS = $(host_libpulsehost_la_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_orch_LDADD = host/libpulsehost.la $(CMOCKA_LIBS)
TESTS += tests/unit/test-orch \
	tests/daemon/orch-api.sh \
	tests/daemon/orch-run.sh \
	tests/daemon/orch-kill9.sh \
	tests/daemon/orch-lock.sh \
	tests/daemon/orch-reap-gap.sh \
	tests/daemon/orch-viewer.sh \
	tests/daemon/orch-follow.sh \
	tests/daemon/orch-loop-db.sh
EXTRA_DIST += tests/daemon/orch-lib.sh \
	tests/daemon/orch-api.sh \
	tests/daemon/orch-run.sh \
	tests/daemon/orch-kill9.sh \
	tests/daemon/orch-lock.sh \
	tests/daemon/orch-reap-gap.sh \
	tests/daemon/orch-viewer.sh \
	tests/daemon/orch-follow.sh \
	tests/daemon/orch-loop-db.sh \
	tests/daemon/orch-ws-client.mjs \
	tests/daemon/orch-viewer.mjs

# The connector kit (plugins/common) both source plugins are built on:
# ISO-8601 times against the C library over generated inputs, id sets,
# and the paging state of each paging style.
check_PROGRAMS += tests/unit/test-kit-time tests/unit/test-kit
tests_unit_test_kit_time_SOURCES = tests/unit/test-kit-time.c \
	plugins/common/kit_time.c plugins/common/kit_time.h
tests_unit_test_kit_time_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/common
tests_unit_test_kit_time_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_kit_time_LDADD = $(CMOCKA_LIBS)
tests_unit_test_kit_SOURCES = tests/unit/test-kit.c \
	plugins/common/kit_ids.c plugins/common/kit_ids.h \
	plugins/common/kit_paging.c plugins/common/kit_paging.h
tests_unit_test_kit_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/common
tests_unit_test_kit_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_kit_LDADD = $(CMOCKA_LIBS)
TESTS += tests/unit/test-kit-time tests/unit/test-kit

# The guard in front of regcomp for REGEX settings (settings_regex.c).
check_PROGRAMS += tests/unit/test-settings-regex
tests_unit_test_settings_regex_SOURCES = tests/unit/test-settings-regex.c
tests_unit_test_settings_regex_CFLAGS = $(host_libpulsehost_la_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_settings_regex_LDADD = host/libpulsehost.la $(CMOCKA_LIBS)
TESTS += tests/unit/test-settings-regex

# The Jira plugin (plugins/source-jira) and work item mappings
# (host/model/mapping.c, 030_jira.sql) against the Jira sandbox
# (tests/sandbox/jira, Node): full sync vs the sandbox's truth, incremental
# syncs with deletions, time zones, bad credentials, mappings, rate limits,
# dev-status failures. Each test runs its own sandbox and database. The
# plugin's time-zone code is checked against the C library's in C.
check_PROGRAMS += tests/unit/test-jira-tz
tests_unit_test_jira_tz_SOURCES = tests/unit/test-jira-tz.c \
	plugins/source-jira/tz.c plugins/common/kit_time.c plugins/common/kit_ids.c \
	plugins/common/pjson.c
tests_unit_test_jira_tz_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/source-jira \
	-I$(top_srcdir)/plugins/common
tests_unit_test_jira_tz_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(JSONC_CFLAGS)
tests_unit_test_jira_tz_LDADD = $(CMOCKA_LIBS) $(JSONC_LIBS)
TESTS += tests/unit/test-jira-tz \
	tests/connectors/jira-sync.sh \
	tests/connectors/jira-incremental.sh \
	tests/connectors/jira-timezone.sh \
	tests/connectors/jira-badcreds.sh \
	tests/connectors/jira-mapping.sh \
	tests/connectors/jira-ratelimit.sh \
	tests/connectors/jira-devstatus.sh \
	tests/connectors/jira-deletions.sh \
	tests/connectors/jira-devsummary.sh
EXTRA_DIST += tests/connectors/jira-lib.sh tests/connectors/sandbox-lib.sh \
	tests/connectors/jira-check.js \
	tests/connectors/jira-dump.sql \
	tests/connectors/jira-sync.sh \
	tests/connectors/jira-incremental.sh \
	tests/connectors/jira-timezone.sh \
	tests/connectors/jira-badcreds.sh \
	tests/connectors/jira-mapping.sh \
	tests/connectors/jira-ratelimit.sh \
	tests/connectors/jira-devstatus.sh \
	tests/connectors/jira-deletions.sh \
	tests/connectors/jira-devsummary.sh

# The sandboxes (Node): the sources only; npm packages are never shipped
# (tests/sandbox/github/ensure-deps.sh installs them where it can write).
EXTRA_DIST += tests/sandbox
dist-hook: dist-sandbox-clean
dist-sandbox-clean:
	rm -rf $(distdir)/tests/sandbox/github/node_modules \
		$(distdir)/tests/sandbox/github/package-lock.json
.PHONY: dist-sandbox-clean

# The browser tests' npm packages and screenshots live in the build tree.
clean-local: clean-node-deps
clean-node-deps:
	-rm -rf tests/node-deps tests/node-deps-oidc tests/console-shots
.PHONY: clean-node-deps

# The tree's shape: no include cycles, one writer of job state.
TESTS += tests/unit/structure.sh
EXTRA_DIST += tests/unit/structure.sh scripts/include-cycles.py

# The AI router (host/ai) and the gateway plugins against a private
# PostgreSQL and two OpenAI sandboxes (tests/sandbox/openai, Node): the
# error policy row by row on a test clock, fallback chains, cooldown,
# reordering, dimensions, big batches, routing validation, usage rows,
# cost and tenant isolation. lexical-local is a test-only local embedder.
check_LTLIBRARIES += tests/ai/lexical-local.la
tests_ai_lexical_local_la_SOURCES = tests/ai/lexical-local.c
tests_ai_lexical_local_la_CFLAGS = $(PLUGIN_CC_FLAGS)
tests_ai_lexical_local_la_LDFLAGS = $(TEST_PLUGIN_LD_FLAGS)
tests_ai_lexical_local_la_LIBADD = -lm
check_PROGRAMS += tests/ai/test-route
tests_ai_test_route_SOURCES = tests/ai/test-route.c tests/ai/route_fixture.c \
	tests/ai/route_fixture.h
tests_ai_test_route_CFLAGS = $(host_libpulsehost_la_CFLAGS) $(CMOCKA_CFLAGS)
tests_ai_test_route_LDADD = host/libpulsehost.la $(CMOCKA_LIBS) -lm
TESTS += tests/ai/test-route
check_PROGRAMS += tests/ai/test-route-policy
tests_ai_test_route_policy_SOURCES = tests/ai/test-route-policy.c \
	tests/ai/route_fixture.c tests/ai/route_fixture.h
tests_ai_test_route_policy_CFLAGS = $(host_libpulsehost_la_CFLAGS) $(CMOCKA_CFLAGS)
tests_ai_test_route_policy_LDADD = host/libpulsehost.la $(CMOCKA_LIBS) -lm
TESTS += tests/ai/test-route-policy
TESTS += tests/ai/cli-ai.sh
EXTRA_DIST += tests/ai/cli-ai.sh tests/ai/openai-lib.sh

# The embedded vector store (host/ai/pgvectors*.c, 060_vectors.sql): exact
# k-NN vs brute force, cache invalidation, tenant isolation, forced RLS.
check_PROGRAMS += tests/db/pgv-tool
tests_db_pgv_tool_SOURCES = tests/db/pgv-tool.c tests/db/pgv-check.h
tests_db_pgv_tool_CFLAGS = $(host_libpulsehost_la_CFLAGS)
tests_db_pgv_tool_LDADD = host/libpulsehost.la -lm
TESTS += tests/db/pgvectors.sh
EXTRA_DIST += tests/db/pgvectors.sh

# Vectorization and semantic search (host/ai/vectorize*.c, search.c) with
# the OpenAI sandbox's lexical embeddings (tests/sandbox/openai).
TESTS += tests/ai/vectorize.sh tests/ai/isolation.sh
EXTRA_DIST += tests/ai/vectorize.sh tests/ai/vectors-lib.sh tests/ai/isolation.sh

# The qdrant vector store (plugins/provider-qdrant) against the Qdrant
# sandbox (tests/sandbox/qdrant, Node): collection and is_tenant index
# order, ids, deletes, every error row, the tenant condition on every
# query and delete; and isolation.sh again with qdrant as the store.
check_PROGRAMS += tests/ai/test-qdrant-wire
tests_ai_test_qdrant_wire_SOURCES = tests/ai/test-qdrant-wire.c
tests_ai_test_qdrant_wire_CFLAGS = $(host_libpulsehost_la_CFLAGS) $(CMOCKA_CFLAGS)
tests_ai_test_qdrant_wire_LDADD = plugins/provider-qdrant/libqdrant.la \
	host/libpulsehost.la $(CMOCKA_LIBS)
TESTS += tests/ai/test-qdrant-wire tests/ai/qdrant.sh tests/ai/qdrant-isolation.sh
EXTRA_DIST += tests/ai/qdrant.sh tests/ai/qdrant-isolation.sh tests/ai/qdrant-lib.sh

# The housekeeping system job, ai_usage retention, checks, stats, force
# operations and failed prerequisites (083_housekeeping_job.sql,
# host/jobs/sysjob.c, jobforce.c, host/housekeeping/hk_steps.c).
TESTS += tests/db/housekeeping-job.sh tests/db/job-force-ops.sh \
	tests/daemon/orch-housekeeping.sh
EXTRA_DIST += tests/db/housekeeping-job.sh tests/db/job-force-ops.sh \
	tests/daemon/orch-housekeeping.sh

# GET /api/v1/ai/*, anomalies, and the AI settings guard (docs/ai.md).
TESTS += tests/ai/api-ai.sh
EXTRA_DIST += tests/ai/api-ai.sh

# The vectorize worker role (host/queue/vzworker.c), in-process and with
# RabbitMQ; the "vectorization" WebSocket channel; end to end from a
# GitHub + Jira sandbox sync to a search.
TESTS += tests/ai/vectorize-worker.sh tests/ai/vectorize-ws.sh tests/ai/vectorize-e2e.sh
EXTRA_DIST += tests/ai/vectorize-worker.sh tests/ai/vectorize-ws.sh tests/ai/vectorize-e2e.sh \
	tests/ai/vectorize-ws-client.mjs

# The Active Directory source (plugins/source-ad) against a real directory
# server: slapd with an AD-like schema (tests/harness/ldap.sh), seeded by
# tests/connectors/ad-gen.py, and Samba's AD domain controller
# (tests/harness/samba.sh, seeded by tests/connectors/ad-samba.py); the
# value conversions in C.
check_PROGRAMS += tests/unit/test-ad-values
tests_unit_test_ad_values_SOURCES = tests/unit/test-ad-values.c \
	plugins/source-ad/values.c
tests_unit_test_ad_values_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/source-ad
tests_unit_test_ad_values_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_ad_values_LDADD = $(CMOCKA_LIBS)
TESTS += tests/unit/test-ad-values \
	tests/connectors/ad-sync.sh tests/connectors/ad-incremental.sh \
	tests/connectors/ad-errors.sh tests/connectors/ad-tenants.sh \
	tests/connectors/ad-ranged.sh tests/connectors/ad-samba.sh
EXTRA_DIST += tests/connectors/ad-sync.sh tests/connectors/ad-incremental.sh \
	tests/connectors/ad-errors.sh tests/connectors/ad-tenants.sh tests/connectors/ad-lib.sh \
	tests/connectors/ad-gen.py tests/connectors/ad-truth.sql \
	tests/harness/ldap.sh tests/connectors/ad-ranged.sh tests/sandbox/ldap-range/server.py \
	tests/connectors/ad-samba.sh tests/connectors/ad-samba.py tests/harness/samba.sh

# The OAuth2 client-credentials token service (host/auth, ABI 1.3
# oauth2_http) with a fake endpoint and clock, and the Entra source
# (plugins/source-entra) against the Graph sandbox (tests/sandbox/graph).
check_PROGRAMS += tests/unit/test-oauth2
tests_unit_test_oauth2_SOURCES = tests/unit/test-oauth2.c
tests_unit_test_oauth2_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_oauth2_LDADD = host/libpulsehost.la $(CMOCKA_LIBS)
TESTS += tests/unit/test-oauth2
TESTS += tests/connectors/entra-sync.sh tests/connectors/entra-incremental.sh \
	tests/connectors/entra-resync.sh tests/connectors/entra-auth.sh \
	tests/connectors/entra-tenants.sh
EXTRA_DIST += tests/connectors/entra-sync.sh tests/connectors/entra-incremental.sh \
	tests/connectors/entra-resync.sh tests/connectors/entra-auth.sh \
	tests/connectors/entra-tenants.sh tests/connectors/entra-lib.sh \
	tests/connectors/entra-check.js

# Identity resolution and the DORA team cut (docs/people.md).
TESTS += tests/db/people-resolve.sh tests/db/people-dora-team.sh tests/ai/people-search.sh
EXTRA_DIST += tests/db/people-resolve.sh tests/db/people-dora-team.sh tests/ai/people-search.sh \
	tests/db/people-lib.sh
# 110's set-based people_resolve against 104's loop (the fixture).
TESTS += tests/db/people-resolve-set.sh
EXTRA_DIST += tests/db/people-resolve-set.sh tests/db/people-old-defs.sh \
	tests/db/people-gen.sql

# GET /metrics: the scrape parses against the exposition grammar and its
# figures equal the database after a sync (docs/operations.md, "Metrics").
TESTS += tests/daemon/metrics.sh
EXTRA_DIST += tests/daemon/metrics.sh tests/daemon/metrics-check.py

# make check-valgrind: one job of each source plugin (sandbox, GitHub,
# Jira, Fabric, AD, Entra) under valgrind memcheck, zero errors and zero
# definite leaks (docs/testing.md). Minutes long, so not part of the
# default check; the scripts may run in parallel (make -jN).
VALGRIND_TESTS = tests/valgrind/memcheck.sh tests/valgrind/memcheck-jira.sh \
	tests/valgrind/memcheck-fabric.sh tests/valgrind/memcheck-ad.sh \
	tests/valgrind/memcheck-entra.sh
EXTRA_DIST += $(VALGRIND_TESTS) tests/valgrind/vg-lib.sh tests/valgrind/vg.supp
check-valgrind: all
	$(MAKE) $(AM_MAKEFLAGS) check TESTS="$(VALGRIND_TESTS)"
.PHONY: check-valgrind

# The Microsoft Fabric source (plugins/source-fabric) against the Fabric
# sandbox (tests/sandbox/fabric), docs/fabric.md.
TESTS += tests/connectors/fabric-sync.sh tests/connectors/fabric-incremental.sh \
	tests/connectors/fabric-faults.sh tests/connectors/fabric-dora-tenants.sh
EXTRA_DIST += tests/connectors/fabric-sync.sh tests/connectors/fabric-incremental.sh \
	tests/connectors/fabric-faults.sh tests/connectors/fabric-dora-tenants.sh \
	tests/connectors/fabric-lib.sh tests/connectors/fabric-check.js \
	tests/sandbox/fabric/server.js tests/sandbox/fabric/README.md

# The demo (scripts/demo.sh, small) with its Entra ID directory: its DORA
# lines per team equal figures the test computes itself (docs/people.md).
TESTS += tests/connectors/demo-teams.sh
# the demo and what it reads, so that distcheck's tree can run it too
EXTRA_DIST += tests/connectors/demo-teams.sh scripts/demo.sh \
	scripts/demo-team.jq scripts/install-deps.sh scripts/packages.txt

# The web console in a real browser (issue 19, docs/console.md).
TESTS += tests/daemon/console-ui.sh
EXTRA_DIST += tests/daemon/console-ui.sh tests/daemon/console-ui.mjs \
	tests/daemon/console-lib.mjs
# its accessibility (contrast, keyboard, axe-core) in light and dark, and
# search, ask and the vectorization history against the sandboxes
TESTS += tests/daemon/console-a11y.sh tests/ai/console-ai.sh
EXTRA_DIST += tests/daemon/console-a11y.sh tests/daemon/console-a11y.mjs \
	tests/ai/console-ai.sh tests/ai/console-ai.mjs

# Fabric: the REST walk resumes after a kill; token renewal on expires_in.
TESTS += tests/connectors/fabric-resume.sh tests/connectors/fabric-token-expiry.sh
EXTRA_DIST += tests/connectors/fabric-resume.sh tests/connectors/fabric-token-expiry.sh

# The console's API remainders: ask feedback and the plugins listing
# (issue 19, docs/console.md).
TESTS += tests/daemon/console-api.sh
EXTRA_DIST += tests/daemon/console-api.sh

# Issue 17: GitHub logins linked to directory people by commit e-mail
# (GitHub and Graph sandboxes).
TESTS += tests/connectors/github-commit-links.sh
EXTRA_DIST += tests/connectors/github-commit-links.sh

# Issue 17: the commit e-mail links with the directory in AD (slapd,
# mail and proxyAddresses), and `people resolve` counting shared addresses.
TESTS += tests/connectors/github-commit-links-ad.sh
EXTRA_DIST += tests/connectors/github-commit-links-ad.sh

# Issue 17: a post-run people resolve that times out never fails the run
# (migration 109).
TESTS += tests/db/people-run-timeout.sh
EXTRA_DIST += tests/db/people-run-timeout.sh

# Issue 14: a tenant's vectors moved from pgvectors to the Qdrant sandbox
# and back (scroll, ABI 1.4) without re-embedding (vectorize move;
# docs/vectors.md).
TESTS += tests/ai/vectors-move.sh tests/ai/vectors-move-back.sh tests/ai/vectors-move-cleanup.sh
EXTRA_DIST += tests/ai/vectors-move.sh tests/ai/vectors-move-back.sh tests/ai/vectors-move-cleanup.sh

# pgvectors' scroll (host/ai/pgvectors_scroll.c): keyset paging by point
# id, the tenant and collection filters, with and without vectors.
check_PROGRAMS += tests/db/pgv-scroll
tests_db_pgv_scroll_SOURCES = tests/db/pgv-scroll.c tests/db/pgv-check.h
tests_db_pgv_scroll_CFLAGS = $(host_libpulsehost_la_CFLAGS)
tests_db_pgv_scroll_LDADD = host/libpulsehost.la -lm
TESTS += tests/db/pgvectors-scroll.sh
EXTRA_DIST += tests/db/pgvectors-scroll.sh
