/* metrics: GET /metrics (see metrics.h): access check, then the
 * database families from host_metrics() and the shared counters. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/conf.h"
#include "base/crypto.h"
#include "base/log.h"
#include "db/db.h"
#include "server/metrics.h"
#include "server/metrics_shm.h"

/* The database families, in output order: host_metrics()'s metric key,
 * our name, type and help. */
static const struct family {
	const char *key, *name, *type, *help;
} families[] = {
	{"jobs", "pulse_jobs", "gauge", "ETL jobs by state (all tenants)."},
	{"jobs_oldest_running_seconds", "pulse_jobs_oldest_running_seconds",
	 "gauge", "Seconds since the last heartbeat of the most silent RUNNING job (0: none running)."},
	{"raw_rows", "pulse_raw_rows", "gauge", "Raw extraction rows (one per fetched page) by status."},
	{"raw_dead_letters", "pulse_raw_dead_letters", "gauge",
	 "Raw rows dead-lettered after their last attempt."},
	{"queue_depth", "pulse_queue_depth", "gauge",
	 "Work waiting or in progress per queue (the database rows are the queue's truth)."},
	{"vectorization_backlog", "pulse_vectorization_backlog", "gauge",
	 "Vectorization queue rows not completed, by status."},
	{"pages", "pulse_pages", "gauge",
	 "Pages stored by the job runs kept (housekeeping.history_days), per plugin."},
	{"records", "pulse_records", "gauge",
	 "Records transformed by the job runs kept, per plugin."},
	{"ai_calls", "pulse_ai_calls", "gauge",
	 "AI provider calls recorded in ai_usage, per provider and outcome."},
	{"ai_tokens", "pulse_ai_tokens", "gauge",
	 "AI tokens recorded in ai_usage, per provider and direction."},
	{"ai_failures", "pulse_ai_failures", "gauge",
	 "AI provider calls that failed, per provider."},
	{NULL, NULL, NULL, NULL},
};

/* The configured token (first line of metrics.token_file) matches the
 * request's bearer? 1 yes, 0 no, -1 the file cannot be read (err). */
static int token_ok(const char *file, const char *authz, char *err,
		    size_t errlen)
{
	char want[512], got[512];
	size_t n, i;
	unsigned char diff = 0;
	FILE *f = fopen(file, "re");
	int rc = -1;

	memset(want, 0, sizeof(want));
	memset(got, 0, sizeof(got));
	if (!f) {
		snprintf(err, errlen, "metrics.token_file %s: %s", file,
			 strerror(errno));
		goto out;
	}
	if (!fgets(want, sizeof(want), f) || !(n = strcspn(want, "\r\n"))) {
		snprintf(err, errlen, "metrics.token_file %s is empty", file);
		goto out;
	}
	want[n] = '\0';
	rc = 0;
	if (!authz || strncasecmp(authz, "Bearer ", 7) != 0)
		goto out;
	authz += 7;
	while (*authz == ' ')
		authz++;
	if (strlen(authz) != n)
		goto out;
	snprintf(got, sizeof(got), "%s", authz);
	/* Constant time over the token's length. */
	for (i = 0; i < n; i++)
		diff |= (unsigned char)(want[i] ^ got[i]);
	rc = diff == 0;
out:
	if (f)
		fclose(f);
	explicit_bzero(want, sizeof(want));
	explicit_bzero(got, sizeof(got));
	return rc;
}

static void refuse(struct metrics_reply *rs, int status, const char *msg)
{
	rs->status = status;
	rs->content_type = "text/plain; charset=utf-8";
	sb_adds(rs->body, msg);
}

/* Rows of r whose metric is key, as samples of name. */
static void db_family(struct strbuf *b, const PGresult *r, const char *key,
		      const char *name)
{
	int i;

	for (i = 0; r && i < PQntuples(r); i++) {
		const char *labels[5];

		if (strcmp(PQgetvalue(r, i, 0), key) != 0)
			continue;
		labels[0] = PQgetvalue(r, i, 1);
		labels[1] = PQgetvalue(r, i, 2);
		labels[2] = PQgetvalue(r, i, 3);
		labels[3] = PQgetvalue(r, i, 4);
		labels[4] = NULL;
		metrics_sample(b, name, labels, strtod(PQgetvalue(r, i, 5), NULL));
	}
}

/* Rows of metric key for provider p (rows come ordered by bound). */
static void hist_rows(struct strbuf *b, const PGresult *r, const char *key,
		      const char *p, const char *name)
{
	int i;

	for (i = 0; i < PQntuples(r); i++) {
		const char *labels[] = {PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
			PQgetvalue(r, i, 3), PQgetvalue(r, i, 4), NULL};

		if (strcmp(PQgetvalue(r, i, 0), key) == 0 &&
		    strcmp(PQgetvalue(r, i, 2), p) == 0)
			metrics_sample(b, name, labels,
				       strtod(PQgetvalue(r, i, 5), NULL));
	}
}

static void render_db(struct strbuf *b, const PGresult *r)
{
	const struct family *f;

	for (f = families; f->key; f++) {
		metrics_family(b, f->name, f->type, f->help);
		db_family(b, r, f->key, f->name);
	}
	metrics_family(b, "pulse_ai_latency_seconds", "histogram",
		       "Latency of AI provider calls recorded in ai_usage, per provider.");
	/* Per provider (one ai_latency_count row each): its buckets in
	 * order, then _sum and _count, so each series group is contiguous. */
	{
		int i;

		for (i = 0; r && i < PQntuples(r); i++) {
			const char *p = PQgetvalue(r, i, 2);

			if (strcmp(PQgetvalue(r, i, 0), "ai_latency_count") != 0)
				continue;
			hist_rows(b, r, "ai_latency_bucket", p,
				  "pulse_ai_latency_seconds_bucket");
			hist_rows(b, r, "ai_latency_sum", p,
				  "pulse_ai_latency_seconds_sum");
			hist_rows(b, r, "ai_latency_count", p,
				  "pulse_ai_latency_seconds_count");
		}
	}
}

static void render_shm(struct strbuf *b)
{
	struct metrics_shm_view *v = malloc(sizeof(*v));
	int i;

	if (!v)
		return;
	metrics_shm_read(v);
	metrics_family(b, "pulse_http_requests_total", "counter",
		       "Outgoing HTTP attempts by host and status (0: no response) since the daemon started.");
	for (i = 0; i < v->nhttp; i++) {
		char st[16];
		const char *labels[] = {"host", v->http[i].host, "status", st, NULL};

		snprintf(st, sizeof(st), "%d", v->http[i].status);
		metrics_sample(b, "pulse_http_requests_total", labels,
			       (double)v->http[i].count);
	}
	metrics_family(b, "pulse_http_retries_total", "counter",
		       "Outgoing HTTP requests retried after a transient failure.");
	metrics_sample(b, "pulse_http_retries_total", NULL, (double)v->retries);
	metrics_family(b, "pulse_http_rate_limit_waits_total", "counter",
		       "Waits for a rate limit or request budget.");
	metrics_sample(b, "pulse_http_rate_limit_waits_total", NULL, (double)v->waits);
	metrics_family(b, "pulse_http_rate_limit_wait_seconds_total", "counter",
		       "Seconds spent waiting for rate limits or request budgets.");
	metrics_sample(b, "pulse_http_rate_limit_wait_seconds_total", NULL,
		       (double)v->wait_ms / 1000.0);
	metrics_family(b, "pulse_websocket_viewers", "gauge",
		       "WebSocket progress viewers connected now.");
	metrics_sample(b, "pulse_websocket_viewers", NULL, (double)v->viewers);
	free(v);
}

void metrics_handle(const struct conf *conf, const struct metrics_req *rq,
		    struct metrics_reply *rs, PGconn *db, const char *dberr)
{
	const char *tf = conf->metrics_token_file;
	PGresult *r = NULL;
	char err[512];
	int ok;

	if (strcmp(rq->method, "GET") != 0 && strcmp(rq->method, "HEAD") != 0) {
		refuse(rs, 405, "only GET on /metrics\n");
		return;
	}
	if (tf && *tf) {
		ok = token_ok(tf, rq->authorization, err, sizeof(err));
		if (ok < 0) {
			log_error("METRICS", "error=\"%s\"", err);
			refuse(rs, 500, "the metrics token file cannot be read; "
			       "the daemon's log says why\n");
			return;
		}
		if (!ok) {
			refuse(rs, 401, "a metrics token is required: send "
			       "'Authorization: Bearer TOKEN' with the token in "
			       "metrics.token_file\n");
			return;
		}
	} else if (!rq->peer_loopback) {
		refuse(rs, 403, "/metrics answers loopback only; set "
		       "metrics.token_file to allow scrapes from elsewhere with "
		       "a bearer token (docs/operations.md)\n");
		return;
	}
	if (db && !(r = db_query(db, err, sizeof(err), "SELECT metric, k1, v1, "
				 "k2, v2, value FROM host_metrics() ORDER BY metric, "
				 "v1, CASE WHEN k2 = 'le' THEN (CASE v2 WHEN '+Inf' "
				 "THEN 'infinity' ELSE v2 END)::float8 END, v2",
				 0, NULL)))
		dberr = err;
	if (!r)
		log_warn("METRICS", "database figures left out: %s",
			 dberr ? dberr : "no database");
	rs->status = 200;
	rs->content_type = "text/plain; version=0.0.4; charset=utf-8";
	metrics_family(rs->body, "pulse_build_info", "gauge",
		       "The daemon's version (value 1).");
	{
		const char *labels[] = {"version", PACKAGE_VERSION, NULL};

		metrics_sample(rs->body, "pulse_build_info", labels, 1);
	}
	metrics_family(rs->body, "pulse_database_up", "gauge",
		       "1 when the database figures below could be read.");
	metrics_sample(rs->body, "pulse_database_up", NULL, r ? 1 : 0);
	if (r)
		render_db(rs->body, r);
	render_shm(rs->body);
	PQclear(r);
}
