/* vstore_time: vstore_epoch (vstore_time.h). */
#define _DEFAULT_SOURCE /* timegm */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ai/vstore_time.h"

/* n digits at *p into *v, advancing p. 0 or -1. */
static int digits(const char **p, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++, (*p)++) {
		if (!isdigit((unsigned char)**p))
			return -1;
		*v = *v * 10 + (**p - '0');
	}
	return 0;
}

int vstore_epoch(const char *s, int64_t *epoch)
{
	struct tm tm;
	int y, mo, d, h = 0, mi = 0, sec = 0, zh = 0, zm = 0, sign = 0;
	const char *p = s;

	if (!s || digits(&p, 4, &y) < 0 || *p++ != '-' ||
	    digits(&p, 2, &mo) < 0 || *p++ != '-' || digits(&p, 2, &d) < 0)
		return -1;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (digits(&p, 2, &h) < 0 || *p++ != ':' || digits(&p, 2, &mi) < 0)
			return -1;
		if (*p == ':' && (p++, digits(&p, 2, &sec) < 0))
			return -1;
		if (*p == '.' || *p == ',') /* fractions of a second: dropped */
			for (p++; isdigit((unsigned char)*p); p++)
				;
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			sign = *p++ == '-' ? -1 : 1;
			if (digits(&p, 2, &zh) < 0)
				return -1;
			if (*p == ':')
				p++;
			if (isdigit((unsigned char)*p) && digits(&p, 2, &zm) < 0)
				return -1;
		}
	}
	if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60 || zh > 23 || zm > 59)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*epoch = (int64_t)timegm(&tm) - (int64_t)sign * (zh * 3600 + zm * 60);
	return 0;
}
