/*
 * vmove_ids: the exact check of a move. Both stores' id sets are read in
 * full by scroll (ABI 1.4 for a plugin store), sorted and compared, at
 * any size: no k-NN query with k = points, no trust in acknowledgements.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ai/vmove_int.h"
#include "ai/vstore.h"

struct vmi_set {
	char **v;
	size_t n, cap;
};

static void vmi_free(struct vmi_set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static int vmi_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every id of s's tenant in collection into set, sorted. 0 or -1. */
static int vmi_read(struct vstore *s, const char *collection, uint32_t page,
		    struct vmi_set *set, char *err, size_t errlen)
{
	struct vstore_page pg;
	char *off = NULL;
	size_t i;
	int rc = -1;

	do {
		if (vstore_scroll(s, collection, off, page, 0, &pg, err,
				  errlen) < 0)
			goto out;
		if (set->n + pg.n > set->cap) {
			size_t cap = set->cap ? set->cap : 1024;
			char **v;

			while (cap < set->n + pg.n)
				cap *= 2;
			if (!(v = realloc(set->v, cap * sizeof(*v)))) {
				vstore_page_free(&pg);
				goto oom;
			}
			set->v = v;
			set->cap = cap;
		}
		for (i = 0; i < pg.n; i++) {
			if (!(set->v[set->n] = strdup(pg.pts[i].point_id))) {
				vstore_page_free(&pg);
				goto oom;
			}
			set->n++;
		}
		free(off);
		off = pg.next;
		pg.next = NULL;
		vstore_page_free(&pg);
	} while (off);
	qsort(set->v, set->n, sizeof(*set->v), vmi_cmp);
	rc = 0;
	goto out;
oom:
	snprintf(err, errlen, "vectorize move: out of memory reading the ids "
		 "of %s", vstore_name(s));
out:
	free(off);
	return rc;
}

int vmove_same_ids(struct vstore *a, struct vstore *b,
		   const char *collection, uint32_t page, const char *stays,
		   uint64_t *n, char *err, size_t errlen)
{
	struct vmi_set sa = {0}, sb = {0};
	size_t i = 0, j = 0;
	int rc = -1, c;

	*n = 0;
	if (vmi_read(a, collection, page, &sa, err, errlen) < 0 ||
	    vmi_read(b, collection, page, &sb, err, errlen) < 0)
		goto out;
	/* a merge of the two sorted lists finds the first id only one has */
	while (i < sa.n || j < sb.n) {
		c = i == sa.n ? 1 : j == sb.n ? -1 : strcmp(sa.v[i], sb.v[j]);
		if (c != 0) {
			snprintf(err, errlen, "vectorize move: point %s is in %s "
				 "but not in %s (%zu points against %zu); the "
				 "tenant stays on %s, run the move again",
				 c < 0 ? sa.v[i] : sb.v[j],
				 vstore_name(c < 0 ? a : b),
				 vstore_name(c < 0 ? b : a), sa.n, sb.n, stays);
			goto out;
		}
		i++;
		j++;
	}
	*n = sa.n;
	rc = 0;
out:
	vmi_free(&sa);
	vmi_free(&sb);
	return rc;
}
