/* vstore: dispatch to the tenant's store; ids, collection names, hashes. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>
#include <libpq-fe.h>

#include "ai/vstore.h"
#include "ai/vstore_int.h"

/* Namespace of pulse-host point ids (a random UUID, fixed forever: changing
 * it would orphan every stored point). */
static const unsigned char vstore_ns[16] = {
	0x6b, 0x2f, 0x0e, 0x51, 0x9a, 0x43, 0x4c, 0x7d,
	0xb1, 0x58, 0x3e, 0x92, 0x0f, 0xc4, 0x27, 0xa6,
};

void vstore_collection(const char *model, uint32_t dim, char *out,
		       size_t outlen)
{
	char m[96];
	size_t i;

	for (i = 0; model && model[i] && i + 1 < sizeof(m); i++) {
		unsigned char c = (unsigned char)tolower((unsigned char)model[i]);
		m[i] = (isalnum(c) && c < 128) ? (char)c : '_';
	}
	m[i] = '\0';
	snprintf(out, outlen, "pulse_%s_%u", m, dim);
}

void vstore_point_id(int64_t tenant, const char *table,
		     const char *external_id, char *out)
{
	unsigned char d[20];
	char name[64];
	size_t nl, tl = strlen(table), el = strlen(external_id), len;
	unsigned char *buf;

	/* name = "<tenant>\x1f<table>\x1f<external id>": the separator cannot
	 * occur in a table name, so distinct triples never collide. */
	nl = (size_t)snprintf(name, sizeof(name), "%lld\x1f", (long long)tenant);
	len = 16 + nl + tl + 1 + el;
	buf = malloc(len);
	if (!buf) {
		snprintf(out, VSTORE_ID_LEN, "00000000-0000-0000-0000-000000000000");
		return;
	}
	memcpy(buf, vstore_ns, 16);
	memcpy(buf + 16, name, nl);
	memcpy(buf + 16 + nl, table, tl);
	buf[16 + nl + tl] = 0x1f;
	memcpy(buf + 16 + nl + tl + 1, external_id, el);
	gcry_md_hash_buffer(GCRY_MD_SHA1, d, buf, len);
	free(buf);
	d[6] = (unsigned char)((d[6] & 0x0f) | 0x50); /* version 5 */
	d[8] = (unsigned char)((d[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	snprintf(out, VSTORE_ID_LEN,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9],
		 d[10], d[11], d[12], d[13], d[14], d[15]);
}

void vstore_text_hash(const char *text, char *out)
{
	unsigned char d[32];
	int i;

	gcry_md_hash_buffer(GCRY_MD_SHA256, d, text, strlen(text));
	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

const char *vstore_name(const struct vstore *s)
{
	return s->ops->name;
}

void vstore_close(struct vstore *s)
{
	if (!s)
		return;
	if (s->ops->close)
		s->ops->close(s);
	free(s);
}

int vstore_ensure(struct vstore *s, const char *collection, uint32_t dim,
		  char *err, size_t errlen)
{
	return s->ops->ensure(s, collection, dim, err, errlen);
}

int vstore_upsert(struct vstore *s, const char *collection, uint32_t dim,
		  const struct vstore_point *pts, size_t n, char *err,
		  size_t errlen)
{
	if (n == 0)
		return 0;
	return s->ops->upsert(s, collection, dim, pts, n, err, errlen);
}

int vstore_remove_ids(struct vstore *s, const char *collection,
		      const char *const *ids, size_t n, char *err,
		      size_t errlen)
{
	if (n == 0)
		return 0;
	return s->ops->remove(s, collection, ids, n, 0, err, errlen);
}

int vstore_remove_integration(struct vstore *s, const char *collection,
			      int64_t integration_id, char *err,
			      size_t errlen)
{
	if (integration_id <= 0) {
		snprintf(err, errlen, "vector store: removing by integration "
			 "needs an integration id (got %lld)",
			 (long long)integration_id);
		return -1;
	}
	return s->ops->remove(s, collection, NULL, 0, integration_id, err,
			      errlen);
}

int vstore_query(struct vstore *s, const char *collection, const float *vec,
		 uint32_t dim, uint32_t k, const struct vstore_filter *f,
		 float min_score, struct vstore_hit **hits, size_t *n,
		 char *err, size_t errlen)
{
	*hits = NULL;
	*n = 0;
	if (k == 0)
		return 0;
	return s->ops->query(s, collection, vec, dim, k, f, min_score, hits, n,
			     err, errlen);
}

void vstore_hits_free(struct vstore_hit *hits, size_t n)
{
	size_t i;

	for (i = 0; hits && i < n; i++) {
		free(hits[i].point_id);
		free(hits[i].table);
		free(hits[i].display_id);
		free(hits[i].title);
		free(hits[i].url);
	}
	free(hits);
}

int vstore_can_scroll(const struct vstore *s)
{
	return s->ops->scroll != NULL;
}

int vstore_scroll(struct vstore *s, const char *collection,
		  const char *offset, uint32_t limit, int with_vectors,
		  struct vstore_page *pg, char *err, size_t errlen)
{
	memset(pg, 0, sizeof(*pg));
	if (!s->ops->scroll) {
		snprintf(err, errlen, "vector store %s cannot read its points "
			 "back: its plugin lacks the vector-store op 'scroll' "
			 "(ABI 1.4); upgrade the plugin", s->ops->name);
		return -1;
	}
	if (limit == 0) {
		snprintf(err, errlen, "vector store: a scroll page of 0 points");
		return -1;
	}
	return s->ops->scroll(s, collection, offset, limit, with_vectors, pg,
			      err, errlen);
}

void vstore_page_free(struct vstore_page *pg)
{
	size_t i;

	if (!pg)
		return;
	for (i = 0; i < pg->n_strs; i++)
		free(pg->strs[i]);
	free(pg->strs);
	free(pg->pts);
	free(pg->vecs);
	free(pg->next);
	PQclear(pg->res);
	memset(pg, 0, sizeof(*pg));
}
