/* source-jira: JSON lookups of the plugin's own. */
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>

#include "jira.h"

const char *jr_idstr(struct json_object *o, const char *key, char *buf,
		     size_t n)
{
	struct json_object *v = pj_obj(o, key);

	if (!v)
		return NULL;
	if (json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	if (json_object_is_type(v, json_type_int)) {
		snprintf(buf, n, "%" PRId64, json_object_get_int64(v));
		return buf;
	}
	return NULL;
}
