/*
 * source-entra known: the ids a walk has seen, for deletions a delta
 * token cannot report. After a 410 or syncStateNotFound the full round
 * replays what exists but says nothing of objects deleted meanwhile; the
 * ids known before (state, comma-separated) minus those the full round saw
 * are the vanished ones, stored as one page of removals. A full round
 * resumed after a kill saw only part of the directory, so it never
 * reconciles (it only adds to the known set): no false deletions.
 * en_ids_reconcile does this for objects (here) and for membership links
 * (links.c), which differ only in the page of removals and in a filter.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entra.h"

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int en_ids_add(struct en_ids *s, const char *id)
{
	char *c;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		char **v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	if (!(c = strdup(id)))
		return -1;
	s->v[s->n++] = c;
	return 0;
}

/* Sort and drop duplicates (a group's slices repeat its id). */
void en_ids_sort(struct en_ids *s)
{
	size_t i, j = 0;

	if (!s->n)
		return;
	qsort(s->v, s->n, sizeof(*s->v), cmp);
	for (i = 1; i < s->n; i++) {
		if (strcmp(s->v[i], s->v[j]) == 0)
			free(s->v[i]);
		else
			s->v[++j] = s->v[i];
	}
	s->n = j + 1;
}

int en_ids_has(const struct en_ids *s, const char *id)
{
	return s->n && bsearch(&id, s->v, s->n, sizeof(*s->v), cmp) != NULL;
}

void en_ids_free(struct en_ids *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

int en_ids_parse(struct en_ids *s, const char *text)
{
	const char *p = text, *e;
	char id[256];

	while (p && *p) {
		e = strchr(p, ',');
		if (!e)
			e = p + strlen(p);
		if (e > p && (size_t)(e - p) < sizeof(id)) {
			memcpy(id, p, (size_t)(e - p));
			id[e - p] = '\0';
			if (en_ids_add(s, id) < 0)
				return -1;
		}
		p = *e ? e + 1 : e;
	}
	return 0;
}

char *en_ids_join(const struct en_ids *s)
{
	size_t i, len = 1;
	char *out, *w;

	for (i = 0; i < s->n; i++)
		len += strlen(s->v[i]) + 1;
	if (!(out = malloc(len)))
		return NULL;
	w = out;
	for (i = 0; i < s->n; i++)
		w += sprintf(w, "%s%s", i ? "," : "", s->v[i]);
	*w = '\0';
	return out;
}

/* One page of {"value": [{"id": ..., "@removed": {"reason":
 * "vanished"}}]} for the transform, which deletes them like Graph's own
 * @removed objects. arg: the walk's name. */
static int32_t store_vanished(pulse_job *job, const char *url,
			      const void *arg, const struct en_ids *gone)
{
	struct json_object *o = json_object_new_object(), *arr = json_object_new_array();
	pulse_raw_page page = {PULSE_STRUCT_HEADER(pulse_raw_page)};
	const char *body;
	size_t i;
	int32_t rc;

	if (!o || !arr) {
		json_object_put(o);
		json_object_put(arr);
		return en_api->fail(job, PULSE_ERR_TRANSIENT, "entra: out of memory");
	}
	for (i = 0; i < gone->n; i++) {
		struct json_object *e = json_object_new_object(), *r = json_object_new_object();

		json_object_object_add(r, "reason", json_object_new_string("vanished"));
		json_object_object_add(e, "id", json_object_new_string(gone->v[i]));
		json_object_object_add(e, "@removed", r);
		json_object_array_add(arr, e);
	}
	json_object_object_add(o, "value", arr);
	body = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	page.entity = arg;
	page.request_method = "RECONCILE";
	page.request_url = url;
	page.http_status = 200;
	page.body = body;
	page.body_len = strlen(body);
	rc = en_api->raw_store(job, &page);
	json_object_put(o);
	return rc;
}

int32_t en_ids_reconcile(pulse_job *job, const struct en_reconcile *how,
			 struct en_ids *seen, const struct en_ids *removed,
			 uint64_t *vanished)
{
	struct en_ids known = {0}, gone = {0}, next = {0};
	char *text = NULL, *out = NULL;
	int32_t rc = PULSE_OK;
	size_t i;

	*vanished = 0;
	text = en_api->state_get(job, how->key);
	if (en_ids_parse(&known, text) < 0)
		goto oom;
	en_ids_sort(&known);
	en_ids_sort(seen);
	if (how->reconcile && text) {
		for (i = 0; i < known.n; i++)
			if (!en_ids_has(seen, known.v[i]) &&
			    en_ids_add(&gone, known.v[i]) < 0)
				goto oom;
		if (gone.n && (rc = how->store(job, how->url, how->store_arg,
					       &gone)) != PULSE_OK)
			goto out;
		*vanished = gone.n;
	}
	/* The new known set: what a complete full round saw; otherwise the
	 * old set plus what came, minus what Graph removed; never what the
	 * filter drops. */
	for (i = 0; i < seen->n; i++)
		if (!(how->drop && how->drop(seen->v[i], how->drop_arg)) &&
		    en_ids_add(&next, seen->v[i]) < 0)
			goto oom;
	for (i = 0; !how->reconcile && i < known.n; i++)
		if (!en_ids_has(removed, known.v[i]) &&
		    !(how->drop && how->drop(known.v[i], how->drop_arg)) &&
		    en_ids_add(&next, known.v[i]) < 0)
			goto oom;
	en_ids_sort(&next);
	if (!(out = en_ids_join(&next)))
		goto oom;
	rc = en_api->state_set(job, how->key, out);
	goto out;
oom:
	rc = en_api->fail(job, PULSE_ERR_TRANSIENT, "entra: out of memory");
out:
	en_api->free(text);
	free(out);
	en_ids_free(&known);
	en_ids_free(&gone);
	en_ids_free(&next);
	return rc;
}

int32_t en_known_finish(pulse_job *job, const char *walk, const char *url,
			int reconcile, struct en_ids *seen,
			const struct en_ids *removed, uint64_t *vanished)
{
	char key[64];
	struct en_reconcile how = {.key = key, .url = url, .reconcile = reconcile,
				   .store = store_vanished, .store_arg = walk};

	snprintf(key, sizeof(key), "%s.known", walk);
	return en_ids_reconcile(job, &how, seen, removed, vanished);
}
