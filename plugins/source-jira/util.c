/* source-jira: time parsing, JSON lookups and id sets. */
#include <ctype.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jira.h"

/* ------------------------------------------------------------ time */

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

int64_t jr_civil_to_epoch(int64_t y, int mon, int d, int h, int mi, int s)
{
	return days_from_civil(y, (unsigned)mon, (unsigned)d) * 86400 +
	       (int64_t)h * 3600 + mi * 60 + s;
}

void jr_epoch_to_civil(int64_t t, int64_t *yp, int *monp, int *dp, int *hp,
		       int *mip, int *sp)
{
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	int64_t secs = t - days * 86400, z, era, y;
	unsigned doe, yoe, doy, mp, d, m;

	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	if (yp)
		*yp = y + (m <= 2);
	if (monp)
		*monp = (int)m;
	if (dp)
		*dp = (int)d;
	if (hp)
		*hp = (int)(secs / 3600);
	if (mip)
		*mip = (int)(secs / 60 % 60);
	if (sp)
		*sp = (int)(secs % 60);
}

static int digits(const char *s, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int64_t jr_parse_time_ms(const char *s)
{
	int y, mo, d, h = 0, mi = 0, se = 0, ms = 0, oh = 0, om = 0, sign = 0;
	const char *p;

	if (!s || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) ||
	    s[7] != '-' || digits(s + 8, 2, &d))
		return JR_NO_TIME;
	if (mo < 1 || mo > 12 || d < 1 || d > 31)
		return JR_NO_TIME;
	p = s + 10;
	if (*p == 'T' || *p == ' ') {
		if (digits(p + 1, 2, &h) || p[3] != ':' || digits(p + 4, 2, &mi))
			return JR_NO_TIME;
		p += 6;
		if (*p == ':') {
			if (digits(p + 1, 2, &se))
				return JR_NO_TIME;
			p += 3;
			if (*p == '.') {
				int k = 0;

				for (p++; isdigit((unsigned char)*p); p++, k++)
					if (k < 3)
						ms = ms * 10 + (*p - '0');
				for (; k < 3; k++)
					ms *= 10;
			}
		}
		if (*p == 'Z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			sign = *p == '-' ? -1 : 1;
			if (digits(p + 1, 2, &oh))
				return JR_NO_TIME;
			p += 3;
			if (*p == ':')
				p++;
			if (*p) {
				if (digits(p, 2, &om))
					return JR_NO_TIME;
				p += 2;
			}
		}
	}
	if (*p || h > 24 || mi > 59 || se > 60)
		return JR_NO_TIME;
	return (jr_civil_to_epoch(y, mo, d, h, mi, se) -
		(int64_t)sign * (oh * 3600 + om * 60)) * 1000 + ms;
}

void jr_format_utc(int64_t ms, char *out, size_t n)
{
	int64_t t = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000), y;
	int mon, d, h, mi, s;

	jr_epoch_to_civil(t, &y, &mon, &d, &h, &mi, &s);
	snprintf(out, n, "%04" PRId64 "-%02d-%02dT%02d:%02d:%02d.%03dZ", y, mon,
		 d, h, mi, s, (int)(ms - t * 1000));
}

/* ------------------------------------------------------------ JSON */






const char *jr_idstr(struct json_object *o, const char *key, char *buf,
		     size_t n)
{
	struct json_object *v = pj_obj(o, key);

	if (!v)
		return NULL;
	if (json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	if (json_object_is_type(v, json_type_int)) {
		snprintf(buf, n, "%" PRId64, json_object_get_int64(v));
		return buf;
	}
	return NULL;
}

/* ------------------------------------------------------------ id sets */

int jr_ids_add(struct jr_ids *s, int64_t id)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		int64_t *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = id;
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

void jr_ids_sort(struct jr_ids *s)
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

int jr_ids_has(const struct jr_ids *s, int64_t id)
{
	return s->n && bsearch(&id, s->v, s->n, sizeof(*s->v), cmp_i64) != NULL;
}

void jr_ids_free(struct jr_ids *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

int jr_ids_parse(struct jr_ids *s, const char *p)
{
	while (p && *p) {
		char *end;
		long long a = strtoll(p, &end, 10), b = a, x;

		if (end == p || a < 0)
			return -1;
		p = end;
		if (*p == '-') {
			b = strtoll(p + 1, &end, 10);
			if (end == p + 1 || b < a || b - a > 100000000)
				return -1;
			p = end;
		}
		for (x = a; x <= b; x++)
			if (jr_ids_add(s, x) < 0)
				return -1;
		if (*p == ',')
			p++;
		else if (*p)
			return -1;
	}
	return 0;
}

char *jr_ids_format(const struct jr_ids *s)
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
