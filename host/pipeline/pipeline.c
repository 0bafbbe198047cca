/* pipeline: claim raw rows, run the plugin's transform, load the records. */
#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/conf.h"
#include "base/failpoint.h"
#include "db/db.h"
#include "pipeline/entity.h"
#include "pipeline/load.h"
#include "plugin/loader.h"
#include "base/log.h"
#include "pipeline/pipeline.h"
#include "pipeline/record.h"
#include "plugin/settings.h"
#include "base/strbuf.h"

struct pipeline {
	const struct conf *conf;
	struct loader *ld;
	PGconn *conn;
	struct entity_registry reg;
	struct recset *rs;
	struct pipeline_count *counts; /* reg.n */
	struct load_count *lc;         /* reg.n, scratch per load */
	struct job_backend be;
};

/* A claimed row; strings point into the claim's PGresult. */
struct claimed {
	int64_t id;
	int64_t integration_id;
	const char *created_at; /* PIPELINE_TS text: the partition key */
	const char *entity, *method, *url, *params, *body;
	size_t body_len;
	const char *plugin, *settings;
	uint32_t http_status;
	int attempts;
	struct pipeline_result *res;
};

static const struct pipeline_broker *broker;

void pipeline_register_broker(const struct pipeline_broker *b)
{
	broker = b;
}

const struct pipeline_broker *pipeline_get_broker(void)
{
	return broker;
}

struct pipeline *pipeline_new(const struct conf *conf, struct loader *ld,
			      char *err, size_t errlen)
{
	struct pipeline *p = calloc(1, sizeof(*p));
	size_t i;

	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->conf = conf;
	p->ld = ld;
	record_backend_install(&p->be);
	if (!(p->conn = db_connect(conf->database_url, err, errlen)) ||
	    entity_registry_load(p->conn, &p->reg, err, errlen) < 0 ||
	    load_prepare(p->conn, &p->reg, err, errlen) < 0)
		goto fail;
	p->rs = recset_new(&p->reg);
	p->counts = calloc(p->reg.n, sizeof(*p->counts));
	p->lc = calloc(p->reg.n, sizeof(*p->lc));
	if (!p->rs || !p->counts || !p->lc) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (i = 0; i < p->reg.n; i++)
		p->counts[i].entity = p->reg.v[i].name;
	return p;
fail:
	pipeline_free(p);
	return NULL;
}

void pipeline_free(struct pipeline *p)
{
	if (!p)
		return;
	recset_free(p->rs);
	entity_registry_free(&p->reg);
	free(p->counts);
	free(p->lc);
	PQfinish(p->conn);
	free(p);
}

const struct pipeline_count *pipeline_counts(const struct pipeline *p,
					     size_t *n)
{
	*n = p->reg.n;
	return p->counts;
}

/* Reconnect after a lost connection; staging tables die with it. */
static int ensure_conn(struct pipeline *p, char *err, size_t errlen)
{
	if (!db_conn_lost(p->conn))
		return 0;
	PQreset(p->conn);
	if (db_conn_lost(p->conn)) {
		char masked[512];

		db_mask_url(p->conf->database_url, masked, sizeof(masked));
		snprintf(err, errlen, "database %s is unreachable: %s", masked,
			 PQerrorMessage(p->conn));
		return -1;
	}
	log_warn("PIPELINE", "event=reconnected");
	return load_prepare(p->conn, &p->reg, err, errlen);
}

int pipeline_ts_valid(const char *s)
{
	/* 2026-01-31T23:59:59.123456Z; the fraction may be cut short */
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	size_t i;

	if (!s)
		return 0;
	for (i = 0; shape[i]; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
			return 0;
	if (s[i] == '.')
		for (i++; isdigit((unsigned char)s[i]) && i < 26; i++)
			;
	return s[i] == 'Z' && s[i + 1] == '\0';
}

/* "{a,b}" for a timestamptz[] parameter: PIPELINE_TS texts need no
 * quoting. */
static void ts_array(struct strbuf *sb, const char *const *ts, size_t n)
{
	size_t i;

	sb_add(sb, "{", 1);
	for (i = 0; i < n; i++)
		sb_addf(sb, "%s%s", i ? "," : "", ts[i]);
	sb_add(sb, "}", 1);
}

/* "{1,2,3}" for a bigint[] parameter. */
static void id_array(struct strbuf *sb, const int64_t *ids, size_t n)
{
	size_t i;

	sb_add(sb, "{", 1);
	for (i = 0; i < n; i++)
		sb_addf(sb, "%s%" PRId64, i ? "," : "", ids[i]);
	sb_add(sb, "}", 1);
}

static void set_result(struct pipeline_result *res, int outcome, int perm,
		       const char *msg)
{
	res->outcome = outcome;
	res->permanent = perm;
	snprintf(res->err, sizeof(res->err), "%.1000s", msg ? msg : "");
}

/* Record failures, each in the same short transaction. */
static void mark_failed(struct pipeline *p, int64_t tenant,
			struct claimed **rows, size_t n)
{
	char err[512], ids[24];
	size_t i;

	if (n == 0)
		return;
	if (db_tenant_begin(p->conn, tenant, err, sizeof(err)) < 0)
		goto lost;
	for (i = 0; i < n; i++) {
		const char *params[4] = {db_i64(ids, rows[i]->id),
					 rows[i]->res->err, db_owner_id(),
					 rows[i]->created_at};
		/* created_at: one partition's index, not all of them */
		PGresult *r = db_query(p->conn, err, sizeof(err),
			"UPDATE raw_extraction_data SET status = 'failed',"
			" error = $2, owner = NULL, updated_at = now()"
			" WHERE id = $1 AND created_at = $4::timestamptz"
			" AND owner = $3", 4, params);

		if (!r) {
			db_rollback(p->conn);
			goto lost;
		}
		PQclear(r);
		log_warn("PIPELINE", "event=raw_failed raw_id=%" PRId64
			 " attempts=%d error=\"%s\"", rows[i]->id,
			 rows[i]->attempts, rows[i]->res->err);
	}
	if (db_commit(p->conn, err, sizeof(err)) == 0)
		return;
lost:
	/* The row stays 'processing'; the sweep resets it later. */
	for (i = 0; i < n; i++)
		rows[i]->res->outcome = PIPE_RETRY;
	log_error("PIPELINE", "event=mark_failed_failed error=\"%s\"", err);
}

struct integ_settings {
	int64_t id;
	struct plugin *plugin;
	struct json_object *settings; /* with defaults */
	char err[512];
};

static struct integ_settings *integ_of(struct pipeline *p,
				       struct integ_settings *v, size_t *nv,
				       const struct claimed *row)
{
	struct integ_settings *is;
	struct json_object *given;
	size_t i;

	for (i = 0; i < *nv; i++)
		if (v[i].id == row->integration_id)
			return &v[i];
	is = &v[(*nv)++];
	memset(is, 0, sizeof(*is));
	is->id = row->integration_id;
	is->plugin = loader_find(p->ld, row->plugin);
	if (!is->plugin || is->plugin->status != PLUGIN_LOADED ||
	    is->plugin->info.kind != PULSE_KIND_SOURCE ||
	    !is->plugin->source.transform) {
		snprintf(is->err, sizeof(is->err), "plugin '%s' of integration "
			 "%" PRId64 " is not loaded here (or has no transform); "
			 "check plugin_dirs on this host", row->plugin,
			 row->integration_id);
		is->plugin = NULL;
		return is;
	}
	given = json_tokener_parse(row->settings);
	is->settings = settings_with_defaults(is->plugin, given, is->err,
					      sizeof(is->err));
	json_object_put(given);
	if (!is->settings)
		is->plugin = NULL;
	return is;
}

/* Transform rows (already claimed by us) and load them in one
 * transaction; on a load failure, retry each row alone. */
static void run_rows(struct pipeline *p, int64_t tenant, struct claimed **rows,
		     size_t n)
{
	struct integ_settings *cache = calloc(n, sizeof(*cache));
	struct claimed **ok = calloc(n, sizeof(*ok)), **bad = calloc(n, sizeof(*bad));
	struct strbuf ids = STRBUF_INIT, ats = STRBUF_INIT;
	size_t ncache = 0, nok = 0, nbad = 0, i;
	char err[1024];
	int transient = 0;

	if (!cache || !ok || !bad) {
		for (i = 0; i < n; i++)
			set_result(rows[i]->res, PIPE_RETRY, 0, "out of memory");
		goto out;
	}
	recset_reset(p->rs);
	for (i = 0; i < n; i++) {
		struct claimed *row = rows[i];
		struct integ_settings *is = integ_of(p, cache, &ncache, row);
		struct pulse_job job;
		pulse_raw_page page = {PULSE_STRUCT_HEADER(pulse_raw_page)};
		int32_t rc;

		row->res->attempts = row->attempts;
		if (!is->plugin) {
			set_result(row->res, PIPE_FAILED, 1, is->err);
			bad[nbad++] = row;
			continue;
		}
		memset(&job, 0, sizeof(job));
		job.plugin = is->plugin;
		job.mode = JOB_TRANSFORM;
		job.tenant_id = tenant;
		job.integration_id = row->integration_id;
		job.settings = is->settings;
		job.be = &p->be;
		job.records = p->rs;
		page.entity = row->entity;
		page.request_method = row->method;
		page.request_url = row->url;
		page.request_params = row->params;
		page.http_status = row->http_status;
		page.body = row->body;
		page.body_len = row->body_len;
		recset_begin_row(p->rs, row->id, row->integration_id,
				 is->plugin->name, row->entity);
		rc = is->plugin->source.transform(is->plugin->state, &job, &page);
		if (rc != PULSE_OK || job.err_class) {
			recset_drop_row(p->rs);
			if (!job.err[0])
				snprintf(job.err, sizeof(job.err), "transform "
					 "returned %d without a reason (plugin "
					 "bug)", rc);
			if (strncmp(job.err, "transform of ", 13) == 0)
				snprintf(err, sizeof(err), "%s", job.err);
			else
				snprintf(err, sizeof(err), "transform of %s: %.800s",
					 p->rs->ctx, job.err);
			set_result(row->res, PIPE_FAILED,
				   job.err_class != PULSE_ERR_TRANSIENT, err);
			bad[nbad++] = row;
			continue;
		}
		row->res->records = recset_row_records(p->rs);
		ok[nok++] = row;
	}
	if (nok > 0) {
		int64_t *v = malloc(nok * sizeof(*v));
		const char **at = malloc(nok * sizeof(*at));
		const char *params[3];
		PGresult *r = NULL;

		for (i = 0; v && at && i < nok; i++) {
			v[i] = ok[i]->id;
			at[i] = ok[i]->created_at;
		}
		if (v && at) {
			id_array(&ids, v, nok);
			ts_array(&ats, at, nok);
		}
		free(v);
		free(at);
		params[0] = ids.buf;
		params[1] = db_owner_id();
		params[2] = ats.buf;
		memset(p->lc, 0, p->reg.n * sizeof(*p->lc));
		if (!ids.buf || !ats.buf) {
			snprintf(err, sizeof(err), "out of memory");
			transient = 1;
			goto load_failed;
		}
		if (db_tenant_begin(p->conn, tenant, err, sizeof(err)) < 0) {
			transient = 1;
			goto load_failed;
		}
		if (load_apply(p->conn, p->rs, tenant, p->lc, &transient, err,
			       sizeof(err)) < 0)
			goto load_failed;
		r = db_query(p->conn, err, sizeof(err),
			     "UPDATE raw_extraction_data SET status = 'completed',"
			     " completed_at = now(), updated_at = now(), error = NULL,"
			     " owner = NULL WHERE id = ANY($1::bigint[])"
			     " AND created_at = ANY($3::timestamptz[]) AND owner = $2",
			     3, params);
		if (!r) {
			transient = 1;
			goto load_failed;
		}
		PQclear(r);
		/* loaded and marked completed, not yet committed */
		FAILPOINT("load.before_commit");
		if (db_commit(p->conn, err, sizeof(err)) < 0) {
			transient = 1;
			goto load_failed;
		}
		/* committed; the caller has not acked or counted it yet */
		FAILPOINT("load.after_commit");
		for (i = 0; i < p->reg.n; i++) {
			p->counts[i].records += p->rs->b[i].nrec;
			p->counts[i].inserted += p->lc[i].inserted;
			p->counts[i].updated += p->lc[i].updated;
			p->counts[i].unchanged += p->lc[i].unchanged;
			p->counts[i].deleted += p->lc[i].deleted;
		}
		for (i = 0; i < nok; i++)
			set_result(ok[i]->res, PIPE_DONE, 0, NULL);
		goto failures;
load_failed:
		db_rollback(p->conn);
		if (nok > 1 && !db_conn_lost(p->conn)) {
			/* find the row that breaks the load */
			for (i = 0; i < nok; i++)
				run_rows(p, tenant, &ok[i], 1);
		} else {
			char msg[1200];

			snprintf(msg, sizeof(msg), "load of %s: %s", p->rs->ctx, err);
			for (i = 0; i < nok; i++) {
				set_result(ok[i]->res, PIPE_FAILED, !transient, msg);
				bad[nbad++] = ok[i];
			}
		}
	}
failures:
	if (nbad > 0) {
		if (ensure_conn(p, err, sizeof(err)) == 0)
			mark_failed(p, tenant, bad, nbad);
		else
			for (i = 0; i < nbad; i++)
				bad[i]->res->outcome = PIPE_RETRY;
	}
out:
	for (i = 0; cache && i < ncache; i++)
		json_object_put(cache[i].settings);
	free(cache);
	free(ok);
	free(bad);
	sb_free(&ids);
	sb_free(&ats);
}

static int cmp_claimed(const void *a, const void *b)
{
	const struct claimed *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

size_t pipeline_process_many(struct pipeline *p, int64_t tenant_id,
			     const int64_t *ids, size_t n,
			     struct pipeline_result *res)
{
	return pipeline_process_at(p, tenant_id, ids, NULL, n, res);
}

/* 1 when every row's partition key is known (and well-formed). */
static int all_known(const char *const *created_at, size_t n)
{
	size_t i;

	if (!created_at)
		return 0;
	for (i = 0; i < n; i++)
		if (!pipeline_ts_valid(created_at[i]))
			return 0;
	return 1;
}

size_t pipeline_process_at(struct pipeline *p, int64_t tenant_id,
			   const int64_t *ids, const char *const *created_at,
			   size_t n, struct pipeline_result *res)
{
	struct strbuf arr = STRBUF_INIT, ats = STRBUF_INIT;
	struct claimed *rows = NULL, **ptrs = NULL;
	PGresult *r = NULL;
	char err[1024], max[16];
	const char *params[4];
	int nparams = 3;
	size_t i, j, k = 0, good = 0;

	for (i = 0; i < n; i++) {
		memset(&res[i], 0, sizeof(res[i]));
		res[i].raw_id = ids[i];
		res[i].outcome = PIPE_NOOP;
	}
	if (n == 0)
		return 0;
	if (ensure_conn(p, err, sizeof(err)) < 0)
		goto retry_all;
	id_array(&arr, ids, n);
	snprintf(max, sizeof(max), "%d", p->conf->jobs_max_attempts);
	params[0] = arr.buf;
	params[1] = db_owner_id();
	params[2] = max;
	/* Known partition keys: the planner prunes to their months. Ids
	 * are unique, so "id in ids and created_at in ats" is the rows. */
	if (all_known(created_at, n)) {
		ts_array(&ats, created_at, n);
		params[nparams++] = ats.buf;
	}
	/* Claim: committed on its own, so the attempt counts even if this
	 * process dies in the plugin. */
	if (!arr.buf || (nparams == 4 && !ats.buf) ||
	    db_tenant_begin(p->conn, tenant_id, err, sizeof(err)) < 0)
		goto retry_all;
	r = db_query(p->conn, err, sizeof(err), nparams == 4 ?
		"UPDATE raw_extraction_data AS r SET status = 'processing',"
		" owner = $2, attempts = r.attempts + 1, updated_at = now()"
		" FROM integrations i"
		" WHERE r.id = ANY($1::bigint[]) AND i.id = r.integration_id"
		" AND r.created_at = ANY($4::timestamptz[])"
		" AND r.status IN ('pending', 'failed') AND NOT r.dead_lettered"
		" AND r.attempts < $3::int"
		" RETURNING r.id, r.integration_id, r.entity, r.request_method,"
		" r.request_url, r.request_params::text, r.http_status,"
		" r.body::text, r.attempts, i.plugin, i.settings::text, "
		PIPELINE_TS_SQL("r.created_at") :
		"UPDATE raw_extraction_data AS r SET status = 'processing',"
		" owner = $2, attempts = r.attempts + 1, updated_at = now()"
		" FROM integrations i"
		" WHERE r.id = ANY($1::bigint[]) AND i.id = r.integration_id"
		" AND r.status IN ('pending', 'failed') AND NOT r.dead_lettered"
		" AND r.attempts < $3::int"
		" RETURNING r.id, r.integration_id, r.entity, r.request_method,"
		" r.request_url, r.request_params::text, r.http_status,"
		" r.body::text, r.attempts, i.plugin, i.settings::text, "
		PIPELINE_TS_SQL("r.created_at"),
		nparams, params);
	if (!r || db_commit(p->conn, err, sizeof(err)) < 0) {
		db_rollback(p->conn);
		goto retry_all;
	}
	rows = calloc((size_t)PQntuples(r) + 1, sizeof(*rows));
	ptrs = calloc((size_t)PQntuples(r) + 1, sizeof(*ptrs));
	if (!rows || !ptrs) {
		snprintf(err, sizeof(err), "out of memory");
		goto retry_all;
	}
	for (j = 0; j < (size_t)PQntuples(r); j++) {
		struct claimed *c = &rows[k];

		c->id = db_int64(r, (int)j, 0);
		for (i = 0; i < n && ids[i] != c->id; i++)
			;
		if (i == n)
			continue;
		c->res = &res[i];
		c->integration_id = db_int64(r, (int)j, 1);
		c->entity = PQgetvalue(r, (int)j, 2);
		c->method = PQgetvalue(r, (int)j, 3);
		c->url = PQgetvalue(r, (int)j, 4);
		c->params = PQgetisnull(r, (int)j, 5) ? NULL : PQgetvalue(r, (int)j, 5);
		c->http_status = (uint32_t)db_int64(r, (int)j, 6);
		c->body = PQgetvalue(r, (int)j, 7);
		c->body_len = (size_t)PQgetlength(r, (int)j, 7);
		c->attempts = (int)db_int64(r, (int)j, 8);
		c->plugin = PQgetvalue(r, (int)j, 9);
		c->settings = PQgetvalue(r, (int)j, 10);
		c->created_at = PQgetvalue(r, (int)j, 11);
		k++;
	}
	/* Pages load in id order, so the last page's record wins. */
	qsort(rows, k, sizeof(*rows), cmp_claimed);
	/* the claim is committed; nothing transformed yet */
	FAILPOINT("transform.claimed");
	for (j = 0; j < k; j++)
		ptrs[j] = &rows[j];
	run_rows(p, tenant_id, ptrs, k);
	goto out;
retry_all:
	for (i = 0; i < n; i++)
		set_result(&res[i], PIPE_RETRY, 0, err);
out:
	for (i = 0; i < n; i++)
		good += res[i].outcome == PIPE_DONE || res[i].outcome == PIPE_NOOP;
	PQclear(r);
	free(rows);
	free(ptrs);
	sb_free(&arr);
	sb_free(&ats);
	return good;
}

int pipeline_process(struct pipeline *p, int64_t tenant_id, int64_t raw_id,
		     struct pipeline_result *res)
{
	pipeline_process_many(p, tenant_id, &raw_id, 1, res);
	return res->outcome;
}

int pipeline_dead_letter(struct pipeline *p, int64_t tenant_id,
			 int64_t raw_id, char *err, size_t errlen)
{
	char ids[24];
	const char *params[1] = {db_i64(ids, raw_id)};
	PGresult *r;

	if (ensure_conn(p, err, errlen) < 0 ||
	    db_tenant_begin(p->conn, tenant_id, err, errlen) < 0)
		return -1;
	r = db_query(p->conn, err, errlen, "UPDATE raw_extraction_data SET "
		     "dead_lettered = true, updated_at = now() WHERE id = $1",
		     1, params);
	if (!r) {
		db_rollback(p->conn);
		return -1;
	}
	PQclear(r);
	return db_commit(p->conn, err, errlen);
}

long pipeline_sweep(struct pipeline *p, int stale_seconds, int max_attempts,
		    pipeline_dispatch_fn fn, void *ctx, char *err,
		    size_t errlen)
{
	char st[16], mx[16], ids[24];
	const char *params[3] = {st, mx, "10000"};
	PGresult *r;
	long found = 0;
	int i;

	if (ensure_conn(p, err, errlen) < 0)
		return -1;
	snprintf(st, sizeof(st), "%d", stale_seconds);
	snprintf(mx, sizeof(mx), "%d", max_attempts);
	r = db_query(p->conn, err, errlen,
		     "SELECT tenant_id, raw_id, status, owner, age_seconds"
		     " FROM host_stale_raw($1, $2, $3)", 3, params);
	if (!r)
		return -1;
	for (i = 0; i < PQntuples(r); i++) {
		int64_t tenant = db_int64(r, i, 0), id = db_int64(r, i, 1);
		const char *owner = PQgetisnull(r, i, 3) ? NULL : PQgetvalue(r, i, 3);

		if (strcmp(PQgetvalue(r, i, 2), "processing") == 0) {
			const char *up[2] = {db_i64(ids, id), owner};
			PGresult *u;
			int reset;

			/* A live owner elsewhere on this host is still at it;
			 * our own rows are not (we are sweeping, not working). */
			if (owner && db_owner_alive(owner) &&
			    strcmp(owner, db_owner_id()) != 0)
				continue;
			/* another host's worker: only its age tells, so give
			 * it jobs.stale_seconds whatever the caller asked */
			if (owner && !db_owner_same_host(owner) &&
			    db_int64(r, i, 4) < p->conf->jobs_stale_s)
				continue;
			if (db_tenant_begin(p->conn, tenant, err, errlen) < 0)
				goto fail;
			u = db_query(p->conn, err, errlen,
				     "UPDATE raw_extraction_data SET status = 'pending',"
				     " owner = NULL, updated_at = now() WHERE id = $1"
				     " AND status = 'processing'"
				     " AND owner IS NOT DISTINCT FROM $2", 2, up);
			if (!u) {
				db_rollback(p->conn);
				goto fail;
			}
			reset = atoi(PQcmdTuples(u)) > 0;
			PQclear(u);
			if (db_commit(p->conn, err, errlen) < 0)
				goto fail;
			if (!reset)
				continue;
			log_debug("PIPELINE", "event=sweep_reset raw_id=%" PRId64
				 " owner=%s", id, owner ? owner : "-");
		}
		if (fn(ctx, tenant, id, NULL, err, errlen) < 0)
			goto fail;
		found++;
	}
	PQclear(r);
	return found;
fail:
	PQclear(r);
	return -1;
}
