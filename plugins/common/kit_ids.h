/* kit_ids: sets of numeric ids (issue ids, PR numbers) for reconcile and
 * dedup. Two ways of use: small sets kept in insertion order
 * (kt_ids_put/kt_ids_find/kt_ids_del, linear), and large ones made sorted
 * and unique by kt_ids_sort, then searched with kt_ids_has (binary).
 * Saved as ranges text: "10000-10059,10061". The struct owns v. */
#ifndef PULSE_PLUGINS_KIT_IDS_H
#define PULSE_PLUGINS_KIT_IDS_H

#include <stddef.h>
#include <stdint.h>

struct kt_ids {
	int64_t *v;
	size_t n, cap;
};

int kt_ids_add(struct kt_ids *s, int64_t id);       /* 0, -1 no memory */
/* Add unless present (linear search): 0, -1 no memory. */
int kt_ids_put(struct kt_ids *s, int64_t id);
int kt_ids_find(const struct kt_ids *s, int64_t id); /* any order, linear */
void kt_ids_del(struct kt_ids *s, int64_t id);       /* moves the last in */
void kt_ids_sort(struct kt_ids *s);                 /* sort + unique */
int kt_ids_has(const struct kt_ids *s, int64_t id);  /* sorted set only */
void kt_ids_free(struct kt_ids *s);
/* Parse ranges text (NULL or "" = empty) and add to s. -1 if malformed
 * or out of memory (s keeps what was added before the error). */
int kt_ids_parse(struct kt_ids *s, const char *text);
/* Ranges text of a sorted set; malloc'ed, the caller frees. NULL when
 * out of memory. */
char *kt_ids_format(const struct kt_ids *s);

#endif
