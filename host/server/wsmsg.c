/* wsmsg: WebSocket client messages, parsed and checked (see wsmsg.h). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "server/wsmsg.h"
#include "base/strbuf.h"

int wsmsg_channel_valid(const char *name)
{
	const char *p;

	if (!name)
		return 0;
	if (strcmp(name, "*") == 0 || strcmp(name, "vectorization") == 0)
		return 1;
	if (strncmp(name, "job:", 4) != 0 || strlen(name) >= WSMSG_CHANNEL_MAX)
		return 0;
	/* Digits only, no sign, no leading zero: one spelling per job. */
	p = name + 4;
	if (*p < '1' || *p > '9')
		return 0;
	for (; *p; p++)
		if (*p < '0' || *p > '9')
			return 0;
	/* At most 18 digits: always fits an int64 job id. */
	return strlen(name + 4) <= 18;
}

static const char *type_name(json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_null: return "null";
	case json_type_boolean: return "a boolean";
	case json_type_double:
	case json_type_int: return "a number";
	case json_type_object: return "an object";
	case json_type_array: return "an array";
	case json_type_string: return "a string";
	}
	return "?";
}

static int parse_subscribe(json_object *arr, struct wsmsg *out, char *err,
			   size_t errlen)
{
	size_t i, n;

	if (!json_object_is_type(arr, json_type_array)) {
		snprintf(err, errlen, "'subscribe' is %s; expected an array of "
			 "channel names", type_name(arr));
		return -1;
	}
	n = json_object_array_length(arr);
	if (n > WSMSG_MAX_CHANNELS) {
		snprintf(err, errlen, "'subscribe' has %zu channels; at most %d",
			 n, WSMSG_MAX_CHANNELS);
		return -1;
	}
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		const char *name;

		if (!json_object_is_type(e, json_type_string)) {
			snprintf(err, errlen, "subscribe[%zu] is %s; expected a "
				 "channel name string", i, type_name(e));
			return -1;
		}
		name = json_object_get_string(e);
		if ((size_t)json_object_get_string_len(e) != strlen(name) ||
		    !wsmsg_channel_valid(name)) {
			snprintf(err, errlen, "subscribe[%zu] is not a channel; "
				 "use \"job:<id>\", \"vectorization\" or \"*\"", i);
			return -1;
		}
		snprintf(out->channels[i], sizeof(out->channels[i]), "%s", name);
	}
	out->nchannels = n;
	out->kind = WSMSG_SUBSCRIBE;
	return 0;
}

int wsmsg_parse(const char *in, size_t len, struct wsmsg *out, char *err,
		size_t errlen)
{
	json_tokener *tok = NULL;
	json_object *o = NULL, *v;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (!in || len == 0 || len > WSMSG_MAX_LEN) {
		snprintf(err, errlen, "message is %zu bytes; expected a JSON "
			 "object of 1 to %d bytes", in ? len : 0, WSMSG_MAX_LEN);
		goto out;
	}
	tok = json_tokener_new_ex(8); /* {"subscribe":[...]} needs depth 2 */
	if (!tok) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	o = json_tokener_parse_ex(tok, in, (int)len);
	if (!o || json_tokener_get_error(tok) != json_tokener_success) {
		snprintf(err, errlen, "message is not complete JSON");
		goto out;
	}
	/* Nothing but white space may follow the object. */
	{
		size_t off = json_tokener_get_parse_end(tok);

		while (off < len && (in[off] == ' ' || in[off] == '\n' ||
				     in[off] == '\r' || in[off] == '\t'))
			off++;
		if (off != len) {
			snprintf(err, errlen, "bytes after the JSON message at "
				 "offset %zu", off);
			goto out;
		}
	}
	if (!json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "message is %s; expected an object like "
			 "{\"subscribe\":[\"job:5\"]}", type_name(o));
		goto out;
	}
	if (json_object_object_length(o) != 1 ||
	    !json_object_object_get_ex(o, "subscribe", &v)) {
		snprintf(err, errlen, "message must have exactly one key, "
			 "'subscribe'");
		goto out;
	}
	rc = parse_subscribe(v, out, err, errlen);
out:
	if (tok)
		json_tokener_free(tok);
	json_object_put(o);
	if (rc)
		memset(out, 0, sizeof(*out));
	return rc;
}

char *wsmsg_error_json(const char *message)
{
	struct strbuf sb = STRBUF_INIT;

	if (sb_adds(&sb, "{\"event\":\"error\",\"message\":\"") < 0 ||
	    sb_add_json_str(&sb, message) < 0 || sb_adds(&sb, "\"}") < 0) {
		sb_free(&sb);
		return NULL;
	}
	return sb_detach(&sb);
}
