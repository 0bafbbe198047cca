/* source-ad values: see values.h. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "values.h"

/* FILETIME of the unix epoch (100 ns ticks since 1601-01-01). */
#define AD_FT_EPOCH 116444736000000000LL

int ad_guid_uuid(const unsigned char *b, size_t len, char *out, size_t n)
{
	if (len != 16 || n < 37)
		return -1;
	snprintf(out, n, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x", b[3], b[2], b[1], b[0], b[5], b[4],
		 b[7], b[6], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	return 0;
}

int ad_guid_base64(const unsigned char *b, size_t len, char *out, size_t n)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, o = 0;

	if (len != 16 || n < 25)
		return -1;
	for (i = 0; i + 2 < len; i += 3) {
		unsigned v = (unsigned)b[i] << 16 | (unsigned)b[i + 1] << 8 | b[i + 2];

		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = tab[v >> 6 & 63];
		out[o++] = tab[v & 63];
	}
	/* 16 = 5 * 3 + 1: one byte left, two '=' of padding */
	out[o++] = tab[b[15] >> 2];
	out[o++] = tab[(b[15] & 3) << 4];
	out[o++] = '=';
	out[o++] = '=';
	out[o] = '\0';
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int ad_uuid_guid(const char *u, unsigned char out[16])
{
	/* wire order of the 16 bytes read left to right from the string */
	static const int pos[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12,
				    13, 14, 15};
	unsigned char v[16];
	size_t i, k = 0;

	if (!u || strlen(u) != 36)
		return -1;
	for (i = 0; i < 36; i++) {
		int hi, lo;

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (u[i] != '-')
				return -1;
			continue;
		}
		if ((hi = hexval(u[i])) < 0 || (lo = hexval(u[i + 1])) < 0)
			return -1;
		v[k++] = (unsigned char)(hi << 4 | lo);
		i++;
	}
	for (i = 0; i < 16; i++)
		out[pos[i]] = v[i];
	return 0;
}

int ad_uac_disabled(const char *uac)
{
	char *end;
	long long v;

	if (!uac || !*uac)
		return -1;
	errno = 0;
	v = strtoll(uac, &end, 10);
	if (errno || *end)
		return -1;
	return (v & 0x2) ? 1 : 0;
}

int64_t ad_filetime_unix(const char *s)
{
	char *end;
	long long v;

	if (!s || !*s)
		return AD_NO_TIME;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v <= 0 || v == 9223372036854775807LL)
		return AD_NO_TIME;
	/* floor division, so times before 1970 round down too */
	v -= AD_FT_EPOCH;
	return v >= 0 ? v / 10000000 : -((-v + 9999999) / 10000000);
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

int64_t ad_gentime_unix(const char *s)
{
	struct tm tm;
	int y, mo, d, h, mi, sec = 0, off = 0;
	const char *p;
	int64_t t;

	if (!s || strlen(s) < 10 || digits(s, 4, &y) || digits(s + 4, 2, &mo) ||
	    digits(s + 6, 2, &d) || digits(s + 8, 2, &h))
		return AD_NO_TIME;
	p = s + 10;
	mi = 0;
	if (isdigit((unsigned char)*p)) {
		if (digits(p, 2, &mi))
			return AD_NO_TIME;
		p += 2;
		if (isdigit((unsigned char)*p)) {
			if (digits(p, 2, &sec))
				return AD_NO_TIME;
			p += 2;
		}
	}
	if (*p == '.' || *p == ',') {      /* fraction: dropped */
		p++;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om = 0, sign = *p == '-' ? -1 : 1;

		if (digits(p + 1, 2, &oh))
			return AD_NO_TIME;
		p += 3;
		if (isdigit((unsigned char)*p)) {
			if (digits(p, 2, &om))
				return AD_NO_TIME;
			p += 2;
		}
		off = sign * (oh * 3600 + om * 60);
	} else {
		return AD_NO_TIME;   /* local time: AD never sends it */
	}
	if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60)
		return AD_NO_TIME;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = (int64_t)timegm(&tm);
	return t - off;
}

void ad_iso(int64_t t, char *out, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm)) {
		snprintf(out, n, "%s", "");
		return;
	}
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

const char *ad_dn_parent(const char *dn)
{
	const char *p;

	for (p = dn; p && *p; p++) {
		if (*p == '\\' && p[1]) {
			p++;
			continue;
		}
		if (*p == ',') {
			p++;
			while (*p == ' ')
				p++;
			return p;
		}
	}
	return "";
}

int ad_dn_within(const char *dn, const char *nc)
{
	const char *p;

	if (!dn || !nc || !*nc)
		return 0;
	for (p = dn; *p; p = ad_dn_parent(p))
		if (strcasecmp(p, nc) == 0)
			return 1;
	return 0;
}

int ad_range_parse(const char *desc, long *lo, long *hi)
{
	static const char pre[] = "member;range=";
	const char *p;
	char *end;

	if (!desc || strncasecmp(desc, pre, sizeof(pre) - 1) != 0)
		return 0;
	p = desc + sizeof(pre) - 1;
	errno = 0;
	*lo = strtol(p, &end, 10);
	if (errno || end == p || *end != '-' || *lo < 0)
		return 0;
	p = end + 1;
	if (strcmp(p, "*") == 0) {
		*hi = -1;
		return 1;
	}
	*hi = strtol(p, &end, 10);
	if (errno || end == p || *end || *hi < *lo)
		return 0;
	return 1;
}
