/* route_usage: ai_usage rows and model pins, each in a tenant transaction. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ai/route_int.h"
#include "db/db.h"

/* Columns: integration_id, plugin, model, context, calls, errors,
 * error_rate, input_tokens, output_tokens, cost_usd, p50_ms, p95_ms,
 * local_share; the total row has NULL plugin. Latency percentiles are of
 * successful calls. */
#define AI_USAGE_REPORT_TAIL \
	" SELECT integration_id, plugin, model, context, count(*) AS calls," \
	" count(*) FILTER (WHERE outcome <> 'ok') AS errors," \
	" round(count(*) FILTER (WHERE outcome <> 'ok')::numeric / nullif(count(*), 0), 4)" \
	" AS error_rate, sum(input_tokens) AS input_tokens," \
	" sum(output_tokens) AS output_tokens, sum(cost_usd) AS cost_usd," \
	" percentile_disc(0.5) WITHIN GROUP (ORDER BY latency_ms)" \
	" FILTER (WHERE outcome = 'ok') AS p50_ms," \
	" percentile_disc(0.95) WITHIN GROUP (ORDER BY latency_ms)" \
	" FILTER (WHERE outcome = 'ok') AS p95_ms," \
	" round(count(*) FILTER (WHERE outcome = 'ok' AND local)::numeric /" \
	" nullif(count(*) FILTER (WHERE outcome = 'ok'), 0), 4) AS local_share" \
	" FROM u GROUP BY GROUPING SETS ((integration_id, plugin, model," \
	" context), ()) ORDER BY plugin NULLS LAST, model, context"

/* One statement in its own tenant transaction; the result, or NULL. */
static PGresult *tenant_exec(PGconn *db, int64_t tenant, const char *sql,
			     int n, const char *const *params, char *err,
			     size_t errlen)
{
	PGresult *r;

	if (db_tenant_begin(db, tenant, err, errlen) < 0)
		return NULL;
	r = db_query(db, err, errlen, sql, n, params);
	if (!r || db_commit(db, err, errlen) < 0) {
		PQclear(r);
		db_rollback(db);
		return NULL;
	}
	return r;
}

static const char *u64(char *buf, uint64_t v)
{
	snprintf(buf, 24, "%" PRIu64, v);
	return buf;
}

int ai_usage_insert(PGconn *db, int64_t tenant, const struct ai_usage_row *u,
		    char *err, size_t errlen)
{
	char ten[24], iid[24], items[24], in[24], out[24], lat[24];
	const char *p[15] = {
		db_i64(ten, tenant),
		u->integration_id > 0 ? db_i64(iid, u->integration_id) : NULL,
		u->plugin ? u->plugin : "",
		u->model ? u->model : "",
		u->context ? u->context : "",
		u->operation ? u->operation : "",
		u64(items, u->items), u64(in, u->input_tokens),
		u64(out, u->output_tokens), u64(lat, u->latency_ms),
		u->outcome, u->error,
		u->price_in && *u->price_in ? u->price_in : NULL,
		u->price_out && *u->price_out ? u->price_out : NULL,
		u->local ? "t" : "f",
	};
	/* Cost in exact decimal arithmetic: tokens x price per 1M / 1e6. */
	PGresult *r = tenant_exec(db, tenant,
		"INSERT INTO ai_usage (tenant_id, integration_id, plugin, model,"
		" context, operation, items, input_tokens, output_tokens,"
		" latency_ms, outcome, error, local, cost_usd) VALUES"
		" ($1, $2, $3, $4, $5, $6, $7, $8::bigint, $9::bigint, $10, $11, $12, $15,"
		" CASE WHEN $13::numeric IS NULL AND $14::numeric IS NULL"
		" THEN NULL ELSE ($8::bigint::numeric * coalesce($13::numeric, 0) +"
		" $9::bigint::numeric * coalesce($14::numeric, 0)) / 1000000 END)",
		15, p, err, errlen);

	PQclear(r);
	return r ? 0 : -1;
}

int ai_pin_get(PGconn *db, int64_t tenant, const char *context, char *model,
	       size_t modellen, uint32_t *dim, char *err, size_t errlen)
{
	char ten[24];
	const char *p[2] = {db_i64(ten, tenant), context};
	PGresult *r = tenant_exec(db, tenant,
		"SELECT model, dimension FROM ai_model_pins WHERE tenant_id = $1"
		" AND context = $2", 2, p, err, errlen);
	int rc;

	if (!r)
		return -1;
	rc = PQntuples(r) > 0;
	if (rc) {
		snprintf(model, modellen, "%s", PQgetvalue(r, 0, 0));
		*dim = (uint32_t)db_int64(r, 0, 1);
	}
	PQclear(r);
	return rc;
}

int ai_pin_set(PGconn *db, int64_t tenant, const char *context,
	       const char *model, uint32_t dim, int64_t integration_id,
	       char *err, size_t errlen)
{
	char ten[24], d[24], iid[24], have[256];
	const char *p[5] = {db_i64(ten, tenant), context, model,
			    u64(d, dim),
			    integration_id > 0 ? db_i64(iid, integration_id) : NULL};
	PGresult *r = tenant_exec(db, tenant,
		"INSERT INTO ai_model_pins (tenant_id, context, model, dimension,"
		" integration_id) VALUES ($1, $2, $3, $4, $5)"
		" ON CONFLICT (tenant_id, context) DO NOTHING", 5, p, err, errlen);
	uint32_t hdim = 0;
	int got;

	if (!r)
		return -1;
	PQclear(r);
	/* Another process may have pinned first: the pin that exists wins. */
	got = ai_pin_get(db, tenant, context, have, sizeof(have), &hdim, err,
			 errlen);
	if (got < 0)
		return -1;
	if (got && (strcmp(have, model) || hdim != dim)) {
		snprintf(err, errlen, "context '%s' of tenant %lld is pinned to "
			 "model %s (%u dimensions), not %s (%u)", context,
			 (long long)tenant, have, hdim, model, dim);
		return 1;
	}
	return 0;
}

/* since: "7d", "24h", "30m" (ago), or a date/time PostgreSQL reads. */
static int since_param(const char *since, char *buf, size_t len, char *err,
		       size_t errlen)
{
	char *end;
	long n;

	if (!since || !*since) {
		snprintf(buf, len, "-infinity");
		return 0;
	}
	n = strtol(since, &end, 10);
	if (end != since && n >= 0 && end[0] && !end[1] &&
	    strchr("dhm", end[0])) {
		snprintf(buf, len, "%ld %s", n, end[0] == 'd' ? "days" :
			 end[0] == 'h' ? "hours" : "minutes");
		return 1;
	}
	if (strlen(since) >= len || strspn(since, "0123456789-:T +Z.") !=
	    strlen(since)) {
		snprintf(err, errlen, "--since '%s': give a duration ago (7d, "
			 "24h, 30m) or a date (2026-12-01)", since);
		return -1;
	}
	snprintf(buf, len, "%s", since);
	return 0;
}

PGresult *ai_usage_report(PGconn *db, int64_t tenant, const char *since,
			  char *err, size_t errlen)
{
	char ten[24], s[64];
	int kind = since_param(since, s, sizeof(s), err, errlen);
	const char *p[2] = {db_i64(ten, tenant), s};

	if (kind < 0)
		return NULL;
	/* One row per provider/model/context, then a total row (grouping
	 * sets) carrying the local share of successful calls. */
	return tenant_exec(db, tenant, kind == 1 ?
		"WITH u AS (SELECT * FROM ai_usage WHERE tenant_id = $1 AND"
		" created_at >= now() - $2::interval)" AI_USAGE_REPORT_TAIL :
		"WITH u AS (SELECT * FROM ai_usage WHERE tenant_id = $1 AND"
		" created_at >= $2::timestamptz)" AI_USAGE_REPORT_TAIL,
		2, p, err, errlen);
}
