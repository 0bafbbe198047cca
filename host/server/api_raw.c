/* api_raw: GET /raw, GET /raw/ID (the raw ledger) and GET /queue. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "db/db.h"
#include "model/raw.h"
#include "server/api_int.h"

void api_raw_get(struct call *c)
{
	char err[1024];
	PGresult *r = raw_row(c->db, c->who.tenant, c->id, err, sizeof(err));

	if (!r) {
		api_reply_db_error(c, err);
		return;
	}
	if (PQntuples(r) == 1) {
		json_object *o = api_row_json(r, 0);

		api_reply_json(c->rs, 200, o);
		json_object_put(o);
	} else {
		api_reply_error(c->rs, 404, "not_found", "raw row %" PRId64
				" not found", c->id);
	}
	PQclear(r);
}

void api_raw_list(struct call *c)
{
	char status[32], limit[16], integ[24], err[1024];
	const char *p[3];
	PGresult *r;
	json_object *o;

	p[0] = api_query_arg(c->rq->query, "status", status, sizeof(status));
	if (!p[0])
		p[0] = "failed";
	if (strcmp(p[0], "pending") && strcmp(p[0], "processing") &&
	    strcmp(p[0], "completed") && strcmp(p[0], "failed")) {
		api_reply_error(c->rs, 400, "bad_request", "status must be pending, "
				"processing, completed or failed");
		return;
	}
	p[1] = api_query_arg(c->rq->query, "limit", limit, sizeof(limit));
	if (!p[1] || api_parse_id(p[1], strlen(p[1])) <= 0)
		p[1] = "100";
	p[2] = api_query_arg(c->rq->query, "integration", integ, sizeof(integ));
	if (p[2] && api_parse_id(p[2], strlen(p[2])) <= 0) {
		api_reply_error(c->rs, 400, "bad_request", "integration must be an id");
		return;
	}
	r = raw_rows(c->db, c->who.tenant, p[0], p[1], p[2], err, sizeof(err));
	if (!r) {
		api_reply_db_error(c, err);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "raw", api_rows_json(r));
	api_reply_json(c->rs, 200, o);
	json_object_put(o);
	PQclear(r);
}

/* {"insert": n, ...} from rows (key, count). */
static json_object *counts_json(const PGresult *r, int keycol, const char *const *keys)
{
	json_object *o = json_object_new_object();
	int row, i;

	for (i = 0; keys[i]; i++)
		json_object_object_add(o, keys[i], json_object_new_int64(0));
	for (row = 0; row < PQntuples(r); row++) {
		json_object *v;
		int64_t n = db_int64(r, row, 2);
		const char *k = PQgetvalue(r, row, keycol);

		if (json_object_object_get_ex(o, k, &v))
			n += json_object_get_int64(v);
		json_object_object_add(o, k, json_object_new_int64(n));
	}
	return o;
}

void api_queue_summary(struct call *c)
{
	static const char *const statuses[] = {"pending", "processing",
		"completed", "failed", NULL};
	static const char *const ops[] = {"insert", "update", "delete", NULL};
	PGresult *r, *w;
	json_object *o, *vq, *raw;
	char err[1024];

	if (raw_queue_counts(c->db, c->who.tenant, &r, &w, err, sizeof(err)) < 0) {
		api_reply_db_error(c, err);
		return;
	}
	o = json_object_new_object();
	vq = json_object_new_object();
	json_object_object_add(vq, "by_status", counts_json(r, 0, statuses));
	{
		/* by_operation: what is still waiting (not completed). */
		json_object *byop = json_object_new_object();
		int i, row;
		int64_t total = 0;

		for (i = 0; ops[i]; i++) {
			int64_t n = 0;

			for (row = 0; row < PQntuples(r); row++)
				if (strcmp(PQgetvalue(r, row, 1), ops[i]) == 0 &&
				    strcmp(PQgetvalue(r, row, 0), "completed") != 0)
					n += db_int64(r, row, 2);
			json_object_object_add(byop, ops[i], json_object_new_int64(n));
			total += n;
		}
		json_object_object_add(vq, "by_operation", byop);
		json_object_object_add(vq, "waiting", json_object_new_int64(total));
	}
	raw = json_object_new_object();
	json_object_object_add(raw, "by_status", counts_json(w, 0, statuses));
	json_object_object_add(o, "vectorization", vq);
	json_object_object_add(o, "raw", raw);
	api_reply_json(c->rs, 200, o);
	json_object_put(o);
	PQclear(r);
	PQclear(w);
}
