/* kit_ids: sets of numeric ids (see kit_ids.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kit_ids.h"

int kt_ids_add(struct kt_ids *s, int64_t id)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		int64_t *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = id;
	return 0;
}

int kt_ids_find(const struct kt_ids *s, int64_t id)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i] == id)
			return 1;
	return 0;
}

int kt_ids_put(struct kt_ids *s, int64_t id)
{
	return kt_ids_find(s, id) ? 0 : kt_ids_add(s, id);
}

void kt_ids_del(struct kt_ids *s, int64_t id)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i] == id) {
			s->v[i] = s->v[--s->n];
			return;
		}
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

void kt_ids_sort(struct kt_ids *s)
{
	size_t i, o = 0;

	if (s->n < 2)
		return;
	qsort(s->v, s->n, sizeof(*s->v), cmp_i64);
	for (i = 0; i < s->n; i++)
		if (o == 0 || s->v[i] != s->v[o - 1])
			s->v[o++] = s->v[i];
	s->n = o;
}

int kt_ids_has(const struct kt_ids *s, int64_t id)
{
	return s->n && bsearch(&id, s->v, s->n, sizeof(*s->v), cmp_i64) != NULL;
}

void kt_ids_free(struct kt_ids *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

int kt_ids_parse(struct kt_ids *s, const char *p)
{
	while (p && *p) {
		char *end;
		long long a = strtoll(p, &end, 10), b = a, x;

		if (end == p || a < 0)
			return -1;
		p = end;
		if (*p == '-') {
			b = strtoll(p + 1, &end, 10);
			/* a bound on one range keeps a corrupt value from
			 * asking for all memory */
			if (end == p + 1 || b < a || b - a > 100000000)
				return -1;
			p = end;
		}
		for (x = a; x <= b; x++)
			if (kt_ids_add(s, x) < 0)
				return -1;
		if (*p == ',')
			p++;
		else if (*p)
			return -1;
	}
	return 0;
}

char *kt_ids_format(const struct kt_ids *s)
{
	size_t cap = 64, len = 0, i = 0;
	char *out = malloc(cap), *nb;

	if (!out)
		return NULL;
	out[0] = '\0';
	while (i < s->n) {
		size_t j = i;
		char item[48];
		int k;

		while (j + 1 < s->n && s->v[j + 1] == s->v[j] + 1)
			j++;
		if (j == i)
			k = snprintf(item, sizeof(item), "%s%" PRId64,
				     len ? "," : "", s->v[i]);
		else
			k = snprintf(item, sizeof(item), "%s%" PRId64 "-%" PRId64,
				     len ? "," : "", s->v[i], s->v[j]);
		if (len + (size_t)k + 1 > cap) {
			cap = (len + (size_t)k + 1) * 2;
			nb = realloc(out, cap);
			if (!nb) {
				free(out);
				return NULL;
			}
			out = nb;
		}
		memcpy(out + len, item, (size_t)k + 1);
		len += (size_t)k;
		i = j + 1;
	}
	return out;
}
