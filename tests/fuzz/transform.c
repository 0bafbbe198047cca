/* transform: one raw page through a plugin's transform, for fuzzing. */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/job.h"
#include "plugin/loaded.h"
#include "plugin/settings.h"
#include "transform.h"

/* A record under construction: the header the host API expects first. */
struct frec {
	struct pulse_record hdr;
	char *entity; /* owned copy, so a bad pointer shows up here */
	size_t nset;
};

static size_t open_records, ended_records, deletions;

static pulse_record *f_begin(struct pulse_job *job, const char *entity)
{
	struct frec *r;

	if (!entity || !*entity)
		abort(); /* every record belongs to an entity */
	if (!(r = calloc(1, sizeof(*r))) || !(r->entity = strdup(entity))) {
		free(r);
		return NULL;
	}
	r->hdr.job = job;
	open_records++;
	return &r->hdr;
}

static int32_t f_set(pulse_record *rec, const char *field,
		     const struct rec_value *v)
{
	struct frec *r = (struct frec *)rec;
	volatile size_t touch;

	if (!field || !*field || !v)
		abort();
	switch (v->type) {
	case REC_STR:
	case REC_TIME:
	case REC_JSON:
		/* Read the whole value: ASan catches a dangling pointer. */
		if (!v->s)
			abort();
		touch = strlen(v->s);
		(void)touch;
		break;
	case REC_NULL:
	case REC_INT:
	case REC_FLOAT:
	case REC_BOOL:
		break;
	default:
		abort();
	}
	r->nset++;
	return PULSE_OK;
}

static void f_free(pulse_record *rec)
{
	struct frec *r = (struct frec *)rec;

	open_records--;
	free(r->entity);
	free(r);
}

static int32_t f_end(pulse_record *rec)
{
	ended_records++;
	f_free(rec);
	return PULSE_OK;
}

static void f_abort(pulse_record *rec)
{
	f_free(rec);
}

static int32_t f_delete(struct pulse_job *job, const char *entity,
			const char *external_id)
{
	(void)job;
	if (!entity || !*entity || !external_id)
		abort();
	deletions++;
	return strlen(external_id) ? PULSE_OK : PULSE_OK;
}

/* Only the record calls, as the pipeline's backend offers in transform. */
static const struct job_backend backend = {
	.record_begin = f_begin,
	.record_set = f_set,
	.record_end = f_end,
	.record_abort = f_abort,
	.record_delete = f_delete,
};

static struct json_object *settings_of(struct plugin *p, const char *json)
{
	struct json_object *set = NULL, *sec = NULL, *full;
	char err[1024];

	if (settings_parse(p, "fuzz settings", json, 1, &set, &sec, err,
			   sizeof(err)) < 0) {
		fprintf(stderr, "fuzz: %s\n", err);
		abort();
	}
	full = settings_with_defaults(p, set, err, sizeof(err));
	if (!full) {
		fprintf(stderr, "fuzz: %s\n", err);
		abort();
	}
	json_object_put(set);
	json_object_put(sec);
	return full;
}

void fuzz_transform(struct plugin *p, const char *settings_json,
		    const char *const *entities, size_t n,
		    const uint8_t *data, size_t size)
{
	/* Kept for the process, like the pipeline's per-integration cache. */
	static struct json_object *settings;
	static struct plugin *settings_of_p;
	pulse_raw_page page = {PULSE_STRUCT_HEADER(pulse_raw_page)};
	struct pulse_job job;
	const uint8_t *nul;
	char *params = NULL, *body = NULL;
	size_t plen = 0, blen, kind;
	int32_t rc;

	if (size < 1 || n == 0)
		return;
	kind = data[0] % n;
	if (settings_of_p != p) {
		json_object_put(settings);
		settings = settings_of(p, settings_json);
		settings_of_p = p;
	}
	nul = memchr(data + 1, '\0', size - 1);
	if (nul) {
		plen = (size_t)(nul - (data + 1));
		if (!(params = malloc(plen + 1)))
			goto out;
		memcpy(params, data + 1, plen);
		params[plen] = '\0';
		data = nul + 1;
		size = size - 1 - plen - 1;
	} else {
		data++;
		size--;
	}
	/* A body comes from a text column: NUL-terminated, no NUL inside. */
	nul = memchr(data, '\0', size);
	blen = nul ? (size_t)(nul - data) : size;
	if (!(body = malloc(blen + 1)))
		goto out;
	memcpy(body, data, blen);
	body[blen] = '\0';

	memset(&job, 0, sizeof(job));
	job.plugin = p;
	job.mode = JOB_TRANSFORM;
	job.tenant_id = 1;
	job.integration_id = 1;
	job.settings = settings;
	job.be = &backend;
	page.entity = entities[kind];
	page.request_method = "GET";
	page.request_url = "https://fuzz.invalid/page";
	page.request_params = params;
	page.http_status = 200;
	page.body = body;
	page.body_len = blen;
	ended_records = deletions = 0;
	rc = p->source.transform(p->state, &job, &page);
	/* FUZZ_TRACE=1: what each input did, to check that seeds reach the
	 * record code rather than a refusal. */
	if (getenv("FUZZ_TRACE"))
		fprintf(stderr, "fuzz: %s: rc %d, %zu records, %zu deletions%s%s\n",
			page.entity, rc, ended_records, deletions,
			job.err[0] ? ": " : "", job.err);
	if (open_records != 0)
		abort(); /* a record begun and never ended or aborted */
	if ((rc != PULSE_OK || job.err_class) && !job.err[0])
		abort(); /* a refusal says why */
out:
	free(params);
	free(body);
}
