# The daemon and CLI. Host code is built into a convenience library so unit
# tests link the same objects the binary uses.
noinst_LTLIBRARIES += host/libpulsehost.la
host_libpulsehost_la_SOURCES = \
	host/abi.c host/abi.h \
	host/cli.c host/cli.h \
	host/cmd_config.c host/cmd_plugins.c \
	host/conf.c host/conf.h \
	host/hostapi.c host/hostapi.h host/job.h \
	host/http.c host/http.h \
	host/ratelimit.c host/ratelimit.h \
	host/loader.c host/loader.h \
	host/log.c host/log.h \
	host/queue.c host/queue.h \
	host/worker.c host/worker.h host/cmd_worker.c \
	host/strbuf.c host/strbuf.h \
	host/db.c host/db.h \
	host/migrate.c host/migrate.h host/cmd_migrate.c \
	host/crypto.c host/crypto.h \
	host/tenant.c host/tenant.h host/cmd_tenant.c \
	host/settings.c host/settings.h \
	host/integration.c host/integration.h host/cmd_integration.c \
	host/store.c host/store.h \
	host/entity.c host/entity.h \
	host/record.c host/record.h \
	host/load.c host/load.h \
	host/pipeline.c host/pipeline.h \
	host/runner.c host/runner.h host/cmd_job.c \
	host/follow.c host/follow.h \
	host/dora.c host/dora.h host/cmd_dora.c \
	host/jobstate.c host/jobstate.h \
	host/auth.c host/auth.h host/cmd_token.c \
	host/progress.c host/progress.h \
	host/api.c host/api.h \
	host/server.c host/server.h \
	host/orchestrator.c host/orchestrator.h host/cmd_run.c \
	host/mapping.c host/mapping.h host/cmd_mapping.c
# The schema migrations, compiled into the binary (migrate_files[] in
# host/migrate.h) so an installed pulse-host needs no data files. Add a new
# migration here, in order; never edit an applied one.
MIGRATION_FILES = \
	host/migrations/001_core.sql \
	host/migrations/002_warehouse.sql \
	host/migrations/003_rls.sql \
	host/migrations/004_host_functions.sql \
	host/migrations/010_dora.sql \
	host/migrations/020_orchestrator.sql \
	host/migrations/030_jira.sql
EXTRA_DIST += $(MIGRATION_FILES) host/embed-sql.sh
nodist_host_libpulsehost_la_SOURCES = host/migrations-sql.c
CLEANFILES += host/migrations-sql.c
host/migrations-sql.c: $(MIGRATION_FILES) host/embed-sql.sh
	$(AM_V_GEN)$(MKDIR_P) host && \
	$(SHELL) $(srcdir)/host/embed-sql.sh $(srcdir) $(MIGRATION_FILES) > $@-t && \
	mv $@-t $@
# The viewer page, compiled in like the migrations (www_files[] in
# host/api.h).
WWW_FILES = \
	host/www/index.html \
	host/www/app.js \
	host/www/style.css
EXTRA_DIST += $(WWW_FILES) host/embed-www.sh
nodist_host_libpulsehost_la_SOURCES += host/www-files.c
CLEANFILES += host/www-files.c
host/www-files.c: $(WWW_FILES) host/embed-www.sh
	$(AM_V_GEN)$(MKDIR_P) host && \
	$(SHELL) $(srcdir)/host/embed-www.sh $(srcdir) $(WWW_FILES) > $@-t && \
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
