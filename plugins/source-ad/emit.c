/*
 * source-ad emit: entries leave the plugin as raw pages while the search
 * is still running, so a full sync holds one page of entries, not the
 * directory. An entry that names a DN this sync has not seen yet (a
 * manager or nested group further on) waits as compact JSON text until
 * its search is over.
 */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "ad.h"

void ad_pager_init(struct ad_pager *p, const char *entity, const char *params)
{
	memset(p, 0, sizeof(*p));
	p->entity = entity;
	p->params = params;
}

int32_t ad_pager_flush(struct ad *g, struct ad_pager *p)
{
	struct json_object *body;
	pulse_raw_page pg = {PULSE_STRUCT_HEADER(pulse_raw_page)};
	const char *text;
	int32_t rc;

	if (!p->chunk)
		return PULSE_OK;
	if (!(body = json_object_new_object()))
		return ad_oom(g);
	json_object_object_add(body, "entries", p->chunk);
	p->chunk = NULL;
	p->members = 0;
	text = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN);
	pg.entity = p->entity;
	pg.request_method = "SEARCH";
	pg.request_url = g->url;
	pg.request_params = p->params;
	pg.http_status = 200;
	pg.body = text;
	pg.body_len = strlen(text);
	rc = ad_api->raw_store(g->job, &pg);
	json_object_put(body);
	if (rc == PULSE_OK)
		g->pages.stored++;
	return rc;
}

int32_t ad_pager_add(struct ad *g, struct ad_pager *p, struct json_object *e)
{
	struct json_object *m = pj_arr(e, "members");

	if (!p->chunk && !(p->chunk = json_object_new_array())) {
		json_object_put(e);
		return ad_oom(g);
	}
	p->members += m ? json_object_array_length(m) : 0;
	json_object_array_add(p->chunk, e);
	if (json_object_array_length(p->chunk) >= AD_ENTRIES_PER_RAW ||
	    p->members >= AD_MEMBERS_PER_RAW)
		return ad_pager_flush(g, p);
	return PULSE_OK;
}

void ad_pager_free(struct ad_pager *p)
{
	json_object_put(p->chunk);
	p->chunk = NULL;
}

int ad_defer(struct ad_deferred *d, struct json_object *e)
{
	char *t = NULL;
	int rc = -1;

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		char **v = realloc(d->text, cap * sizeof(*v));

		if (!v)
			goto out;
		d->text = v;
		d->cap = cap;
	}
	if (!(t = strdup(json_object_to_json_string_ext(e,
						JSON_C_TO_STRING_PLAIN))))
		goto out;
	d->text[d->n++] = t;
	rc = 0;
out:
	json_object_put(e);
	return rc;
}

struct json_object *ad_deferred_take(struct ad_deferred *d, size_t i)
{
	struct json_object *e = json_tokener_parse(d->text[i]);

	free(d->text[i]);
	d->text[i] = NULL;
	return e;
}

void ad_deferred_free(struct ad_deferred *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->text[i]);
	free(d->text);
	memset(d, 0, sizeof(*d));
}
