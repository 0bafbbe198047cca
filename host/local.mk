# The daemon and CLI. Host code is built into a convenience library so unit
# tests link the same objects the binary uses.
noinst_LTLIBRARIES += host/libpulsehost.la
host_libpulsehost_la_SOURCES = \
	host/base/log.c host/base/log.h \
	host/base/conf.c host/base/conf.h \
	host/base/conf_mask.c \
	host/base/strbuf.c host/base/strbuf.h \
	host/base/crypto.c host/base/crypto.h \
	host/db/db.c host/db/db.h \
	host/db/migrate.c host/db/migrate.h \
	host/db/dbread.c host/db/dbread.h \
	host/ai/sqlguard.c host/ai/sqlguard.h \
	host/ai/askexec.c host/ai/askexec.h \
	host/ai/schemacard.c host/ai/schemacard.h \
	host/ai/query.c host/ai/query_json.c host/ai/query.h \
	host/plugin/abi.c host/plugin/abi.h \
	host/plugin/loader.c host/plugin/loader.h host/plugin/loaded.h \
	host/plugin/hostapi.c host/plugin/hostapi.h \
	host/plugin/job.c host/plugin/job.h \
	host/plugin/settings.c host/plugin/settings.h \
	host/plugin/settings_regex.c \
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
	host/jobs/jobdeps.c host/jobs/jobdeps.h \
	host/housekeeping/hk.c host/housekeeping/hk.h \
	host/housekeeping/hk_raw.c host/housekeeping/hk_report.c \
	host/housekeeping/hk_proc.c \
	host/jobs/jobpolicy.c host/jobs/jobpolicy.h \
	host/jobs/jobproc.c host/jobs/jobproc.h \
	host/jobs/runner.c host/jobs/runner.h host/jobs/runner_int.h \
	host/jobs/runner_drain.c \
	host/jobs/runner_summary.c host/jobs/runner_summary.h \
	host/jobs/orchestrator.c host/jobs/orchestrator.h \
	host/jobs/orchestrator_int.h host/jobs/orch_slot.c host/jobs/orch_claim.c \
	host/jobs/orch_sweep.c host/jobs/orch_hk.c \
	host/server/auth.c host/server/auth.h \
	host/server/progress.c host/server/progress.h \
	host/server/api.c host/server/api.h host/server/api_int.h \
	host/server/api_io.c host/server/api_jobs.c \
	host/server/api_integrations.c host/server/api_raw.c \
	host/server/api_meta.c host/server/api_dora.c \
	host/server/api_search.c \
	host/server/server.c host/server/server.h \
	host/server/server_int.h host/server/server_ws.c \
	host/server/server_http_read.c host/server/server_http_write.c \
	host/server/wsmsg.c host/server/wsmsg.h \
	host/model/tenant.c host/model/tenant.h \
	host/model/integration.c host/model/integration.h \
	host/model/mapping.c host/model/mapping.h \
	host/model/job.c host/model/job.h \
	host/model/raw.c host/model/raw.h \
	host/analytics/dora.c host/analytics/dora.h host/analytics/dora_int.h \
	host/analytics/dora_band.c host/analytics/dora_figure.c \
	host/analytics/dora_text.c host/analytics/dora_map.c \
	host/ai/vstore.c host/ai/vstore.h host/ai/vstore_int.h \
	host/ai/pgvectors.c host/ai/pgvectors_knn.c \
	host/ai/pgvectors_load.c host/ai/pgvectors_set.h \
	host/ai/pgvectors_q8.c host/ai/pgvectors_q8.h host/ai/pgvectors_scroll.c \
	host/ai/vectorize.c host/ai/vectorize.h host/ai/vectorize_text.c \
	host/ai/vectorize_int.h host/ai/vectorize_queue.c \
	host/ai/vectorize_build.c host/ai/vectorize_admin.c \
	host/ai/vectorize_history.c \
	host/ai/search.c host/ai/search.h \
	plugins/common/blascore.c plugins/common/blascore.h \
	host/cli/cli.c host/cli/cli.h \
	host/cli/follow.c host/cli/follow.h \
	host/cli/termprogress.c host/cli/termprogress.h \
	host/cli/cmd_config.c host/cli/cmd_plugins.c \
	host/cli/cmd_migrate.c host/cli/cmd_tenant.c \
	host/cli/cmd_integration.c host/cli/cmd_mapping.c \
	host/cli/cmd_job.c host/cli/cmd_worker.c host/cli/cmd_run.c \
	host/cli/cmd_token.c host/cli/cmd_dora.c host/cli/cmd_embed.c \
	host/cli/cmd_doctor.c \
	host/cli/cmd_housekeeping.c host/cli/cmd_job_ctl.c \
	host/cli/cmd_ask.c \
	host/cli/cli_ai.c host/cli/cli_ai.h \
	host/cli/cmd_vectorize.c host/cli/cmd_search.c host/ai/search_json.c \
	host/ai/vstore_plugin.c host/ai/vstore_select.c \
	host/ai/vstore_time.c host/ai/vstore_time.h \
	host/jobs/sysjob.c host/jobs/sysjob.h \
	host/jobs/jobforce.c host/jobs/jobforce.h \
	host/housekeeping/hk_steps.c \
	host/model/stats.c host/model/stats.h \
	host/cli/cmd_job_ops.c host/cli/cmd_stats.c \
	host/server/api_admin.c \
	host/auth/oauth2_cc.c host/auth/oauth2_cc.h \
	host/auth/oauth2_errors.c \
	host/auth/oauth2_http.c host/auth/oauth2_http.h \
	host/people/people.h host/people/people_store.c \
	host/people/people_report.c host/people/people_scope.c \
	host/cli/cmd_people.c host/analytics/dora_people.c \
	host/ai/search_people.c host/ai/search_people.h \
	host/server/auth_passwd.c host/server/auth_passwd.h \
	host/server/auth_session.c host/server/auth_session.h \
	host/server/auth_limit.c host/server/auth_limit.h \
	host/server/api_auth.c host/server/api_users.c \
	host/model/users.c host/model/users.h \
	host/model/audit.c host/model/audit.h \
	host/model/apitoken.c host/model/apitoken.h \
	host/cli/cmd_user.c host/cli/cmd_audit.c \
	host/cli/cli_audit.c host/cli/cli_audit.h \
	host/housekeeping/hk_auth.c \
	host/housekeeping/hk_vectors.c \
	host/server/metrics.c host/server/metrics.h \
	host/server/metrics_shm.c host/server/metrics_shm.h \
	host/server/metrics_text.c \
	host/server/api_console.c host/model/branding.c host/model/branding.h \
	host/analytics/dora_weekly.c host/analytics/dora_weekly.h \
	host/auth/oidc_jws.c host/auth/oidc_jws.h \
	host/auth/oidc_claims.c host/auth/oidc_claims.h \
	host/auth/oidc_fetch.c host/auth/oidc_fetch.h \
	host/model/oidc.c host/model/oidc.h \
	host/server/api_oidc.c host/cli/cmd_auth.c \
	host/ai/askfeedback.c host/ai/askfeedback.h \
	host/server/api_askfeedback.c host/server/api_plugins.c \
	host/cli/cmd_ask_feedback.c \
	host/ai/vmove.c host/ai/vmove.h host/ai/vmove_ids.c host/ai/vmove_int.h \
	host/ai/vmove_back.c host/ai/vmove_clean.c \
	host/cli/cmd_vectorize_move.c
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
	host/db/migrations/030_jira.sql \
	host/db/migrations/050_ai.sql \
	host/db/migrations/060_vectors.sql \
	host/db/migrations/062_vectorize_dispatch.sql \
	host/db/migrations/070_ask.sql \
	host/db/migrations/071_ask_memory.sql \
	host/db/migrations/080_raw_partitions.sql \
	host/db/migrations/081_housekeeping.sql \
	host/db/migrations/082_job_dependencies.sql \
	host/db/migrations/083_housekeeping_job.sql \
	host/db/migrations/090_directory.sql \
	host/db/migrations/091_people.sql \
	host/db/migrations/092_users.sql \
	host/db/migrations/093_audit.sql \
	host/db/migrations/094_dora_teams.sql \
	host/db/migrations/095_directory_entra.sql \
	host/db/migrations/096_metrics.sql \
	host/db/migrations/097_fabric.sql \
	host/db/migrations/098_oidc.sql \
	host/db/migrations/099_tenant_branding.sql \
	host/db/migrations/100_directory_disables_users.sql \
	host/db/migrations/102_pgvectors_changes.sql \
	host/db/migrations/104_people_commit_emails.sql \
	host/db/migrations/105_deployments_failed_change.sql \
	host/db/migrations/106_ask_feedback.sql \
	host/db/migrations/108_vector_moves.sql \
	host/db/migrations/109_people_after_run_timeout.sql \
	host/db/migrations/110_people_resolve_set.sql \
	host/db/migrations/111_dora_scans.sql \
	host/db/migrations/112_vector_moves_back.sql \
	host/db/migrations/113_people_attr_set.sql \
	host/db/migrations/114_vector_moves_cleanup.sql \
	host/db/migrations/116_vectorization_done_at.sql
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
	host/server/www/style.css \
	host/server/www/app.mjs \
	host/server/www/api.mjs \
	host/server/www/dom.mjs \
	host/server/www/charts.mjs \
	host/server/www/dora.mjs \
	host/server/www/jobs.mjs \
	host/server/www/integrations.mjs \
	host/server/www/insight.mjs \
	host/server/www/askfeedback.mjs \
	host/server/www/plugform.mjs
EXTRA_DIST += $(WWW_FILES) host/server/embed-www.sh
nodist_host_libpulsehost_la_SOURCES += host/server/www-files.c
CLEANFILES += host/server/www-files.c
host/server/www-files.c: $(WWW_FILES) host/server/embed-www.sh
	$(AM_V_GEN)$(MKDIR_P) $(@D) && \
	$(SHELL) $(srcdir)/host/server/embed-www.sh $(srcdir) $(WWW_FILES) > $@-t && \
	mv $@-t $@
host_libpulsehost_la_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/plugins/common \
	$(CURL_CFLAGS) $(PQ_CFLAGS) \
	$(JSONC_CFLAGS) $(CONFIG_CFLAGS) $(GCRYPT_CFLAGS) $(RABBITMQ_CFLAGS) \
	$(LWS_CFLAGS) $(OPENBLAS_CFLAGS)
host_libpulsehost_la_LIBADD = $(CURL_LIBS) $(PQ_LIBS) $(JSONC_LIBS) \
	$(CONFIG_LIBS) $(GCRYPT_LIBS) $(RABBITMQ_LIBS) $(LWS_LIBS) \
	$(PGQUERY_LIBS) $(OPENBLAS_LIBS) -lm

bin_PROGRAMS += host/pulse-host
host_pulse_host_SOURCES = host/main.c
host_pulse_host_CFLAGS = $(host_libpulsehost_la_CFLAGS)
host_pulse_host_LDADD = host/libpulsehost.la
# Plugins call back into the host only through the vtable; nothing is
# exported from the executable.

# The AI router (docs/ai.md): provider instances, routes, usage.
host_libpulsehost_la_SOURCES += \
	host/ai/route.h host/ai/route_int.h \
	host/ai/provider.c host/ai/provider.h \
	host/ai/route.c host/ai/route_config.c \
	host/ai/route_usage.c host/ai/route_cooldown.c \
	host/cli/cmd_ai.c

# ask over the API (docs/ask.md).
host_libpulsehost_la_SOURCES += host/server/api_ask.c

# AI usage, health, capabilities and anomalies: the API and `ai health`.
host_libpulsehost_la_SOURCES += \
	host/ai/route_report.c host/ai/route_report.h host/ai/route_anomaly.c \
	host/server/api_ai.c host/cli/cmd_ai_health.c \
	host/ai/route_guard.c host/ai/route_guard.h \
	host/cli/cmd_integration_update.c

# The vectorize worker role and its progress channel (docs/queue.md).
host_libpulsehost_la_SOURCES += \
	host/queue/vzworker.c host/queue/vzworker.h \
	host/server/vzprogress.c host/server/vzprogress.h \
	host/server/pubq.c host/server/pubq.h

# Failpoints: named crash points for the chaos suite (docs/testing.md).
host_libpulsehost_la_SOURCES += host/base/failpoint.c host/base/failpoint.h
