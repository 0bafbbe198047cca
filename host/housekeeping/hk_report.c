/* hk_report: what a housekeeping run did, as text or JSON. */
#include "config.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "housekeeping/hk.h"

int hk_report_add(struct hk_report *rep, const char *what,
		  const char *table, int64_t tenant_id, const char *name,
		  int64_t rows, int64_t bytes, char *err, size_t errlen)
{
	struct hk_item *it;

	if (rep->n == rep->cap) {
		size_t cap = rep->cap ? 2 * rep->cap : 16;
		struct hk_item *n = realloc(rep->items, cap * sizeof(*n));

		if (!n) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		rep->items = n;
		rep->cap = cap;
	}
	it = &rep->items[rep->n++];
	memset(it, 0, sizeof(*it));
	snprintf(it->what, sizeof(it->what), "%s", what);
	snprintf(it->table, sizeof(it->table), "%s", table);
	snprintf(it->name, sizeof(it->name), "%s", name ? name : "");
	it->tenant_id = tenant_id;
	it->rows = rows;
	it->bytes = bytes;
	return 0;
}

int hk_report_check(struct hk_report *rep, const char *step,
		    int64_t tenant_id, const char *name, int64_t a, int64_t b,
		    const char *note, char *err, size_t errlen)
{
	struct hk_check *k;

	if (rep->nc == rep->capc) {
		size_t cap = rep->capc ? 2 * rep->capc : 16;
		struct hk_check *n = realloc(rep->checks, cap * sizeof(*n));

		if (!n) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		rep->checks = n;
		rep->capc = cap;
	}
	k = &rep->checks[rep->nc++];
	memset(k, 0, sizeof(*k));
	snprintf(k->step, sizeof(k->step), "%s", step);
	snprintf(k->name, sizeof(k->name), "%s", name ? name : "");
	snprintf(k->note, sizeof(k->note), "%s", note ? note : "");
	k->tenant_id = tenant_id;
	k->a = a;
	k->b = b;
	return 0;
}

static struct json_object *check_json(const struct hk_check *k)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "step", json_object_new_string(k->step));
	if (k->tenant_id)
		json_object_object_add(o, "tenant_id",
				       json_object_new_int64(k->tenant_id));
	if (*k->name)
		json_object_object_add(o, "name", json_object_new_string(k->name));
	if (strcmp(k->step, "analyze") == 0) {
		json_object_object_add(o, "rows_changed", json_object_new_int64(k->a));
	} else if (strcmp(k->step, "vector_drift") == 0 ||
		   strcmp(k->step, "vector_check") == 0) {
		json_object_object_add(o, "references", json_object_new_int64(k->a));
		json_object_object_add(o, "points", json_object_new_int64(k->b));
	}
	json_object_object_add(o, "note", json_object_new_string(k->note));
	return o;
}

/* The checks as text, one line each. */
static void print_checks(const struct hk_report *rep, FILE *f)
{
	size_t i;

	for (i = 0; i < rep->nc; i++) {
		const struct hk_check *k = &rep->checks[i];

		if (strcmp(k->step, "analyze") == 0)
			fprintf(f, "analyze %s: %" PRId64 " rows changed since the "
				"last analyze%s\n", k->name, k->a,
				rep->dry_run ? " (would be analysed)" : "");
		else if (strcmp(k->step, "vector_drift") == 0)
			fprintf(f, "vector drift tenant %" PRId64 " %s: %" PRId64
				" references, %" PRId64 " points: %s\n",
				k->tenant_id, k->name, k->a, k->b, k->note);
		else if (k->tenant_id)
			fprintf(f, "%s tenant %" PRId64 " %s: %s\n", k->step,
				k->tenant_id, k->name, k->note);
		else
			fprintf(f, "%s: %s\n", k->step, k->note);
	}
}

static struct json_object *item_json(const struct hk_item *it)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "table", json_object_new_string(it->table));
	if (it->tenant_id)
		json_object_object_add(o, "tenant_id",
				       json_object_new_int64(it->tenant_id));
	json_object_object_add(o, strcmp(it->what, "deleted") == 0 ?
			       "class" : "name", json_object_new_string(it->name));
	json_object_object_add(o, "rows", json_object_new_int64(it->rows));
	json_object_object_add(o, "bytes", json_object_new_int64(it->bytes));
	return o;
}

static void print_json(const struct hk_report *rep, FILE *f)
{
	struct json_object *o = json_object_new_object();
	struct json_object *created = json_object_new_array();
	struct json_object *dropped = json_object_new_array();
	struct json_object *deleted = json_object_new_array();
	int64_t bytes = 0;
	size_t i;

	for (i = 0; i < rep->n; i++) {
		const struct hk_item *it = &rep->items[i];

		if (strcmp(it->what, "partition_created") == 0)
			json_object_array_add(created,
					      json_object_new_string(it->name));
		else if (strcmp(it->what, "partition_dropped") == 0)
			json_object_array_add(dropped, item_json(it));
		else
			json_object_array_add(deleted, item_json(it));
		bytes += it->bytes;
	}
	json_object_object_add(o, "dry_run", json_object_new_boolean(rep->dry_run));
	json_object_object_add(o, "skipped", json_object_new_boolean(rep->skipped));
	json_object_object_add(o, "partitions_created", created);
	json_object_object_add(o, "partitions_dropped", dropped);
	json_object_object_add(o, "deleted", deleted);
	json_object_object_add(o, "bytes_freed", json_object_new_int64(bytes));
	{
		struct json_object *checks = json_object_new_array();

		for (i = 0; i < rep->nc; i++)
			json_object_array_add(checks, check_json(&rep->checks[i]));
		json_object_object_add(o, "checks", checks);
	}
	fprintf(f, "%s\n", json_object_to_json_string_ext(o,
		JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

void hk_report_print(const struct hk_report *rep, FILE *f, int json)
{
	const char *verb = rep->dry_run ? "would be " : "";
	int64_t bytes = 0;
	size_t i;

	if (json) {
		print_json(rep, f);
		return;
	}
	if (rep->skipped) {
		fprintf(f, "housekeeping: another run holds the lock; nothing "
			"done\n");
		return;
	}
	for (i = 0; i < rep->n; i++) {
		const struct hk_item *it = &rep->items[i];

		bytes += it->bytes;
		if (strcmp(it->what, "partition_created") == 0)
			fprintf(f, "partition %s %screated\n", it->name, verb);
		else if (strcmp(it->what, "partition_dropped") == 0)
			fprintf(f, "partition %s %sdropped: %" PRId64 " rows, "
				"%" PRId64 " bytes\n", it->name, verb, it->rows,
				it->bytes);
		else
			fprintf(f, "%s tenant %" PRId64 ": %" PRId64 " %s rows "
				"%sdeleted\n", it->table, it->tenant_id,
				it->rows, it->name, verb);
	}
	print_checks(rep, f);
	fprintf(f, "%s%s: %zu action%s, %" PRId64 " bytes %sfreed by "
		"partition drops\n", rep->dry_run ? "dry run" : "housekeeping",
		rep->n ? "" : " (nothing to do)", rep->n,
		rep->n == 1 ? "" : "s", bytes, rep->dry_run ? "would be " : "");
}

void hk_report_log(const struct hk_report *rep)
{
	size_t i;

	for (i = 0; i < rep->n; i++) {
		const struct hk_item *it = &rep->items[i];

		log_info("HK", "event=%s table=%s tenant=%" PRId64 " name=%s "
			 "rows=%" PRId64 " bytes=%" PRId64, it->what, it->table,
			 it->tenant_id, it->name, it->rows, it->bytes);
	}
	for (i = 0; i < rep->nc; i++) {
		const struct hk_check *k = &rep->checks[i];

		log_info("HK", "event=%s tenant=%" PRId64 " name=%s a=%" PRId64
			 " b=%" PRId64 " note=\"%s\"", k->step, k->tenant_id,
			 k->name, k->a, k->b, k->note);
	}
}

void hk_report_free(struct hk_report *rep)
{
	free(rep->items);
	rep->items = NULL;
	rep->n = rep->cap = 0;
	free(rep->checks);
	rep->checks = NULL;
	rep->nc = rep->capc = 0;
}
