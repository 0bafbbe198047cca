/* runner: `job run`: extract, then transform + load, with progress. */
#include "config.h"

#include <inttypes.h>
#include <stddef.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/conf.h"
#include "base/crypto.h"
#include "cli/termprogress.h"
#include "db/db.h"
#include "http/http.h"
#include "jobs/jobstate.h"
#include "model/integration.h"
#include "plugin/loader.h"
#include "base/log.h"
#include "pipeline/pipeline.h"
#include "jobs/runner.h"
#include "jobs/runner_int.h"
#include "jobs/runner_summary.h"
#include "plugin/settings.h"
#include "pipeline/store.h"

static volatile sig_atomic_t cancel_flag;

static void on_signal(int sig)
{
	(void)sig;
	cancel_flag = 1;
}

void runner_install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	/* a second signal ends the process the default way */
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int runner_cancel_requested(void)
{
	return cancel_flag != 0;
}

double runner_now_s(void)
{
	return termprogress_now();
}

static void observe(struct run *r, int kind, int32_t klass, const char *err)
{
	struct runner_event ev;

	if (!r->o->observe)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.run_id = r->run_id;
	ev.step = r->step;
	ev.done = r->done;
	ev.total = r->total;
	ev.err_class = klass;
	ev.err = err;
	r->o->observe(r->o->observe_ctx, &ev);
}

/* ---- progress ------------------------------------------------------- */

static void progress_db(struct run *r, int force)
{
	char rid[24], done[24], total[24], err[512];
	const char *p1[4];
	PGresult *x;
	double t = runner_now_s();

	if (!force && t - r->last_db < 1.0)
		return;
	r->last_db = t;
	p1[0] = db_i64(rid, r->run_id);
	p1[1] = r->step;
	p1[2] = db_i64(done, (int64_t)r->done);
	p1[3] = db_i64(total, (int64_t)r->total);
	if (db_tenant_begin(r->conn, r->in.tenant_id, err, sizeof(err)) < 0)
		return;
	x = db_query(r->conn, err, sizeof(err), "UPDATE job_runs SET step = $2,"
		     " processed = $3, total = $4 WHERE id = $1", 4, p1);
	PQclear(x);
	if (x && jobstate_touch(r->conn, r->job_id, err, sizeof(err)) == 0)
		db_commit(r->conn, err, sizeof(err));
	else
		db_rollback(r->conn);
}

/* A TTY redraws at most 10 times a second; otherwise a line per step and
 * per 10 %, or every 5 s when the total is unknown. */
static void progress_print(struct run *r, int force)
{
	double t = runner_now_s();
	int decile = r->total ? (int)(r->done * 10 / r->total) : -1;
	char line[256];

	if (r->o->quiet || !r->o->out)
		return;
	if (r->o->tty ? !force && t - r->tp.last_shown < 0.1 :
	    !force && decile == r->last_decile &&
	    (r->total || t - r->tp.last_shown < 5.0))
		return;
	termprogress_line(line, sizeof(line), r->step, r->done, r->total, -1, -1);
	termprogress_show(&r->tp, line);
	r->last_decile = decile;
}

void runner_end_line(struct run *r)
{
	termprogress_end_line(&r->tp);
}

void runner_set_progress(struct run *r, const char *step, uint64_t done,
			 uint64_t total)
{
	int changed = strcmp(step, r->step) != 0;

	if (changed) {
		snprintf(r->step, sizeof(r->step), "%s", step);
		r->last_decile = -2;
	}
	r->done = done;
	r->total = total;
	progress_print(r, changed);
	progress_db(r, changed);
	observe(r, RUNNER_EV_PROGRESS, 0, NULL);
}

static void cb_progress(struct pulse_job *job, const char *step, uint64_t done,
			uint64_t total)
{
	/* The runner's job is embedded in its struct run. */
	struct run *r = (struct run *)(void *)((char *)job -
					       offsetof(struct run, job));
	char s[64];

	snprintf(s, sizeof(s), "extract %s", step && *step ? step : "");
	runner_set_progress(r, s, done, total);
}

static int32_t cb_cancelled(struct pulse_job *job)
{
	(void)job;
	return runner_cancel_requested();
}

/* ---- job bookkeeping -------------------------------------------------- */

static int lock_job(struct run *r, char *err, size_t errlen)
{
	struct jobstate_held h;
	char integ[24], jid[24], ten[24], reason[400];
	const char *owner;
	int running, rc = -1;
	PGresult *y;

	if (db_tenant_begin(r->conn, r->in.tenant_id, err, errlen) < 0)
		return -1;
	rc = jobstate_lock_integration(r->conn, r->in.id, r->conf->jobs_stale_s,
				       &h, err, errlen);
	if (rc == JOBSTATE_NOTFOUND)
		snprintf(err, errlen, "it has no job (type %s); only Data "
			 "integrations run jobs", r->in.type);
	if (rc != 0)
		goto fail;
	r->job_id = h.job_id;
	owner = h.owner[0] ? h.owner : NULL;
	running = h.state == JS_RUNNING;
	/* Held by a live process here, or recently heartbeating elsewhere
	 * (the orchestrator's own claim is the caller's business). */
	if (!r->o->orchestrated && running && owner &&
	    strcmp(owner, db_owner_id()) != 0 &&
	    (db_owner_same_host(owner) ? db_owner_alive(owner) : h.fresh)) {
		snprintf(err, errlen, "it is already running (owner %s); wait "
			 "for it to finish or stop that process", owner);
		goto fail;
	}
	snprintf(reason, sizeof(reason), "job run by %s%s%s", db_owner_id(),
		 owner && running ? "; took over from " : "",
		 owner && running ? owner : "");
	{
		const char *p2[1] = {db_i64(jid, r->job_id)};
		const char *p3[4] = {jid, db_i64(ten, r->in.tenant_id),
				     db_i64(integ, r->in.id), db_owner_id()};

		y = db_query(r->conn, err, errlen,
			     "UPDATE job_runs SET state = 'ERROR', finished_at = now(),"
			     " error = 'abandoned: the process running it (' ||"
			     " coalesce(owner, '?') || ') is gone', error_class = 'transient'"
			     " WHERE job_id = $1 AND state = 'RUNNING'", 1, p2);
		if (!y)
			goto fail;
		PQclear(y);
		y = db_query(r->conn, err, errlen,
			     "INSERT INTO job_runs (tenant_id, job_id, integration_id,"
			     " owner, step) VALUES ($2, $1, $3, $4, 'starting')"
			     " RETURNING id", 4, p3);
		if (!y)
			goto fail;
		r->run_id = db_int64(y, 0, 0);
		PQclear(y);
	}
	/* The orchestrator moved the job itself; a foreground run takes it. */
	if (!r->o->orchestrated &&
	    jobstate_foreground_begin(r->conn, r->job_id, h.state, db_owner_id(),
				      reason, r->run_id, err, errlen) < 0)
		goto fail;
	return db_commit(r->conn, err, errlen);
fail:
	db_rollback(r->conn);
	return -1;
}

static void finish_job(struct run *r, const char *run_state, int job_state,
		       const char *error, int32_t klass, struct json_object *stats)
{
	char rid[24], err[512];
	char done[24], total[24];
	const char *p1[7] = {db_i64(rid, r->run_id), run_state, error,
			     !error ? NULL : klass == PULSE_ERR_TRANSIENT ?
			     "transient" : "permanent",
			     json_object_to_json_string_ext(stats, JSON_C_TO_STRING_PLAIN),
			     db_i64(done, (int64_t)r->done),
			     db_i64(total, (int64_t)r->total)};
	PGresult *x;

	if (!r->run_id || db_tenant_begin(r->conn, r->in.tenant_id, err, sizeof(err)) < 0)
		goto fail;
	x = db_query(r->conn, err, sizeof(err),
		     "UPDATE job_runs SET state = $2, finished_at = now(),"
		     " error = $3, error_class = $4, stats = $5::jsonb, step = 'done',"
		     " processed = $6, total = $7 WHERE id = $1", 7, p1);
	if (!x)
		goto fail;
	PQclear(x);
	/* Under the orchestrator etl_jobs and its transitions are its own. */
	if (!r->o->orchestrated &&
	    jobstate_foreground_end(r->conn, r->job_id, job_state, error,
				    r->run_id, err, sizeof(err)) < 0)
		goto fail;
	if (db_commit(r->conn, err, sizeof(err)) == 0)
		return;
fail:
	db_rollback(r->conn);
	log_error("RUNNER", "event=finish_failed run=%" PRId64 " error=\"%s\"",
		  r->run_id, err);
}

/* What the run did, for runner_summary_*; pointers into r. */
static void summary_of(struct run *r, double secs, const char *error,
		       int cancelled, struct runner_summary *out)
{
	memset(out, 0, sizeof(*out));
	out->label = r->label;
	out->run_id = r->run_id;
	out->secs = secs;
	out->pages = r->store.pages;
	out->bytes = r->store.bytes;
	out->rows_done = r->rows_done;
	out->rows_failed = r->rows_failed;
	out->first_failure = r->first_failure;
	out->counts = r->pipe ? pipeline_counts(r->pipe, &out->ncounts) : NULL;
	out->http = &r->http;
	out->error = error;
	out->cancelled = cancelled;
}

/* ---- the run ----------------------------------------------------------- */

static int check_required(struct run *r, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < r->plugin->nfields; i++) {
		const pulse_config_field *f = &r->plugin->fields[i];
		int secret = f->type == PULSE_CFG_SECRET ||
			     f->type == PULSE_CFG_SECRET_LIST;

		if (!f->required ||
		    json_object_object_get_ex(secret ? r->secrets : r->settings,
					      f->name, NULL))
			continue;
		snprintf(err, errlen, "required field '%s' is not set; %s",
			 f->name, secret ? "set it with `pulse-host integration "
			 "set-secret ID FIELD`" : "re-add the integration with it");
		return -1;
	}
	return 0;
}

/*
 * Set-up up to a locked job with its job_runs row: the database, the
 * integration, its plugin, settings and secrets. On failure why says
 * what is missing. What it loads is owned by r (freed by runner_run).
 */
static int run_open(struct run *r, struct loader *ld, int64_t id,
		    char *why, size_t whylen)
{
	struct crypto_key key;
	int rc = -1;

	memset(&key, 0, sizeof(key));
	if (!(r->conn = db_connect(r->conf->database_url, why, whylen)))
		goto out;
	if (integration_get(r->conn, id, &r->in, why, whylen) != 0)
		goto out;
	snprintf(r->label, sizeof(r->label), "integration %" PRId64 " (%s)", id,
		 r->in.plugin);
	if (!r->in.enabled) {
		snprintf(why, whylen, "it is disabled");
		goto out;
	}
	r->plugin = loader_find(ld, r->in.plugin);
	if (!r->plugin || r->plugin->status != PLUGIN_LOADED ||
	    r->plugin->info.kind != PULSE_KIND_SOURCE ||
	    !r->plugin->source.extract) {
		snprintf(why, whylen, "plugin '%s' is not loaded as a source "
			 "plugin%s%s; see `pulse-host plugins`", r->in.plugin,
			 r->plugin && r->plugin->reason ? ": " : "",
			 r->plugin && r->plugin->reason ? r->plugin->reason : "");
		goto out;
	}
	if (!(r->settings = settings_with_defaults(r->plugin, r->in.settings,
						   why, whylen)))
		goto out;
	if (r->in.credentials &&
	    (crypto_key_load(r->conf->key_file, 0, &key, why, whylen) < 0 ||
	     integration_secrets(&r->in, &key, &r->secrets, why, whylen) < 0))
		goto out;
	crypto_wipe(&key, sizeof(key));
	if (!r->secrets && !(r->secrets = json_object_new_object()))
		goto out;
	if (check_required(r, why, whylen) < 0 || lock_job(r, why, whylen) < 0)
		goto out;
	rc = 0;
out:
	crypto_wipe(&key, sizeof(key));
	return rc;
}

/* Where stored pages go: nowhere yet (extract only), to the broker, or
 * to the in-process pipeline (after recovering stale rows). */
static int run_route(struct run *r, struct loader *ld, char *why,
		     size_t whylen)
{
	const struct conf *conf = r->conf;

	r->store.conn = r->conn;
	r->store.tenant_id = r->in.tenant_id;
	r->store.integration_id = r->in.id;
	r->store.run_id = r->run_id;
	r->store.secrets = r->secrets;
	if (r->o->extract_only) {
		/* pages stay pending for the next run or the workers */
	} else if (conf->broker_url && conf->broker_url[0] && !r->o->in_process) {
		r->broker = pipeline_get_broker();
		if (!r->broker) {
			snprintf(why, whylen, "broker_url is set but this "
				 "build has no queue support; run with "
				 "--in-process or unset broker_url");
			return -1;
		}
		if (r->broker->open(conf, &r->bctx, why, whylen) < 0)
			return -1;
		r->store.dispatch = r->broker->publish;
		r->store.dispatch_ctx = r->bctx;
	} else {
		if (!(r->pipe = pipeline_new(conf, ld, why, whylen)))
			return -1;
		runner_recover(r);
		r->store.dispatch = runner_dispatch_local;
		r->store.dispatch_ctx = r;
	}
	return 0;
}

/*
 * The plugin's extract with the host services. Returns -1 (why set) when
 * it could not start; else 0 with *xrc the extract's result and, on
 * failure, *klass and why.
 */
static int run_extract(struct run *r, int32_t *xrc, int32_t *klass,
		       char *why, size_t whylen)
{
	struct http_client *hc;

	http_backend_install(&r->be);
	r->be.raw_store = store_raw_store;
	r->be.state_get = store_state_get;
	r->be.state_set = store_state_set;
	r->be.secret_get = store_secret_get;
	r->be.progress = cb_progress;
	r->be.cancelled = cb_cancelled;
	r->job.plugin = r->plugin;
	r->job.mode = JOB_EXTRACT;
	r->job.tenant_id = r->in.tenant_id;
	r->job.integration_id = r->in.id;
	r->job.run_id = r->run_id;
	r->job.settings = r->settings;
	r->job.be = &r->be;
	r->job.store = &r->store;

	if (!(hc = http_client_new(r->conf, &r->job))) {
		snprintf(why, whylen, "cannot start the HTTP client (out of "
			 "memory, or libcurl failed to initialise)");
		return -1;
	}
	runner_set_progress(r, "extract", 0, 0);
	*xrc = r->plugin->source.extract(r->plugin->state, &r->job);
	/* ETags are kept only for an extract that got everything */
	if (*xrc == PULSE_OK && !r->job.err_class)
		http_client_commit(hc);
	http_client_stats(hc, &r->http);
	http_client_free(hc);
	if (*xrc == PULSE_OK && r->job.err_class)
		*xrc = r->job.err_class; /* a failure the plugin ignored */
	if (runner_cancel_requested() && *xrc == PULSE_OK)
		*xrc = PULSE_ERR_CANCELLED;
	if (*xrc != PULSE_OK) {
		*klass = r->job.err_class ? r->job.err_class :
			 *xrc == PULSE_ERR_CANCELLED ? PULSE_ERR_CANCELLED :
			 PULSE_ERR_PERMANENT;
		snprintf(why, whylen, "%s", r->job.err[0] ? r->job.err :
			 *klass == PULSE_ERR_CANCELLED ? "cancelled" :
			 "extract failed without a reason (plugin bug)");
	}
	return 0;
}

/* After the extract: transform + load in-process, or wait for the
 * workers. Stored pages are good data even if the extract failed later. */
static void run_drain(struct run *r, int32_t xrc, int32_t *klass,
		      char *why, size_t whylen)
{
	char e2[1024];

	if (r->pipe && !runner_cancel_requested()) {
		r->nq = 0; /* the batches already flushed are done; redo the rest */
		if (runner_leftovers(r, e2, sizeof(e2)) < 0 && !why[0])
			snprintf(why, whylen, "%s", e2);
		runner_transform_all(r);
	} else if (r->broker && xrc == PULSE_OK) {
		if (runner_wait_for_workers(r, e2, sizeof(e2)) < 0) {
			snprintf(why, whylen, "%s", e2);
			*klass = PULSE_ERR_TRANSIENT;
		}
	}
}

/*
 * Close a locked run: job_runs (and, in the foreground, etl_jobs), the
 * summary and the log line. Returns the RUNNER_* result; *stats (owned
 * by the caller) is what job_runs.stats got.
 */
static int run_finish(struct run *r, int64_t id, int32_t klass,
		      char *why, size_t whylen, int *cancelled,
		      struct json_object **stats)
{
	struct runner_summary sum;
	double secs;
	int rc;

	secs = runner_now_s() - r->t0;
	*cancelled = klass == PULSE_ERR_CANCELLED || runner_cancel_requested();
	summary_of(r, secs, NULL, 0, &sum);
	*stats = runner_summary_json(&sum);
	if (*cancelled)
		finish_job(r, "CANCELLED", JS_PENDING, why[0] ? why : "cancelled",
			   PULSE_ERR_TRANSIENT, *stats);
	else
		finish_job(r, why[0] ? "ERROR" : "FINISHED",
			   why[0] ? JS_ERROR : JS_FINISHED, why[0] ? why : NULL,
			   klass, *stats);
	summary_of(r, secs, why[0] ? why : NULL, *cancelled, &sum);
	runner_end_line(r);
	if (r->o->out)
		runner_summary_print(r->o->out, &sum);
	if (!why[0] && runner_cancel_requested())
		snprintf(why, whylen, "cancelled");
	if (why[0]) {
		rc = RUNNER_FAILED;
	} else if (r->rows_failed) {
		snprintf(why, whylen, "%" PRIu64 " raw row%s failed; first: %.900s",
			 r->rows_failed, r->rows_failed == 1 ? "" : "s",
			 r->first_failure);
		rc = RUNNER_PARTIAL;
	} else {
		rc = RUNNER_OK;
	}
	log_info("RUNNER", "event=run_finished integration=%" PRId64 " run=%" PRId64
		 " state=%s pages=%" PRIu64 " completed=%" PRIu64 " failed=%" PRIu64
		 " seconds=%.1f", id, r->run_id, rc == RUNNER_OK ? "finished" :
		 rc == RUNNER_PARTIAL ? "partial" : "error", r->store.pages,
		 r->rows_done, r->rows_failed, secs);
	return rc;
}

int runner_run(const struct conf *conf, struct loader *ld, int64_t id,
	       const struct runner_opts *o, char *err, size_t errlen)
{
	struct run r;
	struct json_object *stats = NULL;
	char why[1024] = "";
	int rc = RUNNER_FAILED, cancelled = 0;
	int32_t xrc = PULSE_OK, klass = 0;

	memset(&r, 0, sizeof(r));
	r.conf = conf;
	r.o = o;
	r.t0 = runner_now_s();
	r.last_decile = -2;
	termprogress_init(&r.tp, o->out, o->tty);
	snprintf(r.label, sizeof(r.label), "integration %" PRId64, id);
	if (run_open(&r, ld, id, why, sizeof(why)) < 0)
		goto out;
	observe(&r, RUNNER_EV_STARTED, 0, NULL);
	log_info("RUNNER", "event=run_started integration=%" PRId64 " plugin=%s"
		 " run=%" PRId64, id, r.in.plugin, r.run_id);
	if (run_route(&r, ld, why, sizeof(why)) == 0 &&
	    run_extract(&r, &xrc, &klass, why, sizeof(why)) == 0)
		run_drain(&r, xrc, &klass, why, sizeof(why));
	rc = run_finish(&r, id, klass, why, sizeof(why), &cancelled, &stats);
out:
	if (rc != RUNNER_OK)
		snprintf(err, errlen, "%s %s: %s%s", r.label,
			 rc == RUNNER_PARTIAL ? "finished with failures" :
			 cancelled ? "was cancelled" : "failed",
			 why[0] ? why : "unknown error", cancelled ?
			 "; the next run resumes from the last checkpoint" : "");
	if (r.run_id)
		observe(&r, RUNNER_EV_DONE, rc == RUNNER_OK ? 0 : cancelled ?
			PULSE_ERR_CANCELLED : klass ? klass : rc == RUNNER_PARTIAL ?
			PULSE_ERR_TRANSIENT : PULSE_ERR_PERMANENT,
			rc == RUNNER_OK ? NULL : err);
	json_object_put(stats);
	if (r.broker && r.bctx)
		r.broker->close(r.bctx);
	pipeline_free(r.pipe);
	integration_secrets_free(r.secrets);
	json_object_put(r.settings);
	integration_free(&r.in);
	free(r.q);
	free(r.qat);
	PQfinish(r.conn);
	return rc;
}
