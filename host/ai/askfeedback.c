/* askfeedback: ask_feedback rows and the learning memory's rating (see
 * askfeedback.h). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ai/askfeedback.h"
#include "db/db.h"
#include "model/tenant.h"

int64_t askfb_record(PGconn *c, int64_t tenant, const struct askfb_entry *e,
		     char *err, size_t errlen)
{
	const char *p[7];
	char tb[24], mb[24];
	PGresult *r = NULL;
	int64_t id = -1;

	p[0] = db_i64(tb, tenant);
	p[1] = e->memory_id ? db_i64(mb, e->memory_id) : NULL;
	p[2] = e->question;
	p[3] = e->sql;
	p[4] = e->verdict;
	p[5] = e->comment;
	p[6] = e->actor;
	if (db_tenant_begin(c, tenant, err, errlen) < 0)
		return -1;
	if (e->memory_id) {
		/* The rating the learning memory reads: a "not helpful"
		 * answer is no longer offered as a worked example. */
		r = db_query(c, err, errlen,
			     "UPDATE ai_learning_memory SET feedback = CASE $2 "
			     "WHEN 'helpful' THEN 'good' ELSE 'bad' END, "
			     "updated_at = now() WHERE id = $1", 2,
			     (const char *const[]){p[1], p[4]});
		if (!r)
			goto out;
		if (strcmp(PQcmdTuples(r), "1") != 0) {
			snprintf(err, errlen, "memory_id %" PRId64 " is no answer "
				 "of this tenant (give the memory_id of the ask "
				 "reply, or leave it out)", e->memory_id);
			id = 0;
			goto out;
		}
		PQclear(r);
	}
	r = db_query(c, err, errlen,
		     "INSERT INTO ask_feedback (tenant_id, memory_id, question, "
		     "sql, verdict, comment, actor) VALUES ($1, $2, $3, $4, $5, "
		     "$6, $7) RETURNING id", 7, p);
	if (!r)
		goto out;
	id = db_int64(r, 0, 0);
	if (db_commit(c, err, errlen) < 0)
		id = -1;
out:
	PQclear(r);
	if (id <= 0)
		db_rollback(c);
	return id;
}

json_object *askfb_list_json(PGconn *c, int64_t tenant, int limit, char *err,
			     size_t errlen)
{
	static const char sql[] =
		"SELECT id, to_char(created_at AT TIME ZONE 'UTC', "
		"'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), verdict, memory_id, question, "
		"sql, comment, actor FROM ask_feedback "
		"ORDER BY created_at DESC, id DESC LIMIT $1";
	static const char *const keys[] = {"id", "at", "verdict", "memory_id",
		"question", "sql", "comment", "actor"};
	char lb[24];
	const char *p[1] = {db_i64(lb, limit)};
	json_object *arr;
	PGresult *r = tenant_query(c, tenant, sql, 1, p, err, errlen);
	int i, k;

	if (!r)
		return NULL;
	arr = json_object_new_array();
	for (i = 0; i < PQntuples(r); i++) {
		json_object *o = json_object_new_object();

		for (k = 0; k < 8; k++) {
			json_object *v = NULL;

			if (!PQgetisnull(r, i, k))
				v = k == 0 || k == 3 ?
				    json_object_new_int64(db_int64(r, i, k)) :
				    json_object_new_string(PQgetvalue(r, i, k));
			json_object_object_add(o, keys[k], v);
		}
		json_object_array_add(arr, o);
	}
	PQclear(r);
	return arr;
}
