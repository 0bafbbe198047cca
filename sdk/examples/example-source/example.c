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

/* `api` (the host's services) and `self` (our handle), set in init. */
PULSE_PLUGIN_INIT(api, self);

/* Designated initialisers: fields a later SDK appends read as zero. */
static const pulse_config_field fields[] = {
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "greeting",
	 .type = PULSE_CFG_STRING, .default_json = "\"hello\"",
	 .description = "text put into every generated project name"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "count",
	 .type = PULSE_CFG_INT, .default_json = "3",
	 .description = "how many pages to generate per sync",
	 PULSE_RANGE(0, 1000)},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = NULL},
};

static int32_t example_init(const pulse_host_api *host_api, pulse_host *host,
			    void **state, char *err, uint32_t errlen)
{
	PULSE_PLUGIN_INIT2(host_api, host);
	/* Everything we call up to record_delete is 1.0; a table that does not
	 * reach that far is not a pulse-host 1.x host. */
	if (!PULSE_API_HAS(api, record_delete)) {
		snprintf(err, errlen, "host API table too small (%u bytes)",
			 (unsigned)api->struct_size);
		return PULSE_ERR;
	}
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
	/* A finished sync starts from page 1 next time; state_delete and
	 * job_log are 1.1, so a 1.0 host gets the older calls. */
	if (PULSE_API_HAS(api, state_delete))
		api->state_delete(job, "example.next");
	else
		api->state_set(job, "example.next", "0");
	if (PULSE_API_HAS(api, job_log))
		api->job_log(job, PULSE_LOG_INFO, "generated pages=%lld",
			     (long long)count);
	else
		api->log(self, PULSE_LOG_INFO, "generated pages=%lld",
			 (long long)count);
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
	PULSE_STRUCT_HEADER(pulse_source_ops),
	.extract = example_extract,
	.transform = example_transform,
};

static const pulse_plugin_info info = {
	PULSE_STRUCT_HEADER(pulse_plugin_info),
	.kind = PULSE_KIND_SOURCE,
	.name = EXAMPLE_PLUGIN_NAME,
	.version = "1.0.0",
	.ops = &ops,
	.description = "example source: generates pages locally, no network needed",
	.config_fields = fields,
	.init = example_init,
};

PULSE_EXPORT const pulse_plugin_info *pulse_plugin_entry_v1(uint32_t host_minor)
{
	(void)host_minor;
	return &info;
}
