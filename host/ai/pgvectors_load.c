/*
 * pgvectors_load: reading a tenant's vectors of one collection into a
 * pgv_set, whole or as the changes since an older copy. After a write,
 * the changed rows and the tombstones (102_pgvectors_changes.sql) are
 * merged into a new copy of the old set in row-id order, so the next
 * query reads a few rows instead of the whole collection, and answers
 * exactly as a whole load would (ties are broken by row order).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "ai/pgvectors_set.h"
#include "db/db.h"

/* The columns both loads read, in this order. */
#define PGV_COLS \
	"id::text, point_id::text, integration_id::text, entity," \
	" coalesce(payload->>'display_id', external_id)," \
	" coalesce(payload->>'title', ''), coalesce(payload->>'url', '')," \
	" extract(epoch FROM updated_at)::text, vec"
enum { C_ID, C_POINT, C_INTEG, C_TABLE, C_DISPLAY, C_TITLE, C_URL,
       C_UPDATED, C_VEC };

void pgv_set_free(struct pgv_set *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++) {
		free(s->point_id[i]);
		free(s->table[i]);
		free(s->display[i]);
		free(s->title[i]);
		free(s->url[i]);
	}
	free(s->point_id);
	free(s->table);
	free(s->display);
	free(s->title);
	free(s->url);
	free(s->id);
	free(s->mat);
	free(s->integration);
	free(s->updated);
	pgv_q8_free(&s->q8);
	free(s);
}

/* An empty set with room for cap rows; the caller owns it. NULL when out
 * of memory. */
static struct pgv_set *pgv_set_alloc(int64_t tenant, const char *collection,
				     int64_t gen, uint32_t dim, size_t cap)
{
	struct pgv_set *s = calloc(1, sizeof(*s));
	size_t c = cap ? cap : 1;

	if (!s)
		return NULL;
	s->tenant = tenant;
	snprintf(s->collection, sizeof(s->collection), "%s", collection);
	s->generation = gen;
	s->dim = dim;
	s->id = malloc(c * sizeof(int64_t));
	s->mat = malloc(c * dim * sizeof(float));
	s->integration = malloc(c * sizeof(int64_t));
	s->updated = malloc(c * sizeof(double));
	s->point_id = calloc(c, sizeof(char *));
	s->table = calloc(c, sizeof(char *));
	s->display = calloc(c, sizeof(char *));
	s->title = calloc(c, sizeof(char *));
	s->url = calloc(c, sizeof(char *));
	if (!s->id || !s->mat || !s->integration || !s->updated ||
	    !s->point_id || !s->table || !s->display || !s->title || !s->url) {
		pgv_set_free(s);
		return NULL;
	}
	return s;
}

/* Row i's strings are set (or NULL after a failed strdup): count them
 * and say whether all arrived. */
static int pgv_strings_ok(struct pgv_set *s, size_t i)
{
	if (!s->point_id[i] || !s->table[i] || !s->display[i] ||
	    !s->title[i] || !s->url[i])
		return 0;
	/* the strings with malloc's 16 bytes of overhead each */
	s->bytes += strlen(s->point_id[i]) + strlen(s->table[i]) +
		    strlen(s->display[i]) + strlen(s->title[i]) +
		    strlen(s->url[i]) + 5 * 17;
	return 1;
}

static char *pgv_dup(const PGresult *r, int row, int col)
{
	return strdup(PQgetisnull(r, row, col) ? "" : PQgetvalue(r, row, col));
}

/* Append row `row` of r (PGV_COLS, binary) to s, normalized. 0 or -1. */
static int pgv_take(struct pgv_set *s, const PGresult *r, int row,
		    char *err, size_t errlen)
{
	size_t i = s->n, dim = s->dim;
	float *v = s->mat + i * dim, norm;

	if ((size_t)PQgetlength(r, row, C_VEC) != dim * sizeof(float)) {
		snprintf(err, errlen, "pgvectors: point %s of %s has %d bytes, "
			 "not %zu floats", PQgetvalue(r, row, C_POINT),
			 s->collection, PQgetlength(r, row, C_VEC), dim);
		return -1;
	}
	memcpy(v, PQgetvalue(r, row, C_VEC), dim * sizeof(float));
	norm = cblas_snrm2((blasint)dim, v, 1);
	if (norm > 0)
		cblas_sscal((blasint)dim, 1.0f / norm, v, 1);
	s->n = i + 1; /* the strings of rows 0..i are freed on failure */
	s->id[i] = strtoll(PQgetvalue(r, row, C_ID), NULL, 10);
	s->point_id[i] = pgv_dup(r, row, C_POINT);
	s->integration[i] = strtoll(PQgetvalue(r, row, C_INTEG), NULL, 10);
	s->table[i] = pgv_dup(r, row, C_TABLE);
	s->display[i] = pgv_dup(r, row, C_DISPLAY);
	s->title[i] = pgv_dup(r, row, C_TITLE);
	s->url[i] = pgv_dup(r, row, C_URL);
	s->updated[i] = strtod(PQgetvalue(r, row, C_UPDATED), NULL);
	if (!pgv_strings_ok(s, i)) {
		snprintf(err, errlen, "pgvectors: out of memory loading %s",
			 s->collection);
		return -1;
	}
	return 0;
}

/* Append row j of b (already normalized) to s. 0 or -1. */
static int pgv_copy(struct pgv_set *s, const struct pgv_set *b, size_t j,
		    char *err, size_t errlen)
{
	size_t i = s->n;

	memcpy(s->mat + i * s->dim, b->mat + j * b->dim, s->dim * sizeof(float));
	s->n = i + 1;
	s->id[i] = b->id[j];
	s->integration[i] = b->integration[j];
	s->updated[i] = b->updated[j];
	s->point_id[i] = strdup(b->point_id[j]);
	s->table[i] = strdup(b->table[j]);
	s->display[i] = strdup(b->display[j]);
	s->title[i] = strdup(b->title[j]);
	s->url[i] = strdup(b->url[j]);
	if (!pgv_strings_ok(s, i)) {
		snprintf(err, errlen, "pgvectors: out of memory loading %s",
			 s->collection);
		return -1;
	}
	return 0;
}

static int pgv_str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Run a binary-result query for (tenant, collection[, since gen]). */
static PGresult *pgv_fetch(PGconn *db, const char *sql, int64_t tenant,
			   const char *collection, int64_t since, int nparams,
			   char *err, size_t errlen)
{
	char t[24], g[24];
	const char *p[3] = {db_i64(t, tenant), collection, db_i64(g, since)};
	PGresult *r;

	/* binary results: the vectors arrive as raw bytes; the other
	 * columns are text, whose binary form is the text itself */
	r = PQexecParams(db, sql, nparams, NULL, p, NULL, NULL, 1);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		snprintf(err, errlen, "pgvectors: loading %s failed: %s",
			 collection, PQresultErrorMessage(r));
		PQclear(r);
		return NULL;
	}
	return r;
}

/* The changed rows r (ascending id) merged with the rows of base that
 * were neither changed nor deleted (tombstones t), into s. 0 or -1. */
static int pgv_merge(struct pgv_set **out, const struct pgv_set *base,
		     const PGresult *r, const PGresult *t, int64_t gen,
		     char *err, size_t errlen)
{
	size_t nr = (size_t)PQntuples(r), nt = (size_t)PQntuples(t);
	size_t nx = 0, i, j = 0, keep = 0;
	const char **gone = NULL;
	unsigned char *kept = NULL;
	struct pgv_set *s = NULL;
	int rc = -1;

	/* the point ids that leave base: rewritten or deleted */
	gone = malloc((nr + nt + 1) * sizeof(*gone));
	kept = malloc(base->n + 1);
	if (!gone || !kept)
		goto oom;
	for (i = 0; i < nr; i++)
		gone[nx++] = PQgetvalue(r, (int)i, C_POINT);
	for (i = 0; i < nt; i++)
		gone[nx++] = PQgetvalue(t, (int)i, 0);
	qsort(gone, nx, sizeof(*gone), pgv_str_cmp);
	for (i = 0; i < base->n; i++) {
		kept[i] = !bsearch(&base->point_id[i], gone, nx, sizeof(*gone),
				   pgv_str_cmp);
		keep += kept[i];
	}
	s = pgv_set_alloc(base->tenant, base->collection, gen, base->dim,
			  keep + nr);
	if (!s)
		goto oom;
	for (i = 0; i < base->n || j < nr;) {
		int take_row = i >= base->n ||
			(j < nr && strtoll(PQgetvalue(r, (int)j, C_ID), NULL, 10) <
				   base->id[i]);

		if (!take_row && !kept[i]) {
			i++;
			continue;
		}
		if (take_row ? pgv_take(s, r, (int)j++, err, errlen) :
			       pgv_copy(s, base, i++, err, errlen))
			goto out;
	}
	*out = s;
	s = NULL;
	rc = 0;
	goto out;
oom:
	snprintf(err, errlen, "pgvectors: out of memory loading %s",
		 base->collection);
out:
	pgv_set_free(s);
	free(gone);
	free(kept);
	return rc;
}

int pgv_set_load(PGconn *db, int64_t tenant, const char *collection,
		 int64_t gen, uint32_t dim, const struct pgv_set *base,
		 struct pgv_set **out, char *err, size_t errlen)
{
	PGresult *r = NULL, *t = NULL;
	struct pgv_set *s = NULL;
	size_t i, n;
	int rc = -1;

	*out = NULL;
	if (!base) {
		r = pgv_fetch(db, "SELECT " PGV_COLS " FROM pgvectors"
			      " WHERE tenant_id = $1::bigint AND collection = $2"
			      " ORDER BY id", tenant, collection, 0, 2, err,
			      errlen);
		if (!r)
			goto out;
		n = (size_t)PQntuples(r);
		s = pgv_set_alloc(tenant, collection, gen, dim, n);
		if (!s) {
			snprintf(err, errlen, "pgvectors: out of memory loading %s",
				 collection);
			goto out;
		}
		for (i = 0; i < n; i++)
			if (pgv_take(s, r, (int)i, err, errlen) < 0)
				goto out;
	} else {
		r = pgv_fetch(db, "SELECT " PGV_COLS " FROM pgvectors"
			      " WHERE tenant_id = $1::bigint AND collection = $2"
			      " AND change_gen > $3::bigint ORDER BY id", tenant,
			      collection, base->generation, 3, err, errlen);
		t = r ? pgv_fetch(db, "SELECT point_id::text FROM"
				  " pgvectors_tombstones WHERE tenant_id ="
				  " $1::bigint AND collection = $2 AND gen >"
				  " $3::bigint", tenant, collection,
				  base->generation, 3, err, errlen) : NULL;
		if (!t || pgv_merge(&s, base, r, t, gen, err, errlen) < 0)
			goto out;
	}
	if (pgv_q8_build(&s->q8, s->mat, s->n, dim) < 0) {
		snprintf(err, errlen, "pgvectors: out of memory loading %s",
			 collection);
		goto out;
	}
	s->bytes += sizeof(*s) + s->n * (dim * sizeof(float) +
					 2 * sizeof(int64_t) + sizeof(double) +
					 5 * sizeof(char *)) +
		    pgv_q8_bytes(&s->q8);
	s->refs = 1; /* the caller's */
	*out = s;
	s = NULL;
	rc = 0;
out:
	PQclear(r);
	PQclear(t);
	pgv_set_free(s);
	return rc;
}
