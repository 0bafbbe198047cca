/* api_askfeedback: POST /api/v1/ask/feedback, a person's verdict on an
 * ask answer from the console's "helpful" / "not helpful" buttons
 * (issue 19, docs/console.md). Roles user and admin, as for asking: a
 * view token cannot ask, so it has no answer to rate. The tenant is the
 * token's; the actor is the caller (api_actor). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ai/askfeedback.h"
#include "db/db.h"
#include "server/api_int.h"

#define FB_EXAMPLE "{\"question\": \"...\", \"memory_id\": 42, " \
	"\"verdict\": \"not_helpful\", \"comment\": \"counts drafts\"}"

/* body[key] as a string of 1..max bytes into *out (NULL when absent and
 * optional). 0, or -1 with the 400 set. */
static int fb_str(struct call *c, json_object *body, const char *key,
		  size_t max, int required, const char **out)
{
	json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(body, key, &v) || !v) {
		if (!required)
			return 0;
		api_reply_error(c->rs, 400, "bad_request", "'%s' is required: "
				FB_EXAMPLE, key);
		return -1;
	}
	if (!json_object_is_type(v, json_type_string) ||
	    !json_object_get_string_len(v) ||
	    (size_t)json_object_get_string_len(v) > max) {
		api_reply_error(c->rs, 400, "bad_request", "'%s' must be a string "
				"of 1 to %zu bytes", key, max);
		return -1;
	}
	*out = json_object_get_string(v);
	return 0;
}

void api_ask_feedback(struct call *c)
{
	static const char *const known[] = {"question", "memory_id", "sql",
		"verdict", "comment", NULL};
	struct askfb_entry e;
	json_object *body, *v, *o;
	char actor[160], err[1024];
	int64_t id;
	size_t i;

	memset(&e, 0, sizeof(e));
	if (!(body = api_parse_body(c)))
		return;
	json_object_object_foreach(body, key, val) {
		(void)val;
		for (i = 0; known[i] && strcmp(known[i], key) != 0; i++)
			;
		if (!known[i]) {
			api_reply_error(c->rs, 400, "bad_request", "unknown field "
					"'%.64s'; the fields are question, verdict, "
					"memory_id, sql, comment", key);
			goto out;
		}
	}
	if (fb_str(c, body, "question", ASKFB_MAX_QUESTION, 1, &e.question) < 0 ||
	    fb_str(c, body, "verdict", 16, 1, &e.verdict) < 0 ||
	    fb_str(c, body, "sql", ASKFB_MAX_SQL, 0, &e.sql) < 0 ||
	    fb_str(c, body, "comment", ASKFB_MAX_COMMENT, 0, &e.comment) < 0)
		goto out;
	if (strcmp(e.verdict, "helpful") != 0 &&
	    strcmp(e.verdict, "not_helpful") != 0) {
		api_reply_error(c->rs, 400, "bad_request", "verdict '%s' is "
				"neither \"helpful\" nor \"not_helpful\"", e.verdict);
		goto out;
	}
	if (json_object_object_get_ex(body, "memory_id", &v) && v) {
		if (!json_object_is_type(v, json_type_int) ||
		    (e.memory_id = json_object_get_int64(v)) <= 0) {
			api_reply_error(c->rs, 400, "bad_request", "'memory_id' "
					"must be a positive integer: the memory_id "
					"of the POST /api/v1/ai/query reply");
			goto out;
		}
	}
	if (!e.memory_id && !e.sql) {
		api_reply_error(c->rs, 400, "bad_request", "say which answer: give "
				"its 'memory_id' or the 'sql' that ran");
		goto out;
	}
	api_actor(c, actor, sizeof(actor));
	e.actor = actor;
	id = askfb_record(c->db, c->who.tenant, &e, err, sizeof(err));
	if (id == 0) {
		api_reply_error(c->rs, 404, "not_found", "%s", err);
		goto out;
	}
	if (id < 0) {
		api_reply_db_error(c, err);
		goto out;
	}
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(id));
	json_object_object_add(o, "verdict", json_object_new_string(e.verdict));
	json_object_object_add(o, "memory_id", e.memory_id ?
			       json_object_new_int64(e.memory_id) : NULL);
	/* what the learning memory now holds for the answer */
	json_object_object_add(o, "memory_rating", e.memory_id ?
			       json_object_new_string(strcmp(e.verdict, "helpful")
			       == 0 ? "good" : "bad") : NULL);
	api_reply_json(c->rs, 201, o);
	json_object_put(o);
out:
	json_object_put(body);
}
