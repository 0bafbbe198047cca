/* source-jira state: integration state values, id sets and times. */
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jira.h"

static char *state(struct jr *g, const char *key)
{
	char *v = jr_api->state_get(g->job, key);

	if (v && !*v) {
		jr_api->free(v);
		v = NULL;
	}
	return v;
}

struct json_object *jr_state_json(struct jr *g, const char *key)
{
	char *v = state(g, key);
	struct json_object *o = v ? json_tokener_parse(v) : NULL;

	jr_api->free(v);
	if (o && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	return o;
}

int32_t jr_state_ids_put(struct jr *g, const char *key, struct kt_ids *s)
{
	char *text;
	int32_t rc;

	kt_ids_sort(s);
	if (!(text = kt_ids_format(s)))
		return jr_oom(g);
	rc = jr_api->state_set(g->job, key, text);
	free(text);
	return rc;
}

int32_t jr_state_ids_get(struct jr *g, const char *key, struct kt_ids *s)
{
	char *v = state(g, key);
	int bad = v && kt_ids_parse(s, v) < 0;

	if (bad)
		jr_api->log(jr_host, PULSE_LOG_WARN, "state_ignored key=%s "
			    "reason=\"not an id list\"", key);
	jr_api->free(v);
	kt_ids_sort(s);
	return PULSE_OK;
}

void jr_put_time(struct json_object *o, const char *key, int64_t ms)
{
	char buf[40];

	if (ms == KT_NO_TIME) {
		json_object_object_add(o, key, NULL);
		return;
	}
	kt_time_format_ms(ms, 3, buf, sizeof(buf));
	json_object_object_add(o, key, json_object_new_string(buf));
}

int64_t jr_max_time(int64_t a, int64_t b)
{
	if (a == KT_NO_TIME)
		return b;
	if (b == KT_NO_TIME)
		return a;
	return a > b ? a : b;
}

int64_t jr_get_time(struct json_object *o, const char *key)
{
	const char *s = pj_str(o, key);

	return s ? kt_time_parse_ms(s) : KT_NO_TIME;
}
