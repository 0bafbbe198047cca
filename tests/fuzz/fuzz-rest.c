/* Fuzz target: what a REST client sends besides the path: the query
 * string (api_query_ok, api_query_arg, api_parse_id) and the JSON body
 * (api_parse_body). The input is split at the first NUL: query, body.
 * The oracle: a query accepted as text yields argument values that are
 * text too; a body is either an object or a 400 with a message. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "server/api_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"status", "limit", "q", "since",
		"tenant", "", NULL};
	const uint8_t *nul = memchr(data, '\0', size);
	size_t qlen = nul ? (size_t)(nul - data) : size, i;
	char *q = malloc(qlen + 1), buf[64];
	struct api_request rq;
	struct api_response rs;
	struct call c;
	json_object *o;

	if (!q)
		return 0;
	memcpy(q, data, qlen);
	q[qlen] = '\0';
	if (api_query_ok(q)) {
		for (i = 0; names[i]; i++) {
			const char *v = api_query_arg(q, names[i], buf, sizeof(buf));

			if (v && (strlen(v) >= sizeof(buf) ||
				  !api_text_ok(v, strlen(v))))
				abort();
		}
	}
	(void)api_parse_id(q, qlen);
	memset(&rq, 0, sizeof(rq));
	memset(&rs, 0, sizeof(rs));
	memset(&c, 0, sizeof(c));
	rq.method = "POST";
	rq.path = "/api/v1/integrations";
	rq.body = nul ? (const char *)nul + 1 : NULL;
	rq.body_len = nul ? size - qlen - 1 : 0;
	c.rq = &rq;
	c.rs = &rs;
	o = api_parse_body(&c);
	if (o ? !json_object_is_type(o, json_type_object) || rs.status :
	    rs.status != 400 || !rs.body.len)
		abort();
	json_object_put(o);
	api_response_free(&rs);
	free(q);
	return 0;
}
