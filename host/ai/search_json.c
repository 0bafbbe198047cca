/* search_json: the JSON shape of a search answer, shared by `pulse-host
 * search --json` and GET /api/v1/ai/search so the two never drift. */
#include "config.h"

#include <json-c/json.h>

#include "ai/search.h"

json_object *ai_hits_json(const char *query, const struct ai_hit *h, size_t n)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();
	size_t i;

	json_object_object_add(o, "query", json_object_new_string(query));
	for (i = 0; i < n; i++) {
		json_object *x = json_object_new_object();

		json_object_object_add(x, "table", json_object_new_string(h[i].table));
		json_object_object_add(x, "external_id",
				       json_object_new_string(h[i].external_id));
		json_object_object_add(x, "title", json_object_new_string(h[i].title));
		json_object_object_add(x, "url", h[i].url ?
				       json_object_new_string(h[i].url) : NULL);
		json_object_object_add(x, "integration_id",
				       json_object_new_int64(h[i].integration_id));
		json_object_object_add(x, "score",
				       json_object_new_double((double)h[i].score));
		json_object_array_add(a, x);
	}
	json_object_object_add(o, "hits", a);
	return o;
}
