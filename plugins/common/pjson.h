/* pjson: json-c member lookups shared by the bundled source plugins.
 * Compiled into each plugin module (plugins are loaded RTLD_LOCAL, so each
 * keeps its own copy); not part of the SDK. Every result is borrowed from
 * the object passed in: valid while it lives, never to be put. */
#ifndef PULSE_PLUGINS_PJSON_H
#define PULSE_PLUGINS_PJSON_H

#include <stdint.h>

#include <json-c/json.h>

/* The member KEY of O; NULL when O is not an object, KEY is absent or null. */
struct json_object *pj_obj(struct json_object *o, const char *key);
/* The member if it has the type, else NULL / DFLT. */
const char *pj_str(struct json_object *o, const char *key);
int64_t pj_int(struct json_object *o, const char *key, int64_t dflt);
int pj_bool(struct json_object *o, const char *key, int dflt);
struct json_object *pj_arr(struct json_object *o, const char *key);

#endif
