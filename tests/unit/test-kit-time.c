/*
 * test-kit-time: the connector kit's ISO-8601 module (plugins/common/
 * kit_time.c) against the C library. For many generated date-times in
 * every accepted spelling (zones Z, +hh:mm, -hhmm, +hh, none; 0 to 9
 * fraction digits; 'T' or ' '), the parse must equal timegm of the same
 * fields minus the offset, and formatting must give back what gmtime
 * says. Generated impossible dates and times must be refused, although
 * timegm would quietly normalise them. Hand-chosen edge cases follow.
 */
#define _GNU_SOURCE 1 /* timegm */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "kit_time.h"

#define ROUNDS 200000

/* A fixed generator (xorshift64): every run checks the same inputs. */
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static unsigned pick(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* The C library's answer for a UTC civil time. */
static int64_t libc_epoch(int y, int mon, int d, int h, int mi, int s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return (int64_t)timegm(&tm);
}

static int libc_days_in_month(int y, int mon)
{
	int64_t a = libc_epoch(y, mon, 1, 0, 0, 0);
	int64_t b = mon == 12 ? libc_epoch(y + 1, 1, 1, 0, 0, 0) :
		libc_epoch(y, mon + 1, 1, 0, 0, 0);

	return (int)((b - a) / 86400);
}

/* Write a zone suffix of a random spelling for offset off (seconds east,
 * whole minutes) into z. */
static void zone_text(int off, char *z, size_t n)
{
	int a = off < 0 ? -off : off, hh = a / 3600, mm = a / 60 % 60;
	char sign = off < 0 ? '-' : '+';

	switch (off == 0 ? pick(5) : mm ? 2 + pick(2) : 2 + pick(3)) {
	case 0:
		snprintf(z, n, "Z");
		break;
	case 1:
		z[0] = '\0'; /* no zone: UTC */
		break;
	case 2:
		snprintf(z, n, "%c%02d:%02d", sign, hh, mm);
		break;
	case 3:
		snprintf(z, n, "%c%02d%02d", sign, hh, mm);
		break;
	default:
		snprintf(z, n, "%c%02d", sign, hh);
		break;
	}
}

static void generated_match_timegm(void **st)
{
	int i;

	(void)st;
	for (i = 0; i < ROUNDS; i++) {
		int y = 1900 + (int)pick(300), mon = 1 + (int)pick(12);
		int d = 1 + (int)pick((unsigned)libc_days_in_month(y, mon));
		int h = (int)pick(24), mi = (int)pick(60), s = (int)pick(60);
		int off = ((int)pick(29) - 14) * 3600 + (pick(4) ? 0 : (int)pick(4) * 15 * 60);
		int nfrac = (int)pick(10), k, ms = 0;
		char frac[16] = "", zone[16], text[80];
		int64_t want, got;

		if (off < -14 * 3600)
			off = -14 * 3600;
		for (k = 0; k < nfrac; k++) {
			int dg = (int)pick(10);

			frac[k] = (char)('0' + dg);
			if (k < 3)
				ms += dg * (k == 0 ? 100 : k == 1 ? 10 : 1);
		}
		frac[nfrac] = '\0';
		zone_text(off, zone, sizeof(zone));
		if (!zone[0] || zone[0] == 'Z')
			off = 0;
		snprintf(text, sizeof(text), "%04d-%02d-%02d%c%02d:%02d:%02d%s%s%s",
			 y, mon, d, pick(2) ? 'T' : ' ', h, mi, s, nfrac ? "." : "",
			 frac, zone);
		want = (libc_epoch(y, mon, d, h, mi, s) - off) * 1000 + ms;
		got = kt_time_parse_ms(text);
		if (got != want)
			fail_msg("%s: got %lld, timegm says %lld", text,
				 (long long)got, (long long)want);
	}
}

/* Formatting against gmtime, and parse(format(t)) == t. */
static void format_matches_gmtime(void **st)
{
	int i;

	(void)st;
	for (i = 0; i < ROUNDS; i++) {
		int64_t ms = ((int64_t)pick(1u << 31) << 12 | pick(4096)) %
			     (int64_t)9000000000000LL - 2200000000000LL;
		int64_t t = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
		time_t tt = (time_t)t;
		struct tm tm;
		char want[96], got[40], got0[40];

		gmtime_r(&tt, &tm);
		snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
			 tm.tm_min, tm.tm_sec, (int)(ms - t * 1000));
		kt_time_format_ms(ms, 3, got, sizeof(got));
		assert_string_equal(got, want);
		assert_int_equal(kt_time_parse_ms(got), ms);
		kt_time_format_ms(ms, 0, got0, sizeof(got0));
		assert_int_equal(strlen(got0), 20);
		assert_int_equal(kt_time_parse_ms(got0), t * 1000);
	}
}

/* Impossible fields are refused where timegm would normalise them. */
static void generated_invalid_refused(void **st)
{
	int i;

	(void)st;
	for (i = 0; i < ROUNDS / 10; i++) {
		int y = 1900 + (int)pick(300), mon = 1 + (int)pick(12);
		int dim = libc_days_in_month(y, mon);
		int d = 1 + (int)pick((unsigned)dim), h = (int)pick(24);
		int mi = (int)pick(60), s = (int)pick(60);
		char text[64];

		switch (pick(5)) {
		case 0:
			d = dim + 1 + (int)pick((unsigned)(100 - dim));
			break;
		case 1:
			mon = 13 + (int)pick(87);
			break;
		case 2:
			h = 24 + (int)pick(76);
			break;
		case 3:
			mi = 60 + (int)pick(40);
			break;
		default:
			s = 61 + (int)pick(39);
			break;
		}
		snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02dZ", y,
			 mon, d, h, mi, s);
		if (kt_time_parse_ms(text) != KT_NO_TIME)
			fail_msg("%s was accepted", text);
	}
}

static void edge_cases(void **st)
{
	static const char *const bad[] = {
		"2026-02-30", "2026-02-29T00:00:00Z", "1900-02-29", "2026-04-31",
		"2026-00-10", "2026-13-01", "2026-08-29T25:00:00Z",
		"2026-08-29T24:00:00Z", "2026-08-29T23:60:00Z",
		"2026-08-29T23:30:61Z", "2026-08-29T23:30:00.Z",
		"2026-08-29T23:30:00+7", "2026-08-29T23:30:00+07:",
		"2026-08-29T23:30:00+07:0", "2026-08-29T23:30:00+0700x",
		"2026-08-29T23:30:00+24:00", "2026-08-29T23:30:00+05:60",
		"2026-08-29T23:30:00Zx", "2026-08-29T23", "2026-08-29T",
		"2026-08-29x", "26-08-29", "2026-8-29", "", "yesterday", NULL,
	};
	size_t i;

	(void)st;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (kt_time_parse_ms(bad[i]) != KT_NO_TIME)
			fail_msg("\"%s\" was accepted", bad[i] ? bad[i] : "(null)");
	/* the same instant in every spelling */
	assert_int_equal(kt_time_parse_ms("2026-08-29T23:30:00Z"), 1788046200000LL);
	assert_int_equal(kt_time_parse_ms("2026-08-29T16:30:00.000-0700"), 1788046200000LL);
	assert_int_equal(kt_time_parse_ms("2026-08-30T06:30:00+07"), 1788046200000LL);
	assert_int_equal(kt_time_parse_ms("2026-08-30T05:00:00+05:30"), 1788046200000LL);
	assert_int_equal(kt_time_parse_ms("2026-08-29 23:30:00"), 1788046200000LL);
	assert_int_equal(kt_time_parse_ms("2026-08-29T23:30Z"), 1788046200000LL);
	/* fractions of any length, truncated to milliseconds */
	assert_int_equal(kt_time_parse_ms("2026-08-29T23:30:00.1Z"), 1788046200100LL);
	assert_int_equal(kt_time_parse_ms("2026-08-29T23:30:00.123456789Z"), 1788046200123LL);
	assert_int_equal(kt_time_parse_ms("2026-08-29T23:30:00.9999999999999999Z"),
			 1788046200999LL);
	/* leap years, the epoch, before it, a leap second */
	assert_int_equal(kt_time_parse_ms("2024-02-29"), 1709164800000LL);
	assert_int_equal(kt_time_parse_ms("2000-02-29T00:00:00Z"), 951782400000LL);
	assert_int_equal(kt_time_parse_ms("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(kt_time_parse_ms("1969-12-31T23:59:59.250Z"), -750);
	assert_int_equal(kt_time_parse_ms("2016-12-31T23:59:60Z"),
			 kt_time_parse_ms("2017-01-01T00:00:00Z"));
	/* seconds for the -1-means-none callers */
	assert_int_equal(kt_time_parse_s("2026-08-29T23:30:00.999Z"), 1788046200);
	assert_int_equal(kt_time_parse_s("1969-12-31T23:59:59Z"), -1);
	assert_int_equal(kt_time_parse_s("2026-02-30"), -1);
	assert_int_equal(kt_days_in_month(2100, 2), 28);
	assert_int_equal(kt_days_in_month(2400, 2), 29);
	assert_int_equal(kt_days_in_month(2026, 13), 0);
}

/* The civil conversions against each other over 1600..2400. */
static void civil_round_trip(void **st)
{
	int64_t day;

	(void)st;
	for (day = kt_days_from_civil(1600, 1, 1); day < kt_days_from_civil(2400, 1, 1);
	     day += 1 + pick(3)) {
		int64_t y;
		int mon, d, h, mi, s;

		kt_epoch_to_civil(day * 86400 + 3723, &y, &mon, &d, &h, &mi, &s);
		assert_int_equal(kt_days_from_civil(y, (unsigned)mon, (unsigned)d), day);
		assert_true(d >= 1 && d <= kt_days_in_month(y, mon));
		assert_int_equal(h * 3600 + mi * 60 + s, 3723);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(generated_match_timegm),
		cmocka_unit_test(format_matches_gmtime),
		cmocka_unit_test(generated_invalid_refused),
		cmocka_unit_test(edge_cases),
		cmocka_unit_test(civil_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
