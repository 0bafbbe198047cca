/*
 * source-jira: UTC offsets of IANA time zones, for JQL date literals.
 *
 * Jira reads `updated >= "2026/08/29 16:30"` in the API user's profile
 * time zone. The C library converts zones only through the process-wide TZ
 * variable and tzset(), which other threads of the host may be using, so
 * we read the compiled zone file ourselves (TZif, RFC 8536): version 1
 * (32-bit) or 2+ (64-bit) transition tables, and the POSIX TZ rule in the
 * footer for instants after the last transition. No global state.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jira.h"

#define TZ_MAX_FILE (512 * 1024)

/* A POSIX TZ rule: std offset, and optionally dst with two dates. */
struct tz_date {
	int kind;     /* 'J' (1..365, no Feb 29), 'D' (0..365), 'M' */
	int n, m, w, d;
	int32_t secs; /* local time of day of the change */
};

struct tz_rule {
	int32_t std_off, dst_off; /* east-positive UTC offsets */
	int has_dst;
	struct tz_date start, end;
};

struct jr_tz {
	int64_t *times;   /* transitions, ascending */
	unsigned char *idx; /* type of each transition */
	int32_t *offs;    /* utoff of each type */
	size_t ntimes, ntypes;
	int has_rule;
	struct tz_rule rule;
};

void jr_tz_free(struct jr_tz *tz)
{
	if (!tz)
		return;
	free(tz->times);
	free(tz->idx);
	free(tz->offs);
	free(tz);
}

/* ------------------------------------------------------------ POSIX rule */

/* Skip a zone abbreviation: <...> or 3+ letters. */
static const char *skip_name(const char *p)
{
	const char *s = p;

	if (*p == '<') {
		p = strchr(p, '>');
		return p && p - s >= 2 ? p + 1 : NULL;
	}
	while (isalpha((unsigned char)*p))
		p++;
	return p - s >= 3 ? p : NULL;
}

/* [+-]hh[:mm[:ss]] as seconds; hours up to 167 (RFC 8536 extension). */
static const char *parse_hms(const char *p, int32_t *out)
{
	int sign = 1, part = 0;
	long v[3] = {0, 0, 0};

	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	if (!isdigit((unsigned char)*p))
		return NULL;
	for (;;) {
		char *end;

		v[part] = strtol(p, &end, 10);
		if (end == p || (part == 0 && v[0] > 167) ||
		    (part > 0 && v[part] > 59))
			return NULL;
		p = end;
		if (*p != ':' || part == 2)
			break;
		p++;
		part++;
	}
	*out = (int32_t)(sign * (v[0] * 3600 + v[1] * 60 + v[2]));
	return p;
}

static const char *parse_date(const char *p, struct tz_date *d)
{
	char *end;

	memset(d, 0, sizeof(*d));
	if (*p == 'M') {
		d->kind = 'M';
		d->m = (int)strtol(p + 1, &end, 10);
		if (end == p + 1 || *end != '.')
			return NULL;
		p = end + 1;
		d->w = (int)strtol(p, &end, 10);
		if (end == p || *end != '.')
			return NULL;
		p = end + 1;
		d->d = (int)strtol(p, &end, 10);
		if (end == p || d->m < 1 || d->m > 12 || d->w < 1 || d->w > 5 ||
		    d->d < 0 || d->d > 6)
			return NULL;
	} else if (*p == 'J') {
		d->kind = 'J';
		d->n = (int)strtol(p + 1, &end, 10);
		if (end == p + 1 || d->n < 1 || d->n > 365)
			return NULL;
	} else {
		d->kind = 'D';
		d->n = (int)strtol(p, &end, 10);
		if (end == p || d->n < 0 || d->n > 365)
			return NULL;
	}
	p = end;
	d->secs = 7200; /* 02:00 local unless given */
	if (*p == '/')
		p = parse_hms(p + 1, &d->secs);
	return p;
}

static int parse_rule(const char *p, struct tz_rule *r)
{
	int32_t off;

	memset(r, 0, sizeof(*r));
	if (!(p = skip_name(p)) || !(p = parse_hms(p, &off)))
		return -1;
	r->std_off = -off; /* POSIX offsets are west-positive */
	r->dst_off = r->std_off;
	if (!*p)
		return 0;
	if (!(p = skip_name(p)))
		return -1;
	r->has_dst = 1;
	r->dst_off = r->std_off + 3600;
	if (*p && *p != ',') {
		if (!(p = parse_hms(p, &off)))
			return -1;
		r->dst_off = -off;
	}
	if (!*p) {
		/* No dates: POSIX leaves them to the implementation; the
		 * US rules are what glibc assumes. */
		r->start = (struct tz_date){'M', 0, 3, 2, 0, 7200};
		r->end = (struct tz_date){'M', 0, 11, 1, 0, 7200};
		return 0;
	}
	if (*p != ',' || !(p = parse_date(p + 1, &r->start)) || *p != ',' ||
	    !(p = parse_date(p + 1, &r->end)) || *p)
		return -1;
	return 0;
}

static int is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Epoch seconds of 00:00 UTC on the rule's day in year y. */
static int64_t rule_day(const struct tz_date *d, int64_t y)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int64_t jan1 = kt_civil_to_epoch(y, 1, 1, 0, 0, 0), first;
	int wd, day, len;

	switch (d->kind) {
	case 'J': /* Feb 29 is never counted */
		return jan1 + (int64_t)(d->n - 1 + (is_leap(y) && d->n >= 60)) * 86400;
	case 'D':
		return jan1 + (int64_t)d->n * 86400;
	default:
		first = kt_civil_to_epoch(y, d->m, 1, 0, 0, 0);
		/* 1970-01-01 was a Thursday (4) */
		wd = (int)(((first / 86400) % 7 + 7 + 4) % 7);
		day = 1 + (d->d - wd + 7) % 7 + (d->w - 1) * 7;
		len = mdays[d->m - 1] + (d->m == 2 && is_leap(y));
		while (day > len)
			day -= 7;
		return first + (int64_t)(day - 1) * 86400;
	}
}

static int32_t rule_offset(const struct tz_rule *r, int64_t t)
{
	int64_t y, start, end;

	if (!r->has_dst)
		return r->std_off;
	kt_epoch_to_civil(t + r->std_off, &y, NULL, NULL, NULL, NULL, NULL);
	/* The change to DST happens at a standard-time wall clock, the
	 * change back at a DST wall clock. */
	start = rule_day(&r->start, y) + r->start.secs - r->std_off;
	end = rule_day(&r->end, y) + r->end.secs - r->dst_off;
	if (start < end)
		return t >= start && t < end ? r->dst_off : r->std_off;
	/* southern hemisphere: DST spans the new year */
	return t >= end && t < start ? r->std_off : r->dst_off;
}

struct jr_tz *jr_tz_posix(const char *rule)
{
	struct jr_tz *tz = calloc(1, sizeof(*tz));

	if (!tz)
		return NULL;
	if (!rule || parse_rule(rule, &tz->rule) < 0) {
		free(tz);
		return NULL;
	}
	tz->has_rule = 1;
	return tz;
}

/* ------------------------------------------------------------ TZif */

static int64_t be(const unsigned char *p, int n)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < n; i++)
		v = (v << 8) | p[i];
	if (n == 4)
		return (int32_t)(uint32_t)v;
	return (int64_t)v;
}

struct tzhead {
	size_t isut, isstd, leap, time, type, chars;
};

static int read_head(const unsigned char *p, size_t len, struct tzhead *h)
{
	if (len < 44 || memcmp(p, "TZif", 4) != 0)
		return -1;
	h->isut = (size_t)be(p + 20, 4);
	h->isstd = (size_t)be(p + 24, 4);
	h->leap = (size_t)be(p + 28, 4);
	h->time = (size_t)be(p + 32, 4);
	h->type = (size_t)be(p + 36, 4);
	h->chars = (size_t)be(p + 40, 4);
	if (h->type == 0 || h->type > 256 || h->time > 100000 ||
	    h->leap > 100000 || h->chars > 100000 || h->isut > 256 ||
	    h->isstd > 256)
		return -1;
	return 0;
}

static size_t block_len(const struct tzhead *h, int tsize)
{
	return h->time * (size_t)tsize + h->time + h->type * 6 + h->chars +
	       h->leap * (size_t)(tsize + 4) + h->isstd + h->isut;
}

struct jr_tz *jr_tz_parse(const unsigned char *data, size_t len)
{
	struct tzhead h;
	struct jr_tz *tz = NULL;
	const unsigned char *p = data, *q;
	int tsize = 4;
	size_t i, blen;

	if (read_head(p, len, &h) < 0)
		return NULL;
	blen = block_len(&h, 4);
	if (44 + blen > len)
		return NULL;
	if (p[4] >= '2') {
		/* Skip the 32-bit block: the 64-bit one follows. */
		p += 44 + blen;
		len -= 44 + blen;
		if (read_head(p, len, &h) < 0)
			return NULL;
		tsize = 8;
		blen = block_len(&h, 8);
		if (44 + blen > len)
			return NULL;
	}
	tz = calloc(1, sizeof(*tz));
	if (!tz)
		return NULL;
	tz->ntimes = h.time;
	tz->ntypes = h.type;
	tz->times = malloc((h.time ? h.time : 1) * sizeof(*tz->times));
	tz->idx = malloc(h.time ? h.time : 1);
	tz->offs = malloc(h.type * sizeof(*tz->offs));
	if (!tz->times || !tz->idx || !tz->offs)
		goto fail;
	q = p + 44;
	for (i = 0; i < h.time; i++, q += tsize)
		tz->times[i] = be(q, tsize);
	for (i = 0; i < h.time; i++, q++) {
		if (*q >= h.type)
			goto fail;
		tz->idx[i] = *q;
	}
	for (i = 0; i < h.type; i++, q += 6)
		tz->offs[i] = (int32_t)be(q, 4);
	/* Footer (v2+): "\n<POSIX TZ>\n"; empty means "no rule". */
	p += 44 + blen;
	len -= 44 + blen;
	if (tsize == 8 && len >= 2 && p[0] == '\n') {
		const unsigned char *nl = memchr(p + 1, '\n', len - 1);
		char rule[128];
		size_t n = nl ? (size_t)(nl - p - 1) : 0;

		if (nl && n > 0 && n < sizeof(rule)) {
			memcpy(rule, p + 1, n);
			rule[n] = '\0';
			tz->has_rule = parse_rule(rule, &tz->rule) == 0;
		}
	}
	return tz;
fail:
	jr_tz_free(tz);
	return NULL;
}

/* A zone name is a relative path of letters, digits and _+- parts. */
static int valid_name(const char *name)
{
	const char *p;

	if (!name || !*name || name[0] == '/' || strlen(name) > 100)
		return 0;
	for (p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("/_+-", *p))
			return 0;
	return strstr(name, "//") == NULL && name[0] != '-';
}

struct jr_tz *jr_tz_load(const char *name, char *err, size_t errlen)
{
	const char *dir = getenv("TZDIR");
	char path[512];
	unsigned char *buf = NULL;
	size_t len = 0;
	struct jr_tz *tz = NULL;
	FILE *f = NULL;

	if (!valid_name(name)) {
		snprintf(err, errlen, "\"%s\" is not a time zone name", name ? name : "");
		goto out;
	}
	snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo",
		 name);
	f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "time zone \"%s\" not found (%s: %s; is the "
			 "tzdata package installed?)", name, path, strerror(errno));
		goto out;
	}
	buf = malloc(TZ_MAX_FILE);
	if (!buf) {
		snprintf(err, errlen, "out of memory reading time zone \"%s\"", name);
		goto out;
	}
	len = fread(buf, 1, TZ_MAX_FILE, f);
	tz = jr_tz_parse(buf, len);
	if (!tz)
		snprintf(err, errlen, "%s is not a valid compiled time zone file",
			 path);
out:
	if (f)
		fclose(f);
	free(buf);
	return tz;
}

int32_t jr_tz_offset(const struct jr_tz *tz, int64_t t)
{
	size_t lo, hi;

	if (!tz)
		return 0;
	if (tz->ntimes == 0)
		return tz->has_rule ? rule_offset(&tz->rule, t) :
			tz->ntypes ? tz->offs[0] : 0;
	if (t < tz->times[0])
		return tz->offs[0];
	if (t >= tz->times[tz->ntimes - 1] && tz->has_rule)
		return rule_offset(&tz->rule, t);
	/* last transition at or before t */
	lo = 0;
	hi = tz->ntimes;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (tz->times[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return tz->offs[tz->idx[lo]];
}

void jr_tz_jql(const struct jr_tz *tz, int64_t t_ms, char *out, size_t n)
{
	int64_t t = t_ms >= 0 ? t_ms / 1000 : -((-t_ms + 999) / 1000), y;
	int mon, d, h, mi;

	kt_epoch_to_civil(t + jr_tz_offset(tz, t), &y, &mon, &d, &h, &mi, NULL);
	snprintf(out, n, "%04d/%02d/%02d %02d:%02d", (int)y, mon, d, h, mi);
}
