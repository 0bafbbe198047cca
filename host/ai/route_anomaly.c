/*
 * route_anomaly: a provider whose error rate or p95 latency jumps gets an
 * ai_anomalies row and a WARN. The rule (route_int.h, docs/ai.md)
 * compares the recent window with the baseline window just before it,
 * so a provider that has always been slow or flaky raises nothing: only
 * a change does. Each (integration, metric) raises at most one row per
 * recent window.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ai/route_int.h"
#include "base/log.h"
#include "db/db.h"

#define AI_CAT "AI"
#define STR_(x) #x
#define STR(x) STR_(x)

/* One window's figures. */
struct win {
	long calls, errors, ok;
	double p95;        /* of ok calls; -1: none */
	char model[128];
};

/* Both windows of integration id, in one statement. */
#define WINDOWS_SQL \
	"SELECT created_at >= now() - interval '" STR(AI_ANOM_RECENT_MIN) \
	" minutes', count(*), count(*) FILTER (WHERE outcome <> 'ok')," \
	" count(*) FILTER (WHERE outcome = 'ok')," \
	" percentile_disc(0.95) WITHIN GROUP (ORDER BY latency_ms)" \
	" FILTER (WHERE outcome = 'ok'), coalesce(max(model), '')" \
	" FROM ai_usage WHERE tenant_id = $1 AND integration_id = $2" \
	" AND created_at >= now() - interval '" STR(AI_ANOM_RECENT_MIN) \
	" minutes' - interval '" STR(AI_ANOM_BASELINE_H) " hours'" \
	" AND created_at <= now() GROUP BY 1"

/* A row unless one for the same metric is already in the recent window. */
#define RAISE_SQL \
	"INSERT INTO ai_anomalies (tenant_id, integration_id, model, metric," \
	" baseline, observed, window_calls) SELECT $1, $2, $3, $4, $5, $6, $7" \
	" WHERE NOT EXISTS (SELECT 1 FROM ai_anomalies WHERE tenant_id = $1" \
	" AND integration_id = $2 AND metric = $4 AND detected_at >= now() -" \
	" interval '" STR(AI_ANOM_RECENT_MIN) " minutes')"

static int raise_one(PGconn *db, int64_t tenant, int64_t id,
		     const struct win *now, const char *metric, double base,
		     double seen, int *raised, char *err, size_t errlen)
{
	char t[24], i[24], b[40], o[40], n[24];
	const char *p[7] = {db_i64(t, tenant), db_i64(i, id), now->model,
			    metric, b, o, n};
	PGresult *r;
	int added;

	snprintf(b, sizeof(b), "%.6f", base);
	snprintf(o, sizeof(o), "%.6f", seen);
	snprintf(n, sizeof(n), "%ld", now->calls);
	if (!(r = db_query(db, err, errlen, RAISE_SQL, 7, p)))
		return -1;
	added = atoi(PQcmdTuples(r)) > 0;
	PQclear(r);
	if (added) {
		if (raised)
			(*raised)++;
		log_warn(AI_CAT, "anomaly tenant=%lld integration=%lld model=%s "
			 "metric=%s baseline=%.4g observed=%.4g window_calls=%ld "
			 "window_min=%d", (long long)tenant, (long long)id,
			 now->model, metric, base, seen, now->calls,
			 AI_ANOM_RECENT_MIN);
	}
	return 0;
}

static void win_read(const PGresult *r, int row, struct win *w)
{
	w->calls = atol(PQgetvalue(r, row, 1));
	w->errors = atol(PQgetvalue(r, row, 2));
	w->ok = atol(PQgetvalue(r, row, 3));
	w->p95 = PQgetisnull(r, row, 4) ? -1 : atof(PQgetvalue(r, row, 4));
	snprintf(w->model, sizeof(w->model), "%s", PQgetvalue(r, row, 5));
}

/* The rule on two windows, inside the caller's tenant transaction. */
static int judge(PGconn *db, int64_t tenant, int64_t id, int *raised,
		 char *err, size_t errlen)
{
	char t[24], i[24];
	const char *p[2] = {db_i64(t, tenant), db_i64(i, id)};
	struct win now = {0}, base = {0};
	PGresult *r = db_query(db, err, errlen, WINDOWS_SQL, 2, p);
	double er_now, er_base;
	int rc = 0;

	if (!r)
		return -1;
	for (int k = 0; k < PQntuples(r); k++)
		win_read(r, k, PQgetvalue(r, k, 0)[0] == 't' ? &now : &base);
	PQclear(r);
	if (now.calls < AI_ANOM_MIN_CALLS || base.calls < AI_ANOM_MIN_CALLS)
		return 0; /* too few calls to tell a jump from noise */
	er_now = (double)now.errors / (double)now.calls;
	er_base = (double)base.errors / (double)base.calls;
	if (er_now >= AI_ANOM_ERR_FLOOR &&
	    er_now >= 2 * er_base + AI_ANOM_ERR_RISE)
		rc = raise_one(db, tenant, id, &now, "error_rate", er_base,
			       er_now, raised, err, errlen);
	if (rc == 0 && now.ok >= AI_ANOM_MIN_CALLS &&
	    base.ok >= AI_ANOM_MIN_CALLS && base.p95 >= 0 &&
	    now.p95 >= AI_ANOM_P95_FACTOR * base.p95 &&
	    now.p95 - base.p95 >= AI_ANOM_P95_RISE_MS)
		rc = raise_one(db, tenant, id, &now, "p95_latency_ms", base.p95,
			       now.p95, raised, err, errlen);
	return rc;
}

int ai_anomaly_check(PGconn *db, int64_t tenant, int64_t id, int *raised,
		     char *err, size_t errlen)
{
	if (db_tenant_begin(db, tenant, err, errlen) < 0)
		return -1;
	if (judge(db, tenant, id, raised, err, errlen) < 0 ||
	    db_commit(db, err, errlen) < 0) {
		db_rollback(db);
		return -1;
	}
	return 0;
}

int ai_anomaly_check_all(PGconn *db, int64_t tenant, int *raised, char *err,
			 size_t errlen)
{
	char t[24];
	const char *p[1] = {db_i64(t, tenant)};
	PGresult *r;
	int rc = 0;

	if (db_tenant_begin(db, tenant, err, errlen) < 0)
		return -1;
	r = db_query(db, err, errlen, "SELECT DISTINCT integration_id FROM"
		     " ai_usage WHERE tenant_id = $1 AND integration_id IS NOT"
		     " NULL AND created_at >= now() - interval '"
		     STR(AI_ANOM_RECENT_MIN) " minutes'", 1, p);
	if (!r)
		rc = -1;
	for (int k = 0; r && rc == 0 && k < PQntuples(r); k++)
		rc = judge(db, tenant, db_int64(r, k, 0), raised, err, errlen);
	PQclear(r);
	if (rc < 0 || db_commit(db, err, errlen) < 0) {
		db_rollback(db);
		return -1;
	}
	return 0;
}

/* ---- after each call, at most once a minute per integration ---- */

#define SEEN_SLOTS 64
#define SEEN_EVERY_MS 60000

static struct {
	int64_t id;
	uint64_t at_ms;
} seen[SEEN_SLOTS];
static pthread_mutex_t seen_mu = PTHREAD_MUTEX_INITIALIZER;

/* Claim the check of id at now_ms: 1 if due (and recorded), else 0. */
static int due(int64_t id, uint64_t now_ms)
{
	size_t pick = 0;
	int go = 1;

	pthread_mutex_lock(&seen_mu);
	for (size_t k = 0; k < SEEN_SLOTS; k++) {
		if (seen[k].id == id) {
			pick = k;
			go = now_ms - seen[k].at_ms >= SEEN_EVERY_MS ||
			     now_ms < seen[k].at_ms;
			break;
		}
		if (seen[k].at_ms < seen[pick].at_ms)
			pick = k; /* the oldest (or a free) slot */
	}
	if (go) {
		seen[pick].id = id;
		seen[pick].at_ms = now_ms;
	}
	pthread_mutex_unlock(&seen_mu);
	return go;
}

void ai_anomaly_after_call(PGconn *db, int64_t tenant, int64_t id,
			   uint64_t now_ms)
{
	char err[512];

	if (!db || id <= 0 || !due(id, now_ms))
		return;
	if (ai_anomaly_check(db, tenant, id, NULL, err, sizeof(err)) < 0)
		log_warn(AI_CAT, "anomaly check failed tenant=%lld "
			 "integration=%lld: %s", (long long)tenant,
			 (long long)id, err);
}
