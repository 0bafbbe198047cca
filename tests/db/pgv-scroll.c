/*
 * pgv-scroll: the embedded store's scroll (host/ai/pgvectors_scroll.c)
 * against a private database (tests/db/pgvectors-scroll.sh):
 *
 *   pgv-scroll URL TENANT_A INTEG_A1 INTEG_A2 TENANT_B INTEG_B TENANT_EMPTY
 *
 * Tenant A gets 7 points in one collection (4 prs of integration A1, 3
 * work_items of A2) and 2 in another; B gets 5 in the first. Checked:
 * keyset paging by point id at page sizes 1, 3, 7 (an exact multiple:
 * no empty trailing page), 8 and 1000 - every point of A on exactly one
 * page, in ascending id order, pages full but the last, next NULL only
 * on it; the tenant filter (never a point of B, whose ids interleave
 * with A's; B's scroll sees only B's); the collection filter; all
 * tables and integrations of the collection come back (scroll has no
 * table/integration filter: a move copies them all); with vectors (the
 * exact floats) and without (vec NULL, dim 0); the payload fields; an
 * offset taken from B's ids; an empty tenant and an unknown collection
 * (one empty page); a malformed offset is an error. Exit 0 = pass.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ai/vstore.h"
#include "base/crypto.h"
#include "db/db.h"
#include "pgv-check.h"

#define DIM 8
#define COLL "pulse_scroll_test_8"
#define OTHER "pulse_scroll_other_8"
#define NA 7
#define NB 5

/* One tenant's expected point. */
struct want {
	char id[VSTORE_ID_LEN];
	char ext[32];
	const char *table;
	int64_t integ;
	float vec[DIM];
	int seen;
};

static int want_cmp(const void *a, const void *b)
{
	return strcmp(((const struct want *)a)->id, ((const struct want *)b)->id);
}

/* Write points w[0..n) of tenant through its store. 0 or -1. */
static int put(struct vstore *s, const char *coll, struct want *w, size_t n)
{
	struct vstore_point pts[16];
	char err[512], hash[65];
	size_t i;

	for (i = 0; i < n; i++) {
		memset(&pts[i], 0, sizeof(pts[i]));
		pts[i].point_id = w[i].id;
		pts[i].vec = w[i].vec;
		pts[i].integration_id = w[i].integ;
		pts[i].table = w[i].table;
		pts[i].external_id = w[i].ext;
		pts[i].display_id = w[i].ext;
		pts[i].title = w[i].ext;
		pts[i].url = "https://example.test/x";
		pts[i].updated_at = "2026-01-02T03:04:05Z";
		vstore_text_hash(w[i].ext, hash);
		pts[i].text_hash = hash;
		if (vstore_upsert(s, coll, DIM, &pts[i], 1, err, sizeof(err)) < 0) {
			fprintf(stderr, "upsert: %s\n", err);
			return -1;
		}
	}
	return 0;
}

static void fill(struct want *w, size_t n, int64_t tenant, const char *table,
		 int64_t integ, size_t base)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		snprintf(w[i].ext, sizeof(w[i].ext), "ext-%zu", base + i);
		vstore_point_id(tenant, table, w[i].ext, w[i].id);
		w[i].table = table;
		w[i].integ = integ;
		for (j = 0; j < DIM; j++)
			w[i].vec[j] = (float)(base + i) * 0.25f + (float)j / 7.0f;
	}
}

static struct want *find(struct want *w, size_t n, const char *id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(w[i].id, id) == 0)
			return &w[i];
	return NULL;
}

/* Scroll all of s's points of coll at page size `page`, from `start`
 * (NULL: the first page), checking each against w (sorted by id). */
static void scroll_all(struct vstore *s, const char *coll, uint32_t page,
		       int vectors, const char *start, struct want *w, size_t n,
		       size_t want_n, const char *label)
{
	struct vstore_page pg;
	char err[512], *off = start ? strdup(start) : NULL, prev[VSTORE_ID_LEN];
	size_t i, got = 0, pages = 0, want_pages;
	char hash[65];
	struct want *x;

	/* ids ascend from the offset on */
	snprintf(prev, sizeof(prev), "%s", start ? start : "");
	for (i = 0; i < n; i++)
		w[i].seen = 0;
	want_pages = want_n ? (want_n + page - 1) / page : 1;
	do {
		memset(&pg, 0, sizeof(pg));
		if (vstore_scroll(s, coll, off, page, vectors, &pg, err,
				  sizeof(err)) < 0) {
			CHECK(0, "%s: scroll failed: %s", label, err);
			break;
		}
		pages++;
		CHECK(pg.n <= page, "%s: page of %zu > %u", label, pg.n, page);
		CHECK(!pg.next || pg.n == page, "%s: a page of %zu (< %u) has a next",
		      label, pg.n, page);
		CHECK(vectors ? (pg.n == 0 || pg.dim == DIM) : pg.dim == 0,
		      "%s: dim %u", label, pg.dim);
		for (i = 0; i < pg.n; i++) {
			const struct vstore_point *p = &pg.pts[i];

			CHECK(strcmp(prev, p->point_id) < 0, "%s: %s after %s",
			      label, p->point_id, prev);
			snprintf(prev, sizeof(prev), "%s", p->point_id);
			x = find(w, n, p->point_id);
			CHECK(x != NULL, "%s: point %s is not the tenant's", label,
			      p->point_id);
			if (!x)
				continue;
			CHECK(!x->seen, "%s: point %s twice", label, p->point_id);
			x->seen = 1;
			got++;
			CHECK(!strcmp(p->table, x->table) &&
			      !strcmp(p->external_id, x->ext) &&
			      p->integration_id == x->integ,
			      "%s: payload of %s: %s %s %lld", label, x->id, p->table,
			      p->external_id, (long long)p->integration_id);
			vstore_text_hash(x->ext, hash);
			CHECK(p->title && !strcmp(p->title, x->ext) && p->url &&
			      !strcmp(p->url, "https://example.test/x") &&
			      p->display_id && !strcmp(p->display_id, x->ext) &&
			      p->text_hash && !strcmp(p->text_hash, hash) &&
			      p->updated_at &&
			      !strcmp(p->updated_at, "2026-01-02T03:04:05Z"),
			      "%s: payload fields of %s", label, x->id);
			if (vectors)
				CHECK(p->vec && !memcmp(p->vec, x->vec, sizeof(x->vec)),
				      "%s: vector of %s differs", label, x->id);
			else
				CHECK(p->vec == NULL, "%s: a vector without vectors",
				      label);
		}
		free(off);
		off = pg.next;
		pg.next = NULL;
		vstore_page_free(&pg);
		/* a scroll that repeats its offset's point would never end */
		if (off && pages > want_pages + 2) {
			CHECK(0, "%s: more than %zu pages", label, want_pages + 2);
			break;
		}
	} while (off);
	free(off);
	CHECK(got == want_n, "%s: %zu points, want %zu", label, got, want_n);
	CHECK(pages == want_pages, "%s: %zu pages, want %zu", label, pages,
	      want_pages);
}

static int run(PGconn *db, int64_t ta, int64_t ia1, int64_t ia2, int64_t tb,
	       int64_t ib, int64_t te)
{
	static struct want a[NA], a2[2], b[NB];
	static const uint32_t sizes[] = { 1, 3, 7, 8, 1000 };
	struct vstore *sa = NULL, *sb = NULL, *se = NULL;
	struct vstore_page pg;
	char err[512], label[64];
	size_t i, k;

	fill(a, 4, ta, "prs", ia1, 0);
	fill(a + 4, 3, ta, "work_items", ia2, 4);
	fill(a2, 2, ta, "prs", ia1, 100);
	fill(b, NB, tb, "prs", ib, 0); /* the same external ids as A's prs */
	if (vstore_open_pg(db, ta, &sa, err, sizeof(err)) < 0 ||
	    vstore_open_pg(db, tb, &sb, err, sizeof(err)) < 0 ||
	    vstore_open_pg(db, te, &se, err, sizeof(err)) < 0) {
		fprintf(stderr, "open: %s\n", err);
		return 1;
	}
	if (vstore_ensure(sa, COLL, DIM, err, sizeof(err)) < 0 ||
	    vstore_ensure(sa, OTHER, DIM, err, sizeof(err)) < 0 ||
	    vstore_ensure(sb, COLL, DIM, err, sizeof(err)) < 0 ||
	    put(sa, COLL, a, NA) < 0 || put(sa, OTHER, a2, 2) < 0 ||
	    put(sb, COLL, b, NB) < 0) {
		fprintf(stderr, "set-up failed: %s\n", err);
		return 1;
	}
	qsort(a, NA, sizeof(*a), want_cmp);
	qsort(b, NB, sizeof(*b), want_cmp);
	CHECK(vstore_can_scroll(sa), "pgvectors cannot scroll");
	for (k = 0; k < sizeof(sizes) / sizeof(*sizes); k++) {
		snprintf(label, sizeof(label), "A page %u vectors", sizes[k]);
		scroll_all(sa, COLL, sizes[k], 1, NULL, a, NA, NA, label);
		snprintf(label, sizeof(label), "A page %u ids", sizes[k]);
		scroll_all(sa, COLL, sizes[k], 0, NULL, a, NA, NA, label);
	}
	/* both tables and both integrations came back (scroll_all saw all 7) */
	for (i = 0, k = 0; i < NA; i++)
		k += !strcmp(a[i].table, "work_items") && a[i].integ == ia2;
	CHECK(k == 3, "%zu work_items of integration %lld", k, (long long)ia2);
	/* B sees its own 5, at a page size that splits them */
	scroll_all(sb, COLL, 2, 1, NULL, b, NB, NB, "B page 2");
	/* the other collection: A's 2 there only */
	scroll_all(sa, OTHER, 3, 1, NULL, a2, 2, 2, "A other collection");
	/* from the middle: after A's 3rd id, the 4 after it */
	scroll_all(sa, COLL, 3, 0, a[2].id, a + 3, NA - 3, NA - 3,
		   "A from the 3rd id");
	/* an offset that is one of B's ids: still only A's points after it */
	for (i = 0, k = 0; i < NA; i++)
		k += strcmp(a[i].id, b[0].id) > 0;
	scroll_all(sa, COLL, 2, 0, b[0].id, a, NA, k, "A from B's id");
	/* an empty tenant, an unknown collection: one empty page */
	scroll_all(se, COLL, 3, 1, NULL, NULL, 0, 0, "empty tenant");
	scroll_all(sa, "pulse_nothing_8", 3, 1, NULL, NULL, 0, 0,
		   "unknown collection");
	/* a malformed offset is an error, not a page */
	memset(&pg, 0, sizeof(pg));
	CHECK(vstore_scroll(sa, COLL, "not-a-uuid", 3, 0, &pg, err,
			    sizeof(err)) < 0, "a malformed offset was accepted");
	vstore_close(sa);
	vstore_close(sb);
	vstore_close(se);
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	char err[512];
	PGconn *db;
	int rc;

	if (argc != 8 || crypto_init(err, sizeof(err)) < 0) {
		fprintf(stderr, "usage: pgv-scroll URL TENANT_A INTEG_A1 INTEG_A2 "
			"TENANT_B INTEG_B TENANT_EMPTY\n");
		return 2;
	}
	if (!(db = db_connect(argv[1], err, sizeof(err)))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	rc = run(db, atoll(argv[2]), atoll(argv[3]), atoll(argv[4]),
		 atoll(argv[5]), atoll(argv[6]), atoll(argv[7]));
	PQfinish(db);
	if (rc == 0)
		printf("pgv-scroll: all checks passed\n");
	return rc;
}
