/* kit_page: storing a fetched response as a raw page, the one way every
 * bundled extractor keeps what it fetched. The sink counts what it
 * stored for the extract's summary log line. */
#ifndef PULSE_PLUGINS_KIT_PAGE_H
#define PULSE_PLUGINS_KIT_PAGE_H

#include <stdint.h>

#include <pulse-host/plugin.h>

struct json_object;

/* Where an extract stores its pages; api and job are borrowed. */
struct kt_sink {
	const pulse_host_api *api;
	pulse_job *job;
	uint64_t stored;        /* pages stored so far */
};

/* Store resp as a raw page of entity, fetched with method/url;
 * params (request context, JSON text) and ckey/cval (a checkpoint that
 * moves with the page) may be NULL. The response stays the caller's. */
int32_t kt_page_store(struct kt_sink *s, const char *entity,
		      const char *method, const char *url, const char *params,
		      const pulse_http_response *resp, const char *ckey,
		      const char *cval);
/* The body of r parsed as JSON; NULL if empty or not JSON. The caller
 * puts it. */
struct json_object *kt_page_json(const pulse_host_api *api,
				 const pulse_http_response *r);

#endif
