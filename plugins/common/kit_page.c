/* kit_page: raw page storage (see kit_page.h). */
#include <json-c/json.h>

#include "kit_page.h"

int32_t kt_page_store(struct kt_sink *s, const char *entity,
		      const char *method, const char *url, const char *params,
		      const pulse_http_response *resp, const char *ckey,
		      const char *cval)
{
	pulse_raw_page p = {PULSE_STRUCT_HEADER(pulse_raw_page)};
	uint64_t len = 0;
	int32_t rc;

	p.entity = entity;
	p.request_method = method;
	p.request_url = url;
	p.request_params = params;
	p.http_status = s->api->http_status(resp);
	p.body = s->api->http_body(resp, &len);
	p.body_len = len;
	p.checkpoint_key = ckey;
	p.checkpoint_value = cval;
	rc = s->api->raw_store(s->job, &p);
	if (rc == PULSE_OK)
		s->stored++;
	return rc;
}

struct json_object *kt_page_json(const pulse_host_api *api,
				 const pulse_http_response *r)
{
	uint64_t len = 0;
	const char *b = r ? api->http_body(r, &len) : NULL;

	return b && len ? json_tokener_parse(b) : NULL;
}
