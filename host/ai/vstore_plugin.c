/*
 * vstore_plugin: a vstore backed by a vector-store plugin (qdrant, ...)
 * through the ABI 1.1 ops (and 1.4 scroll when the plugin has it). The
 * tenant is the host's, never the plugin's:
 *  - every payload gets tenant_id here, from the store's tenant;
 *  - every query, scroll and delete gets the must-condition on tenant_id here
 *    (a delete by ids too: ids AND the tenant);
 *  - every returned point's tenant_id is checked here, and a point of
 *    another tenant (a buggy or hostile store) is dropped and logged.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ai/provider.h"
#include "ai/vstore.h"
#include "ai/vstore_int.h"
#include "ai/vstore_time.h"
#include "base/log.h"

struct vsp {
	struct vstore_ops ops;     /* a copy, named after the plugin */
	char name[64];
	struct ai_provider *p;     /* owned */
	uint64_t dropped;          /* foreign points seen (tests, logs) */
};

static struct vsp *VSP(struct vstore *s)
{
	return s->impl;
}

static int vsp_fail(struct vstore *s, int32_t rc, const char *what,
		    const char *why, char *err, size_t errlen)
{
	snprintf(err, errlen, "vector store %s (integration %lld): %s failed "
		 "(%s): %s", VSP(s)->name, (long long)ai_provider_id(VSP(s)->p),
		 what, rc == PULSE_ERR_TRANSIENT ? "will retry" : "permanent",
		 why);
	return -1;
}

static int vsp_ensure(struct vstore *s, const char *collection, uint32_t dim,
		      char *err, size_t errlen)
{
	char why[1024];
	int32_t rc;

	rc = ai_provider_vs_ensure(VSP(s)->p, collection, dim,
				   PULSE_DISTANCE_COSINE, why, sizeof(why));
	return rc == PULSE_OK ? 0 :
	       vsp_fail(s, rc, "creating the collection", why, err, errlen);
}

/* The tenant's condition, always first, as a json-c array of "must". */
static struct json_object *must_tenant(int64_t tenant)
{
	struct json_object *must = json_object_new_array(), *c, *m;
	char t[24];

	snprintf(t, sizeof(t), "%lld", (long long)tenant);
	c = json_object_new_object();
	m = json_object_new_object();
	json_object_object_add(m, "value", json_object_new_string(t));
	json_object_object_add(c, "key", json_object_new_string("tenant_id"));
	json_object_object_add(c, "match", m);
	json_object_array_add(must, c);
	return must;
}

static void must_add(struct json_object *must, const char *key,
		     const char *op, struct json_object *v)
{
	struct json_object *c = json_object_new_object(),
			   *m = json_object_new_object();

	json_object_object_add(m, op, v);
	json_object_object_add(c, "key", json_object_new_string(key));
	json_object_object_add(c, !strcmp(op, "gte") ? "range" : "match", m);
	json_object_array_add(must, c);
}

/* {"must":[tenant, ...]} (+ score_threshold) as malloc'd text. */
static char *filter_text(struct json_object *must, int has_min, float min)
{
	struct json_object *o = json_object_new_object();
	char *s;

	json_object_object_add(o, "must", must);
	if (has_min)
		json_object_object_add(o, "score_threshold",
				       json_object_new_double(min));
	s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return s;
}

static char *payload_text(int64_t tenant, const struct vstore_point *pt)
{
	struct json_object *o = json_object_new_object();
	char t[24];
	int64_t ep;
	char *s;

	snprintf(t, sizeof(t), "%lld", (long long)tenant);
	json_object_object_add(o, "tenant_id", json_object_new_string(t));
	json_object_object_add(o, "integration_id",
			       json_object_new_int64(pt->integration_id));
	json_object_object_add(o, "table", json_object_new_string(pt->table));
	json_object_object_add(o, "external_id",
			       json_object_new_string(pt->external_id));
	json_object_object_add(o, "display_id", json_object_new_string(
		pt->display_id ? pt->display_id : pt->external_id));
	json_object_object_add(o, "title",
			       json_object_new_string(pt->title ? pt->title : ""));
	json_object_object_add(o, "url",
			       json_object_new_string(pt->url ? pt->url : ""));
	if (pt->updated_at) {
		json_object_object_add(o, "updated_at",
				       json_object_new_string(pt->updated_at));
		if (vstore_epoch(pt->updated_at, &ep) == 0)
			json_object_object_add(o, "updated_epoch",
					       json_object_new_int64(ep));
	}
	if (pt->text_hash)
		json_object_object_add(o, "text_hash",
				       json_object_new_string(pt->text_hash));
	s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return s;
}

static int vsp_upsert(struct vstore *s, const char *collection, uint32_t dim,
		      const struct vstore_point *pts, size_t n, char *err,
		      size_t errlen)
{
	pulse_vector_point *vp = calloc(n, sizeof(*vp));
	char **pl = calloc(n, sizeof(*pl)), why[1024];
	size_t i;
	int32_t rc;
	int ret = -1;

	if (!vp || !pl) {
		snprintf(err, errlen, "vector store: out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (!(pl[i] = payload_text(s->tenant, &pts[i]))) {
			snprintf(err, errlen, "vector store: out of memory");
			goto out;
		}
		vp[i].struct_size = sizeof(vp[i]);
		vp[i].abi_major = PULSE_ABI_MAJOR;
		vp[i].abi_minor = PULSE_ABI_MINOR;
		vp[i].id = pts[i].point_id;
		vp[i].vector = pts[i].vec;
		vp[i].dim = dim;
		vp[i].payload_json = pl[i];
	}
	rc = ai_provider_vs_upsert(VSP(s)->p, collection, vp, (uint32_t)n, why,
				   sizeof(why));
	ret = rc == PULSE_OK ? 0 :
	      vsp_fail(s, rc, "storing points", why, err, errlen);
out:
	for (i = 0; pl && i < n; i++)
		free(pl[i]);
	free(pl);
	free(vp);
	return ret;
}

static int vsp_remove(struct vstore *s, const char *collection,
		      const char *const *ids, size_t n, int64_t integration_id,
		      char *err, size_t errlen)
{
	struct json_object *must = must_tenant(s->tenant);
	char why[1024], *f;
	int32_t rc;

	if (n == 0)
		must_add(must, "integration_id", "value",
			 json_object_new_int64(integration_id));
	if (!(f = filter_text(must, 0, 0))) {
		snprintf(err, errlen, "vector store: out of memory");
		return -1;
	}
	rc = ai_provider_vs_remove(VSP(s)->p, collection, ids, (uint32_t)n, f,
				   why, sizeof(why));
	free(f);
	return rc == PULSE_OK ? 0 :
	       vsp_fail(s, rc, "deleting points", why, err, errlen);
}

/* A returned point as a hit, if it is the tenant's; 1 kept, 0 dropped. */
static int hit_take(struct vstore *s, const char *id, float score,
		    const char *payload, struct vstore_hit *h)
{
	struct json_object *o = payload ? json_tokener_parse(payload) : NULL, *v;
	char t[24];
	int ok;

	snprintf(t, sizeof(t), "%lld", (long long)s->tenant);
	ok = o && json_object_object_get_ex(o, "tenant_id", &v) &&
	     json_object_is_type(v, json_type_string) &&
	     !strcmp(json_object_get_string(v), t);
	if (!ok) {
		VSP(s)->dropped++;
		log_warn("vstore", "vector store %s returned point %s, which is "
			 "not tenant %lld's; dropped (the store ignored the "
			 "tenant filter)", VSP(s)->name, id ? id : "?",
			 (long long)s->tenant);
		json_object_put(o);
		return 0;
	}
#define STR(k) (json_object_object_get_ex(o, k, &v) && \
		json_object_is_type(v, json_type_string) ? \
		strdup(json_object_get_string(v)) : strdup(""))
	memset(h, 0, sizeof(*h));
	h->point_id = strdup(id ? id : "");
	h->table = STR("table");
	h->display_id = STR("display_id");
	h->title = STR("title");
	h->url = STR("url");
#undef STR
	h->integration_id = json_object_object_get_ex(o, "integration_id", &v) ?
			    json_object_get_int64(v) : 0;
	h->score = score;
	json_object_put(o);
	return 1;
}

static int vsp_query(struct vstore *s, const char *collection,
		     const float *vec, uint32_t dim, uint32_t k,
		     const struct vstore_filter *f, float min_score,
		     struct vstore_hit **hits, size_t *n, char *err,
		     size_t errlen)
{
	struct json_object *must = must_tenant(s->tenant), *any;
	pulse_vector_hits vh;
	struct vstore_hit *out = NULL;
	char why[1024], *ft = NULL;
	int64_t since;
	size_t i, m = 0;
	int32_t rc;
	int ret = -1;

	if (f && f->n_tables) {
		any = json_object_new_array();
		for (i = 0; i < f->n_tables; i++)
			json_object_array_add(any, json_object_new_string(f->tables[i]));
		must_add(must, "table", "any", any);
	}
	if (f && f->integration_id)
		must_add(must, "integration_id", "value",
			 json_object_new_int64(f->integration_id));
	if (f && f->since) {
		if (vstore_epoch(f->since, &since) < 0) {
			snprintf(err, errlen, "search: since '%s' is not a date; "
				 "use YYYY-MM-DD or an ISO-8601 time", f->since);
			json_object_put(must);
			return -1;
		}
		must_add(must, "updated_epoch", "gte", json_object_new_int64(since));
	}
	if (!(ft = filter_text(must, min_score > -1.0f, min_score))) {
		snprintf(err, errlen, "vector store: out of memory");
		return -1;
	}
	rc = ai_provider_vs_query(VSP(s)->p, collection, vec, dim, k, ft, &vh,
				  why, sizeof(why));
	if (rc != PULSE_OK) {
		vsp_fail(s, rc, "searching", why, err, errlen);
		goto out;
	}
	if (vh.n && (!vh.ids || !vh.scores)) {
		snprintf(err, errlen, "vector store %s: %u hits without ids or "
			 "scores", VSP(s)->name, vh.n);
		goto out;
	}
	if (!(out = calloc(vh.n ? vh.n : 1, sizeof(*out)))) {
		snprintf(err, errlen, "vector store: out of memory");
		goto out;
	}
	for (i = 0; i < vh.n && m < k; i++) {
		if (vh.scores[i] < min_score)
			continue;
		m += (size_t)hit_take(s, vh.ids[i], vh.scores[i],
				      vh.payloads ? vh.payloads[i] : NULL, &out[m]);
	}
	*hits = out;
	*n = m;
	out = NULL;
	ret = 0;
out:
	free(out);
	free(ft);
	return ret;
}

/* Keep s (a copy) in pg's strings; NULL stays NULL. 0 or -1 (memory). */
static int page_str(struct vstore_page *pg, struct json_object *o,
		    const char *key, const char **out)
{
	struct json_object *v;
	char *c;

	*out = NULL;
	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return 0;
	if (!(c = strdup(json_object_get_string(v))))
		return -1;
	pg->strs[pg->n_strs++] = c;
	*out = c;
	return 0;
}

#define VSP_PAGE_STRS 8 /* strings kept per point (page_point) */

/* The plugin's point i as pg's next point, if it is the tenant's (else
 * dropped and logged, as a foreign hit is). 0 or -1 (memory, or a point
 * without the payload fields a move needs). */
static int page_point(struct vstore *s, const pulse_vector_page *vp,
		      uint32_t i, struct vstore_page *pg, char *err,
		      size_t errlen)
{
	const char *pl = vp->payloads ? vp->payloads[i] : NULL;
	struct json_object *o = pl ? json_tokener_parse(pl) : NULL, *v;
	struct vstore_point *pt = &pg->pts[pg->n];
	const char *tn = NULL;
	char t[24];
	int rc = -1;

	snprintf(t, sizeof(t), "%lld", (long long)s->tenant);
	if (!o || !json_object_object_get_ex(o, "tenant_id", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strcmp((tn = json_object_get_string(v)), t) != 0) {
		VSP(s)->dropped++;
		log_warn("vstore", "vector store %s returned point %s, which is "
			 "not tenant %lld's; dropped (the store ignored the "
			 "tenant filter)", VSP(s)->name, vp->ids[i] ? vp->ids[i] :
			 "?", (long long)s->tenant);
		rc = 0;
		goto out;
	}
	if (!vp->ids[i]) {
		snprintf(err, errlen, "vector store %s: point %u of a scroll page "
			 "has no id", VSP(s)->name, i);
		goto out;
	}
	if (!(pt->point_id = pg->strs[pg->n_strs++] = strdup(vp->ids[i])) ||
	    page_str(pg, o, "table", &pt->table) < 0 ||
	    page_str(pg, o, "external_id", &pt->external_id) < 0 ||
	    page_str(pg, o, "display_id", &pt->display_id) < 0 ||
	    page_str(pg, o, "title", &pt->title) < 0 ||
	    page_str(pg, o, "url", &pt->url) < 0 ||
	    page_str(pg, o, "updated_at", &pt->updated_at) < 0 ||
	    page_str(pg, o, "text_hash", &pt->text_hash) < 0) {
		snprintf(err, errlen, "vector store: out of memory");
		goto out;
	}
	if (!pt->table || !pt->external_id) {
		snprintf(err, errlen, "vector store %s: point %s has no table or "
			 "external_id in its payload (not written by pulse-host)",
			 VSP(s)->name, vp->ids[i]);
		goto out;
	}
	pt->integration_id = json_object_object_get_ex(o, "integration_id", &v) ?
			     json_object_get_int64(v) : 0;
	if (pg->vecs) {
		float *row = pg->vecs + (size_t)pg->n * pg->dim;

		memcpy(row, vp->vectors + (size_t)i * vp->dim,
		       vp->dim * sizeof(float));
		pt->vec = row;
	}
	pg->n++;
	rc = 0;
out:
	json_object_put(o);
	return rc;
}

static int vsp_scroll(struct vstore *s, const char *collection,
		      const char *offset, uint32_t limit, int with_vectors,
		      struct vstore_page *pg, char *err, size_t errlen)
{
	pulse_vector_page vp;
	char why[1024], *ft;
	uint32_t i;
	int32_t rc;
	int ret = -1;

	if (!(ft = filter_text(must_tenant(s->tenant), 0, 0))) {
		snprintf(err, errlen, "vector store: out of memory");
		return -1;
	}
	rc = ai_provider_vs_scroll(VSP(s)->p, collection, ft, offset, limit,
				   with_vectors ? 0 : PULSE_SCROLL_NO_VECTORS,
				   &vp, why, sizeof(why));
	if (rc != PULSE_OK) {
		vsp_fail(s, rc, "reading points back", why, err, errlen);
		goto out;
	}
	if (vp.n > limit || (vp.n && !vp.ids) ||
	    (with_vectors && vp.n && (!vp.vectors || !vp.dim))) {
		snprintf(err, errlen, "vector store %s: a scroll page of %u "
			 "points (%u asked) without ids%s", VSP(s)->name, vp.n,
			 limit, with_vectors ? " or vectors" : "");
		goto out;
	}
	pg->pts = calloc(vp.n ? vp.n : 1, sizeof(*pg->pts));
	pg->strs = calloc((size_t)(vp.n ? vp.n : 1) * VSP_PAGE_STRS + 1,
			  sizeof(*pg->strs));
	if (with_vectors && vp.n) {
		pg->dim = vp.dim;
		pg->vecs = calloc((size_t)vp.n * vp.dim, sizeof(float));
	}
	if (!pg->pts || !pg->strs || (with_vectors && vp.n && !pg->vecs) ||
	    (vp.next_offset && !(pg->next = strdup(vp.next_offset)))) {
		snprintf(err, errlen, "vector store: out of memory");
		goto out;
	}
	for (i = 0; i < vp.n; i++)
		if (page_point(s, &vp, i, pg, err, errlen) < 0)
			goto out;
	ret = 0;
out:
	if (ret < 0)
		vstore_page_free(pg);
	free(ft);
	return ret;
}

static void vsp_close(struct vstore *s)
{
	struct vsp *v = VSP(s);

	if (!v)
		return;
	ai_provider_close(v->p);
	free(v);
}

uint64_t vstore_dropped(const struct vstore *s)
{
	return s->ops->close == vsp_close ? ((struct vsp *)s->impl)->dropped : 0;
}

/* any: a disabled integration too (vstore_open_move_target). */
static int vsp_open(const struct ai_env_ref *env, int64_t tenant,
		    int64_t integration_id, int any, struct vstore **out,
		    char *err, size_t errlen)
{
	struct vstore *s = calloc(1, sizeof(*s));
	struct vsp *v = calloc(1, sizeof(*v));

	*out = NULL;
	if (!s || !v) {
		snprintf(err, errlen, "vector store: out of memory");
		goto fail;
	}
	if ((any ? ai_provider_open_disabled : ai_provider_open)(env, tenant,
		integration_id, PULSE_KIND_VECTOR_STORE, &v->p, err, errlen) < 0)
		goto fail;
	snprintf(v->name, sizeof(v->name), "%s", ai_provider_plugin(v->p));
	v->ops.name = v->name;
	v->ops.ensure = vsp_ensure;
	v->ops.upsert = vsp_upsert;
	v->ops.remove = vsp_remove;
	v->ops.query = vsp_query;
	/* a 1.1-1.3 plugin cannot read points back */
	v->ops.scroll = ai_provider_vs_has_scroll(v->p) ? vsp_scroll : NULL;
	v->ops.close = vsp_close;
	s->ops = &v->ops;
	s->tenant = tenant;
	s->db = env->db;
	s->impl = v;
	*out = s;
	return 0;
fail:
	free(v);
	free(s);
	return -1;
}

int vstore_open_plugin(const struct ai_env_ref *env, int64_t tenant,
		       int64_t integration_id, struct vstore **out, char *err,
		       size_t errlen)
{
	return vsp_open(env, tenant, integration_id, 0, out, err, errlen);
}

int vstore_open_move_target(const struct ai_env_ref *env, int64_t tenant,
			    int64_t integration_id, struct vstore **out,
			    char *err, size_t errlen)
{
	return vsp_open(env, tenant, integration_id, 1, out, err, errlen);
}
