/* pjson: json-c member lookups shared by the bundled source plugins. */
#include "pjson.h"

struct json_object *pj_obj(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	/* A NULL key (a lookup chained on a missing string, e.g. a page's
	 * params without the entity) finds nothing; json-c would strlen it. */
	if (!o || !key || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) ||
	    json_object_is_type(v, json_type_null))
		return NULL;
	return v;
}

const char *pj_str(struct json_object *o, const char *key)
{
	struct json_object *v = pj_obj(o, key);

	return v && json_object_is_type(v, json_type_string) ?
		json_object_get_string(v) : NULL;
}

int64_t pj_int(struct json_object *o, const char *key, int64_t dflt)
{
	struct json_object *v = pj_obj(o, key);

	return v && json_object_is_type(v, json_type_int) ?
		json_object_get_int64(v) : dflt;
}

int pj_bool(struct json_object *o, const char *key, int dflt)
{
	struct json_object *v = pj_obj(o, key);

	return v && json_object_is_type(v, json_type_boolean) ?
		json_object_get_boolean(v) : dflt;
}

struct json_object *pj_arr(struct json_object *o, const char *key)
{
	struct json_object *v = pj_obj(o, key);

	return v && json_object_is_type(v, json_type_array) ? v : NULL;
}
