/* query_json: an ask answer as JSON, for the CLI and the API. */
#include "config.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "ai/query.h"

static struct json_object *str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

/* Embed already-serialised JSON (rows we built); NULL stays null. */
static struct json_object *parsed(const char *s)
{
	return s ? json_tokener_parse(s) : NULL;
}

char *askq_answer_json(const char *question, const struct askq_answer *a,
		       int explain)
{
	struct json_object *o = json_object_new_object();
	char *out = NULL;
	int i;

	if (!o)
		return NULL;
	json_object_object_add(o, "question", str_or_null(question));
	json_object_object_add(o, "intent", str_or_null(a->intent));
	json_object_object_add(o, "intent_by", str_or_null(a->intent_by));
	json_object_object_add(o, "confidence", json_object_new_double(a->confidence));
	json_object_object_add(o, "rounds", json_object_new_int(a->rounds));
	json_object_object_add(o, "sql", str_or_null(a->sql_run));
	json_object_object_add(o, "columns", parsed(a->columns_json));
	json_object_object_add(o, "rows", parsed(a->rows_json));
	json_object_object_add(o, "row_count", json_object_new_int((int)a->n_rows));
	json_object_object_add(o, "row_limit_reached", json_object_new_boolean(a->row_cap_hit));
	json_object_object_add(o, "hits", parsed(a->hits_json));
	json_object_object_add(o, "summary", str_or_null(a->summary));
	json_object_object_add(o, "memory_id", a->memory_id ?
			       json_object_new_int64(a->memory_id) : NULL);
	json_object_object_add(o, "fingerprint", a->fingerprint[0] ?
			       json_object_new_string(a->fingerprint) : NULL);
	json_object_object_add(o, "error", str_or_null(a->error));
	json_object_object_add(o, "read_from", str_or_null(a->read_from));
	if (explain) {
		struct json_object *rs = json_object_new_array(), *ms;

		for (i = 0; i < a->rounds && i < ASKQ_MAX_ROUNDS; i++) {
			struct json_object *r = json_object_new_object();

			json_object_object_add(r, "sql", str_or_null(a->round[i].sql));
			json_object_object_add(r, "failure", str_or_null(a->round[i].failure));
			json_object_object_add(r, "error", str_or_null(a->round[i].error));
			json_object_array_add(rs, r);
		}
		json_object_object_add(o, "attempts", rs);
		ms = json_object_new_object();
		json_object_object_add(ms, "intent", json_object_new_double(a->ms_intent));
		json_object_object_add(ms, "schema_card", json_object_new_double(a->ms_card));
		json_object_object_add(ms, "llm_sql", json_object_new_double(a->ms_sql));
		json_object_object_add(ms, "guard", json_object_new_double(a->ms_guard));
		json_object_object_add(ms, "execute", json_object_new_double(a->ms_exec));
		json_object_object_add(ms, "search", json_object_new_double(a->ms_search));
		json_object_object_add(ms, "summary", json_object_new_double(a->ms_summary));
		json_object_object_add(o, "stage_ms", ms);
	}
	out = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return out;
}
