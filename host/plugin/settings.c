/* settings: integration JSON checked against a plugin's config fields. */
#include "config.h"

#include <json-c/json.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "plugin/loader.h"
#include "pipeline/record.h"
#include "plugin/settings.h"

static const pulse_config_field *field(const struct plugin *p,
				       const char *name)
{
	size_t i;

	for (i = 0; p && i < p->nfields; i++)
		if (p->fields[i].name && strcmp(p->fields[i].name, name) == 0)
			return &p->fields[i];
	return NULL;
}

unsigned settings_field_type(const struct plugin *p, const char *name)
{
	const pulse_config_field *f = field(p, name);

	return f ? f->type : 0;
}

void settings_field_names(const struct plugin *p, char *buf, size_t len)
{
	size_t i, used = 0;

	if (len)
		buf[0] = '\0';
	for (i = 0; p && i < p->nfields && used < len; i++) {
		int n = snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
				 p->fields[i].name);

		if (n < 0)
			break;
		used += (size_t)n;
	}
	if (p && p->nfields == 0)
		snprintf(buf, len, "(none)");
}

static const char *json_kind(struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null: return "null";
	case json_type_boolean: return "boolean";
	case json_type_double:
	case json_type_int: return "number";
	case json_type_string: return "string";
	case json_type_array: return "array";
	case json_type_object: return "object";
	}
	return "unknown";
}

static const char *expect(unsigned type)
{
	switch (type) {
	case PULSE_CFG_STRING: return "a string";
	case PULSE_CFG_INT: return "an integer";
	case PULSE_CFG_BOOL: return "true or false";
	case PULSE_CFG_STRING_LIST: return "an array of strings or integers";
	case PULSE_CFG_SECRET: return "a non-empty string (a secret)";
	case PULSE_CFG_SECRET_LIST:
		return "a string or an array of strings (secrets)";
	case PULSE_CFG_REGEX: return "a POSIX extended regular expression (string)";
	case PULSE_CFG_DATE: return "a date (ISO-8601, e.g. 2025-01-31)";
	case PULSE_CFG_URL: return "an http(s) URL";
	default: return "JSON";
	}
}

static const char *a_kind(struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null: return "null";
	case json_type_boolean: return "a boolean";
	case json_type_double: return "a fractional number";
	case json_type_int: return "an integer";
	case json_type_string: return "a string";
	case json_type_array: return "an array";
	case json_type_object: return "an object";
	}
	return "of unknown type";
}

/*
 * Check every element of the array v (field `name`): strings, and also
 * integers when ints is set (lists of ids: Jira board ids are numbers).
 * Returns 1, or 0 with err naming the first bad element and its type.
 */
static int list_ok(const char *name, struct json_object *v, int ints,
		   char *err, size_t errlen)
{
	size_t i, n = json_object_array_length(v);

	for (i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(v, i);

		if (json_object_is_type(e, json_type_string) ||
		    (ints && json_object_is_type(e, json_type_int)))
			continue;
		snprintf(err, errlen, "field '%s': %s[%zu] is %s; expected %s",
			 name, name, i, a_kind(e),
			 ints ? "a string or an integer" : "a string");
		return 0;
	}
	return 1;
}

/* An INT value against the field's declared range (1.1). */
static int in_range(const pulse_config_field *f, struct json_object *v,
		    char *err, size_t errlen)
{
	int64_t i = json_object_get_int64(v);
	int lo = !!(f->flags & PULSE_CFG_HAS_MIN);
	int hi = !!(f->flags & PULSE_CFG_HAS_MAX);
	char range[96];

	if ((!lo || i >= f->int_min) && (!hi || i <= f->int_max))
		return 1;
	if (lo && hi)
		snprintf(range, sizeof(range), "between %lld and %lld",
			 (long long)f->int_min, (long long)f->int_max);
	else if (lo)
		snprintf(range, sizeof(range), "at least %lld",
			 (long long)f->int_min);
	else
		snprintf(range, sizeof(range), "at most %lld",
			 (long long)f->int_max);
	snprintf(err, errlen, "field '%s' must be an integer %s, got %lld",
		 f->name, range, (long long)i);
	return 0;
}

static int valid_url(const char *s)
{
	const char *h;

	if (strncasecmp(s, "http://", 7) == 0)
		h = s + 7;
	else if (strncasecmp(s, "https://", 8) == 0)
		h = s + 8;
	else
		return 0;
	if (!*h || *h == '/' || *h == ':')
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ')
			return 0;
	return 1;
}

int settings_check_value(const struct plugin *p, const char *name,
			 struct json_object *v, char *err, size_t errlen)
{
	const pulse_config_field *f = field(p, name);
	const char *s;
	int ok = 0;

	/* The host's own routing key on AI and Embedding integrations: an
	 * object here, its contents are checked by host/ai (docs/ai.md). */
	if (!f && strcmp(name, SETTINGS_AI_MODEL_CONFIG) == 0 &&
	    p->info.kind != PULSE_KIND_SOURCE) {
		if (json_object_is_type(v, json_type_object))
			return 0;
		snprintf(err, errlen, "field '%s' must be a JSON object "
			 "({\"etl\": [...], \"search\": [...], \"query\": "
			 "[...]}; see docs/ai.md)", name);
		return -1;
	}
	if (!f) {
		char names[512];

		settings_field_names(p, names, sizeof(names));
		snprintf(err, errlen, "unknown field '%s' for plugin '%s'; "
			 "valid fields: %s", name, p->name, names);
		return -1;
	}
	s = json_object_is_type(v, json_type_string) ?
		json_object_get_string(v) : NULL;
	switch (f->type) {
	case PULSE_CFG_STRING:
		ok = s != NULL;
		break;
	case PULSE_CFG_INT:
		ok = json_object_is_type(v, json_type_int);
		if (ok && !in_range(f, v, err, errlen))
			return -1;
		break;
	case PULSE_CFG_BOOL:
		ok = json_object_is_type(v, json_type_boolean);
		break;
	case PULSE_CFG_STRING_LIST:
		ok = json_object_is_type(v, json_type_array);
		if (ok && !list_ok(name, v, 1, err, errlen))
			return -1;
		break;
	case PULSE_CFG_SECRET:
		ok = s && *s;
		break;
	case PULSE_CFG_SECRET_LIST:
		ok = (s && *s) || (json_object_is_type(v, json_type_array) &&
				   json_object_array_length(v) > 0);
		if (ok && !s && !list_ok(name, v, 0, err, errlen))
			return -1;
		break;
	case PULSE_CFG_REGEX:
		if (s) {
			regex_t re;
			int e;

			if (settings_regex_check(name, s, err, errlen) < 0)
				return -1;
			e = regcomp(&re, s, REG_EXTENDED | REG_NOSUB);

			if (e) {
				char why[128];

				regerror(e, &re, why, sizeof(why));
				snprintf(err, errlen, "field '%s' is not a valid "
					 "POSIX extended regular expression: %s "
					 "(in \"%s\")", name, why, s);
				return -1;
			}
			regfree(&re);
			ok = 1;
		}
		break;
	case PULSE_CFG_DATE:
		if (s && !record_valid_time(s)) {
			snprintf(err, errlen, "field '%s' must be %s, got \"%s\"",
				 name, expect(f->type), s);
			return -1;
		}
		ok = s != NULL;
		break;
	case PULSE_CFG_URL:
		if (s && !valid_url(s)) {
			snprintf(err, errlen, "field '%s' must be %s (http:// or "
				 "https:// and a host), got \"%s\"", name,
				 expect(f->type), s);
			return -1;
		}
		ok = s != NULL;
		break;
	default: /* PULSE_CFG_JSON and types newer than this host */
		ok = 1;
	}
	if (!ok) {
		snprintf(err, errlen, "field '%s' must be %s, got %s", name,
			 expect(f->type), json_kind(v));
		return -1;
	}
	return 0;
}

/* Parse JSON text; on error say where (line:column) and why. */
static struct json_object *parse(const char *what, const char *text,
				 char *err, size_t errlen)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o = NULL;
	size_t len = strlen(text), end, i, line = 1, col = 1;
	enum json_tokener_error e;
	int trailing = 0;

	if (!tok) {
		snprintf(err, errlen, "%s: out of memory", what);
		return NULL;
	}
	o = json_tokener_parse_ex(tok, text, (int)len);
	e = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (e == json_tokener_continue) {
		/* input ended inside a value */
		end = len;
		e = json_tokener_error_parse_eof;
	} else if (e == json_tokener_success) {
		/* only whitespace may follow the value */
		while (end < len && strchr(" \t\r\n", text[end]))
			end++;
		if (end < len) {
			json_object_put(o);
			o = NULL;
			e = json_tokener_error_parse_unexpected;
			trailing = 1;
		}
	}
	if (e != json_tokener_success) {
		for (i = 0; i < end && i < len; i++) {
			if (text[i] == '\n') {
				line++;
				col = 1;
			} else {
				col++;
			}
		}
		snprintf(err, errlen, "%s:%zu:%zu: not valid JSON: %s", what, line,
			 col, end >= len && e == json_tokener_error_parse_eof ?
			 "unexpected end of file" :
			 trailing ? "unexpected text after the JSON value" :
			 json_tokener_error_desc(e));
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

int settings_parse(const struct plugin *p, const char *what,
		   const char *text, int require_all,
		   struct json_object **settings, struct json_object **secrets,
		   char *err, size_t errlen)
{
	struct json_object *o, *set = NULL, *sec = NULL;
	char why[768];
	size_t i;
	int rc = -1;

	*settings = *secrets = NULL;
	if (!(o = parse(what, text, err, errlen)))
		return -1;
	if (!json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "%s: integration settings must be a JSON "
			 "object ({\"field\": value, ...}), got %s", what,
			 json_kind(o));
		goto out;
	}
	set = json_object_new_object();
	sec = json_object_new_object();
	if (!set || !sec) {
		snprintf(err, errlen, "%s: out of memory", what);
		goto out;
	}
	{
		json_object_object_foreach(o, key, val) {
			if (settings_check_value(p, key, val, why, sizeof(why)) < 0) {
				snprintf(err, errlen, "%s: %s", what, why);
				goto out;
			}
			unsigned t = settings_field_type(p, key);

			json_object_object_add(t == PULSE_CFG_SECRET ||
					       t == PULSE_CFG_SECRET_LIST ?
					       sec : set, key, json_object_get(val));
		}
	}
	for (i = 0; require_all && i < p->nfields; i++) {
		const pulse_config_field *f = &p->fields[i];

		if (f->required && !json_object_object_get_ex(o, f->name, NULL)) {
			snprintf(err, errlen, "%s: required field '%s' for plugin "
				 "'%s' is missing (%s: %s)", what, f->name,
				 p->name, expect(f->type),
				 f->description ? f->description : "no description");
			goto out;
		}
	}
	*settings = set;
	*secrets = sec;
	set = sec = NULL;
	rc = 0;
out:
	json_object_put(o);
	json_object_put(set);
	json_object_put(sec);
	return rc;
}

struct json_object *settings_with_defaults(const struct plugin *p,
					   struct json_object *settings,
					   char *err, size_t errlen)
{
	struct json_object *out = NULL;
	size_t i;

	if (settings && json_object_deep_copy(settings, &out, NULL) < 0)
		out = NULL;
	if (!settings)
		out = json_object_new_object();
	if (!out) {
		snprintf(err, errlen, "out of memory copying settings");
		return NULL;
	}
	for (i = 0; i < p->nfields; i++) {
		const pulse_config_field *f = &p->fields[i];
		struct json_object *d;

		if (!f->default_json || json_object_object_get_ex(out, f->name, NULL))
			continue;
		d = json_tokener_parse(f->default_json);
		if (!d && strcmp(f->default_json, "null") != 0) {
			snprintf(err, errlen, "plugin '%s': the default of field "
				 "'%s' is not JSON (%s); fix the plugin", p->name,
				 f->name, f->default_json);
			json_object_put(out);
			return NULL;
		}
		json_object_object_add(out, f->name, d);
	}
	return out;
}
