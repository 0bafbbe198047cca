# The daemon and CLI. Host code is built into a convenience library so unit
# tests link the same objects the binary uses.
noinst_LTLIBRARIES += host/libpulsehost.la
host_libpulsehost_la_SOURCES = \
	host/base/log.c host/base/log.h \
	host/base/conf.c host/base/conf.h \
	host/base/strbuf.c host/base/strbuf.h \
	host/base/crypto.c host/base/crypto.h \
	host/db/db.c host/db/db.h \
	host/db/migrate.c host/db/migrate.h \
	host/plugin/abi.c host/plugin/abi.h \
	host/plugin/loader.c host/plugin/loader.h host/plugin/loaded.h \
	host/plugin/hostapi.c host/plugin/hostapi.h \
	host/plugin/job.c host/plugin/job.h \
	host/plugin/settings.c host/plugin/settings.h \
	host/plugin/trust.c host/plugin/trust.h \
	host/http/http.h host/http/http_int.h \
	host/http/http_client.c host/http/http_tokens.c \
	host/http/http_transfer.c host/http/http_etag.c \
	host/http/http_guard.c \
	host/http/http_policy.c host/http/http_policy.h \
	host/http/http_request.c \
	host/http/ratelimit.c host/http/ratelimit.h \
	host/pipeline/store.c host/pipeline/store.h \
	host/pipeline/entity.c host/pipeline/entity.h \
	host/pipeline/record.c host/pipeline/record.h \
	host/pipeline/load.c host/pipeline/load.h \
	host/pipeline/pipeline.c host/pipeline/pipeline.h \
	host/queue/queue.c host/queue/queue.h host/queue/queue_int.h \
	host/queue/queue_conn.c host/queue/queue_topology.c \
	host/queue/queue_publish.c host/queue/queue_consume.c \
	host/queue/worker.c host/queue/worker.h \
	host/jobs/jobstate.c host/jobs/jobstate.h \
	host/jobs/jobpolicy.c host/jobs/jobpolicy.h \
	host/jobs/jobproc.c host/jobs/jobproc.h \
	host/jobs/runner.c host/jobs/runner.h host/jobs/runner_int.h \
	host/jobs/runner_drain.c \
	host/jobs/runner_summary.c host/jobs/runner_summary.h \
	host/jobs/orchestrator.c host/jobs/orchestrator.h \
	host/server/auth.c host/server/auth.h \
	host/server/progress.c host/server/progress.h \
	host/server/api.c host/server/api.h host/server/api_int.h \
	host/server/api_io.c host/server/api_jobs.c \
	host/server/api_integrations.c host/server/api_raw.c \
	host/server/api_meta.c host/server/api_dora.c \
	host/server/server.c host/server/server.h \
	host/server/wsmsg.c host/server/wsmsg.h \
	host/model/tenant.c host/model/tenant.h \
	host/model/integration.c host/model/integration.h \
	host/model/mapping.c host/model/mapping.h \
	host/model/job.c host/model/job.h \
	host/model/raw.c host/model/raw.h \
	host/analytics/dora.c host/analytics/dora.h host/analytics/dora_int.h \
	host/analytics/dora_band.c host/analytics/dora_figure.c \
	host/analytics/dora_text.c host/analytics/dora_map.c \
	host/cli/cli.c host/cli/cli.h \
	host/cli/follow.c host/cli/follow.h \
	host/cli/termprogress.c host/cli/termprogress.h \
	host/cli/cmd_config.c host/cli/cmd_plugins.c \
	host/cli/cmd_migrate.c host/cli/cmd_tenant.c \
	host/cli/cmd_integration.c host/cli/cmd_mapping.c \
	host/cli/cmd_job.c host/cli/cmd_worker.c host/cli/cmd_run.c \
	host/cli/cmd_token.c host/cli/cmd_dora.c host/cli/cmd_embed.c
# The schema migrations, compiled into the binary (migrate_files[] in
# host/db/migrate.h) so an installed pulse-host needs no data files. Add a new
# migration here, in order; never edit an applied one.
MIGRATION_FILES = \
	host/db/migrations/001_core.sql \
	host/db/migrations/002_warehouse.sql \
	host/db/migrations/003_rls.sql \
	host/db/migrations/004_host_functions.sql \
	host/db/migrations/010_dora.sql \
	host/db/migrations/020_orchestrator.sql \
	host/db/migrations/030_jira.sql
EXTRA_DIST += $(MIGRATION_FILES) host/db/embed-sql.sh
nodist_host_libpulsehost_la_SOURCES = host/db/migrations-sql.c
CLEANFILES += host/db/migrations-sql.c
host/db/migrations-sql.c: $(MIGRATION_FILES) host/db/embed-sql.sh
	$(AM_V_GEN)$(MKDIR_P) $(@D) && \
	$(SHELL) $(srcdir)/host/db/embed-sql.sh $(srcdir) $(MIGRATION_FILES) > $@-t && \
	mv $@-t $@
# The viewer page, compiled in like the migrations (www_files[] in
# host/server/api.h).
WWW_FILES = \
	host/server/www/index.html \
	host/server/www/app.js \
	host/server/www/style.css
EXTRA_DIST += $(WWW_FILES) host/server/embed-www.sh
nodist_host_libpulsehost_la_SOURCES += host/server/www-files.c
CLEANFILES += host/server/www-files.c
host/server/www-files.c: $(WWW_FILES) host/server/embed-www.sh
	$(AM_V_GEN)$(MKDIR_P) $(@D) && \
	$(SHELL) $(srcdir)/host/server/embed-www.sh $(srcdir) $(WWW_FILES) > $@-t && \
	mv $@-t $@
host_libpulsehost_la_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(PQ_CFLAGS) \
	$(JSONC_CFLAGS) $(CONFIG_CFLAGS) $(GCRYPT_CFLAGS) $(RABBITMQ_CFLAGS) \
	$(LWS_CFLAGS)
host_libpulsehost_la_LIBADD = $(CURL_LIBS) $(PQ_LIBS) $(JSONC_LIBS) \
	$(CONFIG_LIBS) $(GCRYPT_LIBS) $(RABBITMQ_LIBS) $(LWS_LIBS)

bin_PROGRAMS += host/pulse-host
host_pulse_host_SOURCES = host/main.c
host_pulse_host_CFLAGS = $(host_libpulsehost_la_CFLAGS)
host_pulse_host_LDADD = host/libpulsehost.la
# Plugins call back into the host only through the vtable; nothing is
# exported from the executable.
