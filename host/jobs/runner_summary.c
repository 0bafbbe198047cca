/* runner_summary: a run's stats JSON and printed summary (see
 * runner_summary.h). */
#include "config.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>

#include "http/http.h"
#include "jobs/runner_summary.h"
#include "pipeline/pipeline.h"

static void add_u64(struct json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_int64((int64_t)v));
}

struct json_object *runner_summary_json(const struct runner_summary *s)
{
	struct json_object *o = json_object_new_object(), *recs;
	const struct pipeline_count *c = s->counts;
	size_t i;

	add_u64(o, "pages", s->pages);
	add_u64(o, "bytes", s->bytes);
	add_u64(o, "raw_completed", s->rows_done);
	add_u64(o, "raw_failed", s->rows_failed);
	json_object_object_add(o, "duration_s", json_object_new_double(s->secs));
	recs = json_object_new_object();
	for (i = 0; c && i < s->ncounts; i++) {
		struct json_object *e;

		if (!c[i].records)
			continue;
		e = json_object_new_object();
		add_u64(e, "records", c[i].records);
		add_u64(e, "inserted", c[i].inserted);
		add_u64(e, "updated", c[i].updated);
		add_u64(e, "unchanged", c[i].unchanged);
		add_u64(e, "deleted", c[i].deleted);
		json_object_object_add(recs, c[i].entity, e);
	}
	json_object_object_add(o, "records", recs);
	recs = json_object_new_object();
	add_u64(recs, "requests", s->http->requests);
	add_u64(recs, "retries", s->http->retries);
	add_u64(recs, "not_modified", s->http->not_modified);
	add_u64(recs, "waits", s->http->waits);
	add_u64(recs, "wait_ms", s->http->wait_ms);
	add_u64(recs, "bytes", s->http->bytes);
	json_object_object_add(o, "http", recs);
	return o;
}

void runner_summary_print(FILE *f, const struct runner_summary *s)
{
	const struct pipeline_count *c = s->counts;
	size_t i;

	fprintf(f, "job run: %s %s in %.1f s (run %" PRId64 ")\n", s->label,
		s->cancelled ? "was cancelled" : s->error ? "failed" :
		s->rows_failed ? "finished with failures" :
		"finished", s->secs, s->run_id);
	fprintf(f, "  pages stored:  %" PRIu64 " (%.1f MB)\n", s->pages,
		(double)s->bytes / 1e6);
	fprintf(f, "  raw rows:      %" PRIu64 " completed, %" PRIu64 " failed\n",
		s->rows_done, s->rows_failed);
	for (i = 0; c && i < s->ncounts; i++) {
		uint64_t kept = c[i].inserted + c[i].updated + c[i].unchanged +
				c[i].deleted;

		if (!c[i].records && !c[i].deleted)
			continue;
		fprintf(f, "  %-14s %" PRIu64 " records: %" PRIu64 " inserted, %"
			PRIu64 " updated, %" PRIu64 " unchanged, %" PRIu64
			" deleted", c[i].entity, c[i].records, c[i].inserted,
			c[i].updated, c[i].unchanged, c[i].deleted);
		/* A record emitted twice in one load batch (say, a history in
		 * both the search page and the bulk changelog) is merged. */
		if (c[i].records > kept)
			fprintf(f, " (%" PRIu64 " repeats merged)",
				c[i].records - kept);
		fputc('\n', f);
	}
	if (s->rows_failed)
		fprintf(f, "  first failure: %s\n", s->first_failure);
	fflush(f);
}
