/*
 * Fuzz target: an integration's settings JSON checked against a plugin's
 * declared config fields (settings_parse, what `integration add`/`set`
 * run), for every bundled plugin loaded as the host loads it. Input: byte
 * 0 picks the plugin, byte 1 bit 0 asks for the required-field check (add)
 * or not (set), the rest is the JSON text.
 *
 * The oracle, checked here independently of host/plugin/settings.c: a
 * refusal says why; an accepted text is one JSON object whose every key is
 * a declared field (or the providers' ai_model_config object) holding a
 * value of its declared type and range, secrets are split from settings
 * exactly by type, required fields are present when asked, and the
 * defaults fill in every absent field that has one.
 */
#include "config.h"

#include <json-c/json.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "plugin/loaded.h"
#include "plugin/settings.h"
#include "plugins.h"

static const struct {
	const char *name, *dir, *file;
} bundled[] = {
	{"github", "source-github", "github.so"},
	{"jira", "source-jira", "jira.so"},
	{"fabric", "source-fabric", "fabric.so"},
	{"entra", "source-entra", "entra.so"},
	{"ad", "source-ad", "ad.so"},
	{"gateway", "provider-gateway", "gateway.so"},
	{"gateway-embed", "provider-gateway", "gateway-embed.so"},
	{"qdrant", "provider-qdrant", "qdrant.so"},
	{"embed-local", "provider-embed-local", "embed-local.so"},
	{"sandbox", "source-sandbox", "sandbox.so"},
};
#define NBUNDLED (sizeof(bundled) / sizeof(bundled[0]))

static const pulse_config_field *decl(const struct plugin *p, const char *k)
{
	size_t i;

	for (i = 0; i < p->nfields; i++)
		if (strcmp(p->fields[i].name, k) == 0)
			return &p->fields[i];
	return NULL;
}

static int all_elems(struct json_object *a, int ints)
{
	size_t i, n = json_object_array_length(a);

	for (i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(a, i);

		if (!json_object_is_type(e, json_type_string) &&
		    !(ints && json_object_is_type(e, json_type_int)))
			return 0;
	}
	return 1;
}

/* Does v satisfy field f's declared type and range? */
static int conforms(const pulse_config_field *f, struct json_object *v)
{
	int str = json_object_is_type(v, json_type_string);
	const char *s = str ? json_object_get_string(v) : NULL;
	int64_t i;
	regex_t re;

	switch (f->type) {
	case PULSE_CFG_STRING:
	case PULSE_CFG_DATE:
		return str;
	case PULSE_CFG_INT:
		if (!json_object_is_type(v, json_type_int))
			return 0;
		i = json_object_get_int64(v);
		return (!(f->flags & PULSE_CFG_HAS_MIN) || i >= f->int_min) &&
		       (!(f->flags & PULSE_CFG_HAS_MAX) || i <= f->int_max);
	case PULSE_CFG_BOOL:
		return json_object_is_type(v, json_type_boolean);
	case PULSE_CFG_STRING_LIST:
		return json_object_is_type(v, json_type_array) && all_elems(v, 1);
	case PULSE_CFG_SECRET:
		return str && *s;
	case PULSE_CFG_SECRET_LIST:
		if (str)
			return *s != '\0';
		return json_object_is_type(v, json_type_array) &&
		       json_object_array_length(v) > 0 && all_elems(v, 0);
	case PULSE_CFG_REGEX:
		if (!str || regcomp(&re, s, REG_EXTENDED | REG_NOSUB) != 0)
			return 0;
		regfree(&re);
		return 1;
	case PULSE_CFG_URL:
		return str && (strncasecmp(s, "http://", 7) == 0 ||
			       strncasecmp(s, "https://", 8) == 0) &&
		       !strpbrk(s, " \t\r\n");
	default:
		return 1;
	}
}

static void check_accepted(const struct plugin *p, const char *text,
			   int require_all, struct json_object *set,
			   struct json_object *sec)
{
	struct json_object *o = json_tokener_parse(text), *v, *d;
	char err[1024];
	size_t i;

	if (!o || !json_object_is_type(o, json_type_object) || !set || !sec ||
	    json_object_object_length(o) !=
		    json_object_object_length(set) + json_object_object_length(sec))
		abort();
	{
		json_object_object_foreach(o, key, val) {
			const pulse_config_field *f = decl(p, key);
			int secret;

			if (!f) { /* only the providers' routing object */
				if (strcmp(key, SETTINGS_AI_MODEL_CONFIG) != 0 ||
				    p->info.kind == PULSE_KIND_SOURCE ||
				    !json_object_is_type(val, json_type_object) ||
				    !json_object_object_get_ex(set, key, NULL))
					abort();
				continue;
			}
			if (!conforms(f, val))
				abort();
			secret = f->type == PULSE_CFG_SECRET ||
				 f->type == PULSE_CFG_SECRET_LIST;
			if (!json_object_object_get_ex(secret ? sec : set, key, NULL) ||
			    json_object_object_get_ex(secret ? set : sec, key, NULL))
				abort();
		}
	}
	for (i = 0; require_all && i < p->nfields; i++)
		if (p->fields[i].required &&
		    !json_object_object_get_ex(o, p->fields[i].name, NULL))
			abort();
	d = settings_with_defaults(p, set, err, sizeof(err));
	if (!d)
		abort(); /* the bundled defaults are all JSON */
	for (i = 0; i < p->nfields; i++)
		if (p->fields[i].default_json &&
		    !json_object_object_get_ex(d, p->fields[i].name, &v))
			abort();
	json_object_put(d);
	json_object_put(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *set = NULL, *sec = NULL;
	const struct plugin *p;
	char err[1024], *text;
	int require_all;

	if (size < 2)
		return 0;
	p = fuzz_plugin(bundled[data[0] % NBUNDLED].name,
			bundled[data[0] % NBUNDLED].dir,
			bundled[data[0] % NBUNDLED].file);
	require_all = data[1] & 1;
	/* The CLI hands over a C string: the text ends at a NUL. */
	if (!(text = malloc(size - 1)))
		return 0;
	memcpy(text, data + 2, size - 2);
	text[size - 2] = '\0';
	err[0] = '\0';
	if (settings_parse(p, "fuzz.json", text, require_all, &set, &sec, err,
			   sizeof(err)) == 0)
		check_accepted(p, text, require_all, set, sec);
	else if (!err[0] || set || sec)
		abort(); /* a refusal says why and returns nothing */
	json_object_put(set);
	json_object_put(sec);
	free(text);
	return 0;
}
