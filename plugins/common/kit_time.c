/* kit_time: ISO-8601 parsing and formatting (see kit_time.h). */
#include <inttypes.h>
#include <stdio.h>

#include "kit_time.h"

/* Era-based civil-date conversion (400-year cycles of 146097 days):
 * exact for any date a plugin meets, with no dependence on TZ. */
int64_t kt_days_from_civil(int64_t y, unsigned m, unsigned d)
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

int64_t kt_civil_to_epoch(int64_t y, int mon, int d, int h, int mi, int s)
{
	return kt_days_from_civil(y, (unsigned)mon, (unsigned)d) * 86400 +
	       (int64_t)h * 3600 + mi * 60 + s;
}

void kt_epoch_to_civil(int64_t t, int64_t *yp, int *monp, int *dp, int *hp,
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

int kt_days_in_month(int64_t y, int mon)
{
	static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	if (mon < 1 || mon > 12)
		return 0;
	return dm[mon - 1] + (mon == 2 && leap);
}

/* n decimal digits at s into *out; -1 if any is not a digit. */
static int digits(const char *s, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* The zone suffix at p ("" = UTC) in seconds east; -1 if malformed. */
static int zone_offset(const char *p, int *off)
{
	int sign, oh, om = 0;

	if (*p == '\0' || (p[0] == 'Z' && p[1] == '\0')) {
		*off = 0;
		return 0;
	}
	if (*p != '+' && *p != '-')
		return -1;
	sign = *p == '-' ? -1 : 1;
	if (digits(p + 1, 2, &oh) < 0)
		return -1;
	p += 3;
	if (*p == ':')
		p++;
	if (*p) {
		if (digits(p, 2, &om) < 0 || p[2] != '\0')
			return -1;
	} else if (p[-1] == ':') {
		return -1; /* "+07:" */
	}
	if (oh > 23 || om > 59)
		return -1;
	*off = sign * (oh * 3600 + om * 60);
	return 0;
}

int64_t kt_time_parse_ms(const char *s)
{
	int y, mo, d, h = 0, mi = 0, se = 0, ms = 0, off = 0;
	const char *p;

	if (!s || digits(s, 4, &y) < 0 || s[4] != '-' ||
	    digits(s + 5, 2, &mo) < 0 || s[7] != '-' || digits(s + 8, 2, &d) < 0)
		return KT_NO_TIME;
	if (d < 1 || d > kt_days_in_month(y, mo))
		return KT_NO_TIME;
	p = s + 10;
	if (*p == 'T' || *p == ' ') {
		if (digits(p + 1, 2, &h) < 0 || p[3] != ':' ||
		    digits(p + 4, 2, &mi) < 0)
			return KT_NO_TIME;
		p += 6;
		if (*p == ':') {
			if (digits(p + 1, 2, &se) < 0)
				return KT_NO_TIME;
			p += 3;
			if (*p == '.') {
				int k = 0;

				for (p++; *p >= '0' && *p <= '9'; p++, k++)
					if (k < 3)
						ms = ms * 10 + (*p - '0');
				if (k == 0)
					return KT_NO_TIME; /* "12:00:00." */
				for (; k < 3; k++)
					ms *= 10;
			}
		}
		if (zone_offset(p, &off) < 0)
			return KT_NO_TIME;
	} else if (*p) {
		return KT_NO_TIME;
	}
	if (h > 23 || mi > 59 || se > 60)
		return KT_NO_TIME;
	return (kt_civil_to_epoch(y, mo, d, h, mi, se) - off) * 1000 + ms;
}

int64_t kt_time_parse_s(const char *s)
{
	int64_t ms = kt_time_parse_ms(s);

	return ms == KT_NO_TIME || ms < 0 ? -1 : ms / 1000;
}

void kt_time_format_ms(int64_t ms, int frac, char *out, size_t n)
{
	int64_t t = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000), y;
	int mon, d, h, mi, s;

	kt_epoch_to_civil(t, &y, &mon, &d, &h, &mi, &s);
	if (frac == 0)
		snprintf(out, n, "%04" PRId64 "-%02d-%02dT%02d:%02d:%02dZ", y, mon,
			 d, h, mi, s);
	else
		snprintf(out, n, "%04" PRId64 "-%02d-%02dT%02d:%02d:%02d.%03dZ", y,
			 mon, d, h, mi, s, (int)(ms - t * 1000));
}
