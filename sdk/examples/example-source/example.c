/*
 * example: the smallest useful pulse-host source plugin.
 *
 * It needs no network: extract "fetches" `count` pages it makes up and
 * stores each through the host (one page = one raw row, with a checkpoint),
 * and transform turns each page into a `projects` record. Copy this file
 * to start a real connector; see README.md beside it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pulse-host/plugin.h>

/* Out-of-tree builds may rename it, so it can sit beside the packaged one. */
#ifndef EXAMPLE_PLUGIN_NAME
#define EXAMPLE_PLUGIN_NAME "example"
#endif

static const pulse_host_api *api;
static pulse_host *self;

static const pulse_config_field fields[] = {
	{PULSE_STRUCT_INIT(pulse_config_field), "greeting", PULSE_CFG_STRING, 0,
	 "\"hello\"", "text put into every generated project name"},
	{PULSE_STRUCT_INIT(pulse_config_field), "count", PULSE_CFG_INT, 0, "3",
	 "how many pages to generate per sync"},
	{PULSE_STRUCT_INIT(pulse_config_field), NULL, 0, 0, NULL, NULL},
};

static int32_t example_init(const pulse_host_api *host_api, pulse_host *host,
			    void **state, char *err, uint32_t errlen)
{
	/* A host older than the struct we need would be refused here. */
	if (host_api->struct_size < offsetof(pulse_host_api, record_delete)) {
		snprintf(err, errlen, "host API table too small");
		return PULSE_ERR;
	}
	api = host_api;
	self = host;
	*state = NULL;
	return PULSE_OK;
}

static int32_t example_extract(void *state, pulse_job *job)
{
	int64_t i, count = api->config_int(job, "count", 3);
	const char *greeting = api->config_string(job, "greeting");
	char *resume = api->state_get(job, "example.next");
	int64_t first = resume ? (int64_t)strtoll(resume, NULL, 10) : 0;

	(void)state;
	api->free(resume);
	for (i = first; i < count; i++) {
		char body[256], url[64], next[32];
		pulse_raw_page page = {PULSE_STRUCT_HEADER(pulse_raw_page)};

		if (api->cancelled(job))
			return api->fail(job, PULSE_ERR_CANCELLED, "stopped at page %lld",
					 (long long)i);
		snprintf(body, sizeof(body), "{\"id\":%lld,\"name\":\"%s %lld\"}",
			 (long long)i + 1, greeting ? greeting : "hello",
			 (long long)i + 1);
		snprintf(url, sizeof(url), "example:/projects/%lld", (long long)i + 1);
		snprintf(next, sizeof(next), "%lld", (long long)i + 1);
		page.entity = "projects";
		page.request_method = "GET";
		page.request_url = url;
		page.http_status = 200;
		page.body = body;
		page.body_len = strlen(body);
		page.checkpoint_key = "example.next";
		page.checkpoint_value = next;
		if (api->raw_store(job, &page) != PULSE_OK)
			return PULSE_ERR;
		api->progress(job, "generating pages", (uint64_t)i + 1, (uint64_t)count);
	}
	/* A finished sync starts from page 1 next time. */
	api->state_set(job, "example.next", "0");
	api->log(self, PULSE_LOG_INFO, "generated pages=%lld", (long long)count);
	return PULSE_OK;
}

static int32_t example_transform(void *state, pulse_job *job,
				 const pulse_raw_page *page)
{
	char name[128], id[32];
	long long n;
	pulse_record *rec;

	(void)state;
	if (sscanf(page->body, "{\"id\":%lld,\"name\":\"%127[^\"]\"}", &n, name) != 2)
		return api->fail(job, PULSE_ERR_PERMANENT,
				 "page %s is not {\"id\":N,\"name\":\"...\"}",
				 page->request_url);
	snprintf(id, sizeof(id), "EX-%lld", n);
	rec = api->record_begin(job, "projects");
	if (!rec)
		return PULSE_ERR;
	if (api->record_str(rec, "external_id", id) != PULSE_OK ||
	    api->record_str(rec, "key", id) != PULSE_OK ||
	    api->record_str(rec, "name", name) != PULSE_OK) {
		api->record_abort(rec);
		return PULSE_ERR;
	}
	return api->record_end(rec);
}

static const pulse_source_ops ops = {
	PULSE_STRUCT_INIT(pulse_source_ops),
	example_extract,
	example_transform,
	NULL,
};

static const pulse_plugin_info info = {
	PULSE_STRUCT_INIT(pulse_plugin_info),
	PULSE_KIND_SOURCE,
	0,
	EXAMPLE_PLUGIN_NAME,
	"1.0.0",
	&ops,
	"example source: generates pages locally, no network needed",
	fields,
	example_init,
	NULL,
};

PULSE_EXPORT const pulse_plugin_info *pulse_plugin_entry_v1(uint32_t host_minor)
{
	(void)host_minor;
	return &info;
}
