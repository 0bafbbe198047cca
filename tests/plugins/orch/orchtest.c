/*
 * orchtest: a network-free source plugin for the orchestrator tests.
 * Pages are numbered; each is stored with a checkpoint ("page" = next page)
 * and becomes one `repositories` record. Modes make the extract misbehave
 * on purpose:
 *   ok         store `pages` pages, `page_delay_ms` apart
 *   crash      dereference NULL before page `crash_at` (a plugin bug)
 *   transient  fail with PULSE_ERR_TRANSIENT before page `crash_at`
 *   permanent  fail with PULSE_ERR_PERMANENT at once ("token rejected")
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pulse-host/plugin.h>

static const pulse_host_api *api;

static const pulse_config_field fields[] = {
	{PULSE_STRUCT_INIT(pulse_config_field), "pages", PULSE_CFG_INT, 0, "5",
	 "pages to extract"},
	{PULSE_STRUCT_INIT(pulse_config_field), "page_delay_ms", PULSE_CFG_INT, 0,
	 "0", "sleep before each page"},
	{PULSE_STRUCT_INIT(pulse_config_field), "mode", PULSE_CFG_STRING, 0,
	 "\"ok\"", "ok | crash | transient | permanent"},
	{PULSE_STRUCT_INIT(pulse_config_field), "crash_at", PULSE_CFG_INT, 0, "1",
	 "page (1-based) before which crash/transient strike"},
	{PULSE_STRUCT_INIT(pulse_config_field), NULL, 0, 0, NULL, NULL},
};

/* The deliberate plugin bug. Sanitizer builds must see the SIGSEGV too,
 * not a UBSan report and exit 1: no instrumentation here. */
__attribute__((noinline, no_sanitize("address", "undefined")))
static void crash(void)
{
	/* A volatile pointer: the compiler cannot prove it NULL and drop the
	 * store (or the whole call) as undefined behaviour. */
	volatile int *volatile nowhere = NULL;

	*nowhere = 1;
}

static void sleep_ms(int64_t ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static int32_t orch_extract(void *state, pulse_job *job)
{
	int64_t pages = api->config_int(job, "pages", 5);
	int64_t delay = api->config_int(job, "page_delay_ms", 0);
	int64_t crash_at = api->config_int(job, "crash_at", 1);
	const char *mode = api->config_string(job, "mode");
	char *cur = api->state_get(job, "page");
	int64_t p = cur ? strtoll(cur, NULL, 10) : 0;
	char body[128], next[32], url[64];

	(void)state;
	api->free(cur);
	if (!mode)
		mode = "ok";
	if (strcmp(mode, "permanent") == 0)
		return api->fail(job, PULSE_ERR_PERMANENT, "token rejected (401); "
				 "update it with `pulse-host integration set-secret`");
	for (; p < pages; p++) {
		pulse_raw_page pg = {PULSE_STRUCT_HEADER(pulse_raw_page)};

		if (api->cancelled(job))
			return PULSE_ERR_CANCELLED;
		if (delay)
			sleep_ms(delay);
		if (p + 1 == crash_at && strcmp(mode, "crash") == 0) {
			crash();
		}
		if (p + 1 == crash_at && strcmp(mode, "transient") == 0)
			return api->fail(job, PULSE_ERR_TRANSIENT, "sandbox API "
					 "answered 503 on page %lld", (long long)p + 1);
		snprintf(body, sizeof(body), "{\"page\":%lld}", (long long)p);
		snprintf(next, sizeof(next), "%lld", (long long)p + 1);
		snprintf(url, sizeof(url), "orchtest://pages/%lld", (long long)p);
		pg.entity = "pages";
		pg.request_method = "GET";
		pg.request_url = url;
		pg.http_status = 200;
		pg.body = body;
		pg.body_len = strlen(body);
		pg.checkpoint_key = "page";
		pg.checkpoint_value = next;
		if (api->raw_store(job, &pg) != PULSE_OK)
			return PULSE_ERR_TRANSIENT;
		api->progress(job, "extract pages", (uint64_t)p + 1, (uint64_t)pages);
	}
	/* A later scheduled run starts over (the pages are idempotent). */
	api->state_set(job, "page", "0");
	return PULSE_OK;
}

static int32_t orch_transform(void *state, pulse_job *job,
			      const pulse_raw_page *page)
{
	pulse_record *rec;
	long long p;
	char id[32];

	(void)state;
	if (!page->body || sscanf(page->body, "{\"page\":%lld}", &p) != 1)
		return api->fail(job, PULSE_ERR_PERMANENT, "page body is not {\"page\":N}");
	snprintf(id, sizeof(id), "orch/page-%lld", p);
	rec = api->record_begin(job, "repositories");
	if (!rec)
		return PULSE_ERR;
	if (api->record_str(rec, "external_id", id) != PULSE_OK ||
	    api->record_str(rec, "full_name", id) != PULSE_OK) {
		api->record_abort(rec);
		return PULSE_ERR;
	}
	return api->record_end(rec);
}

static int32_t orch_init(const pulse_host_api *a, pulse_host *host,
			 void **state, char *err, uint32_t errlen)
{
	(void)host;
	(void)err;
	(void)errlen;
	api = a;
	*state = NULL;
	return PULSE_OK;
}

static void orch_fini(void *state)
{
	(void)state;
}

static const pulse_source_ops ops = {
	PULSE_STRUCT_INIT(pulse_source_ops), orch_extract, orch_transform, NULL,
};

static const pulse_plugin_info info = {
	.struct_size = sizeof(pulse_plugin_info),
	.abi_major = PULSE_ABI_MAJOR,
	.abi_minor = PULSE_ABI_MINOR,
	.kind = PULSE_KIND_SOURCE,
	.name = "orchtest",
	.version = "1.0",
	.ops = &ops,
	.description = "orchestrator test source (pages, crashes, failures)",
	.config_fields = fields,
	.init = orch_init,
	.fini = orch_fini,
};

PULSE_EXPORT const pulse_plugin_info *pulse_plugin_entry_v1(uint32_t host_minor)
{
	(void)host_minor;
	return &info;
}
