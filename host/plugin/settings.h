/* settings: validate an integration's JSON against a plugin's config-field
 * table, split secrets out, and apply defaults at run time. */
#ifndef PULSE_SETTINGS_H
#define PULSE_SETTINGS_H

#include <stddef.h>

struct json_object;
struct plugin;

/* A settings key every provider plugin accepts without declaring it: the
 * routing of AI contexts, read by host/ai/route.c. */
#define SETTINGS_AI_MODEL_CONFIG "ai_model_config"

/*
 * Parse text (JSON from file `what`, used in messages) and validate it
 * against p's fields: unknown field, wrong type, missing required, bad
 * REGEX/DATE/URL are errors naming the field. Fields of type SECRET or
 * SECRET_LIST go to *secrets (an object, possibly empty); everything else
 * to *settings. Both are new references the caller puts
 * (json_object_put). require_all: check required fields (off for partial
 * updates). Returns 0, or -1 with err set and nothing returned.
 */
int settings_parse(const struct plugin *p, const char *what,
		   const char *text, int require_all,
		   struct json_object **settings, struct json_object **secrets,
		   char *err, size_t errlen);

/*
 * Validate one already-parsed value for field `name` of p (used by
 * set-secret too). Returns 0, or -1 with err naming the field.
 */
int settings_check_value(const struct plugin *p, const char *name,
			 struct json_object *v, char *err, size_t errlen);

/*
 * A new object: settings (borrowed) with the plugin's default_json filled
 * in for absent fields. Stored settings keep only what the admin gave, so
 * a changed plugin default takes effect at the next run. Returns a new
 * reference, or NULL with err set (a plugin default that is not JSON).
 */
struct json_object *settings_with_defaults(const struct plugin *p,
					   struct json_object *settings,
					   char *err, size_t errlen);

/*
 * Refuse a REGEX field's pattern that is longer than
 * SETTINGS_REGEX_MAX_LEN or whose repetitions would expand to more than
 * SETTINGS_REGEX_MAX_COST parts in regcomp (glibc copies what a repetition
 * repeats: `a{1,10000}` takes 770 MB). Returns 0 (regcomp may still find
 * it invalid), or -1 with err naming the field.
 */
#define SETTINGS_REGEX_MAX_LEN 512
#define SETTINGS_REGEX_MAX_COST 1000
int settings_regex_check(const char *name, const char *re, char *err,
			 size_t errlen);

/* Field type by name: PULSE_CFG_*, or 0 if p has no such field. */
unsigned settings_field_type(const struct plugin *p, const char *name);

/* "a, b, c": the plugin's field names, into buf. */
void settings_field_names(const struct plugin *p, char *buf, size_t len);

#endif
