/*
 * test-jira-tz: the Jira plugin's own time-zone code (plugins/source-jira/
 * tz.c) against the C library's, and the Jira spellings of times and id
 * sets it relies on from the connector kit (plugins/common).
 *
 * The plugin reads TZif files itself so that no thread ever touches TZ;
 * this test may (it is single-threaded): for each zone and instant,
 * jr_tz_offset must equal tm_gmtoff of localtime_r under TZ=zone, over
 * 1900-2100 (so both the transition tables and the POSIX footer rule are
 * exercised) and densely around this year's DST changes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "jira.h"

static long libc_offset(const char *tz, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	setenv("TZ", tz, 1);
	tzset();
	localtime_r(&tt, &tm);
	return tm.tm_gmtoff;
}

/* Compare zone z with the C library at 4000 instants of [from, 2100),
 * plus every 15 minutes of 2026-03-01..04-15 and 2026-09-15..11-15. */
static void compare(struct jr_tz *z, const char *tzenv, const char *label,
		    int64_t from)
{
	const int64_t to = 4102444800LL;    /* 2100-01-01 */
	const int64_t spans[][2] = {
		{1772323200LL, 1776211200LL}, /* 2026-03-01 .. 04-15 */
		{1789430400LL, 1794700800LL}, /* 2026-09-15 .. 11-15 */
	};
	int64_t t, step = (to - from) / 4001;
	size_t s, bad = 0;

	assert_non_null(z);
	for (t = from; t < to; t += step) {
		long want = libc_offset(tzenv, t);
		int32_t got = jr_tz_offset(z, t);

		if (got != want && bad++ < 5)
			print_error("%s: t=%lld offset %d, C library %ld\n", label,
				    (long long)t, got, want);
	}
	for (s = 0; s < sizeof(spans) / sizeof(spans[0]); s++)
		for (t = spans[s][0]; t < spans[s][1]; t += 900) {
			long want = libc_offset(tzenv, t);
			int32_t got = jr_tz_offset(z, t);

			if (got != want && bad++ < 5)
				print_error("%s: t=%lld offset %d, C library %ld\n",
					    label, (long long)t, got, want);
		}
	assert_int_equal(bad, 0);
}

static void zones_match_libc(void **st)
{
	static const char *const zones[] = {
		"UTC", "America/Los_Angeles", "America/New_York",
		"America/Sao_Paulo", "America/St_Johns", "America/Santiago",
		"Europe/London", "Europe/Berlin", "Europe/Dublin", "Africa/Casablanca",
		"Asia/Kolkata", "Asia/Kathmandu", "Asia/Tehran", "Asia/Tokyo",
		"Australia/Sydney", "Australia/Lord_Howe", "Pacific/Auckland",
		"Pacific/Chatham", "Pacific/Kiritimati", "Pacific/Apia",
		"Antarctica/Troll", NULL,
	};
	char err[300];
	size_t i;

	(void)st;
	for (i = 0; zones[i]; i++) {
		struct jr_tz *z = jr_tz_load(zones[i], err, sizeof(err));
		char env[80];

		if (!z)
			fail_msg("%s: %s", zones[i], err);
		snprintf(env, sizeof(env), ":%s", zones[i]);
		compare(z, env, zones[i], -2208988800LL); /* from 1900 */
		jr_tz_free(z);
	}
}

static void posix_rules_match_libc(void **st)
{
	/* Names no zone file has: the C library must parse the rule too. */
	static const char *const rules[] = {
		"XST5XDT,M3.2.0,M11.1.0",
		"XST8XDT,M3.2.0/2:00:00,M11.1.0/2:00:00",
		"XET-1XEST,M3.5.0,M10.5.0/3",
		"XMT0XBST,M3.5.0/1,M10.5.0",
		"XEST-10XEDT,M10.1.0,M4.1.0/3",
		"XZST-12XZDT,M9.5.0,M4.1.0/3",
		"<-04>4<-03>,M9.1.6/24,M4.1.6/24",
		"<+1030>-10:30<+11>-11,M10.1.0,M4.1.0",
		"<+0330>-3:30",
		"XST-5:30",
		"<-03>3",
		"XST5XDT,J60/2,J300/2",
		"XST5XDT,59/2,299/2",
		NULL,
	};
	size_t i;

	(void)st;
	for (i = 0; rules[i]; i++) {
		struct jr_tz *z = jr_tz_posix(rules[i]);

		if (!z)
			fail_msg("rule %s did not parse", rules[i]);
		/* glibc applies a TZ rule from 1970 only */
		compare(z, rules[i], rules[i], 0);
		jr_tz_free(z);
	}
}

static void bad_zones_refused(void **st)
{
	char err[300];

	(void)st;
	assert_null(jr_tz_load("../../etc/passwd", err, sizeof(err)));
	assert_non_null(strstr(err, "not a time zone name"));
	assert_null(jr_tz_load("Mars/Olympus_Mons", err, sizeof(err)));
	assert_non_null(strstr(err, "not found"));
	assert_null(jr_tz_load("", err, sizeof(err)));
	assert_null(jr_tz_posix("nonsense"));
	assert_null(jr_tz_posix("EST5EDT,M13.1.0,M11.1.0"));
	assert_null(jr_tz_parse((const unsigned char *)"TZif2 short", 11));
}

static void jql_literals(void **st)
{
	char err[300], out[40];
	struct jr_tz *la = jr_tz_load("America/Los_Angeles", err, sizeof(err));
	struct jr_tz *ktm = jr_tz_load("Asia/Kathmandu", err, sizeof(err));
	int64_t t = kt_time_parse_ms("2026-08-29T23:30:59.999Z");

	(void)st;
	assert_non_null(la);
	assert_non_null(ktm);
	jr_tz_jql(la, t, out, sizeof(out));
	assert_string_equal(out, "2026/08/29 16:30"); /* PDT, rounded down */
	jr_tz_jql(ktm, t, out, sizeof(out));
	assert_string_equal(out, "2026/08/30 05:15"); /* +05:45 */
	jr_tz_jql(NULL, t, out, sizeof(out));
	assert_string_equal(out, "2026/08/29 23:30");
	/* winter: PST */
	jr_tz_jql(la, kt_time_parse_ms("2026-01-15T08:00:00Z"), out, sizeof(out));
	assert_string_equal(out, "2026/01/15 00:00");
	jr_tz_free(la);
	jr_tz_free(ktm);
}

static void parse_times(void **st)
{
	char out[40];

	(void)st;
	assert_int_equal(kt_time_parse_ms("2026-08-29T16:30:00.000-0700"),
			 kt_time_parse_ms("2026-08-29T23:30:00Z"));
	assert_int_equal(kt_time_parse_ms("2026-08-29T23:30:00Z"), 1788046200000LL);
	assert_int_equal(kt_time_parse_ms("2026-08-30T05:00:00.5+05:30"),
			 1788046200500LL);
	assert_int_equal(kt_time_parse_ms("2026-08-29"), 1787961600000LL);
	assert_int_equal(kt_time_parse_ms("1969-12-31T23:59:59.250Z"), -750);
	assert_true(kt_time_parse_ms("2026-13-01") == KT_NO_TIME);
	assert_true(kt_time_parse_ms("2026-08-29T25") == KT_NO_TIME);
	assert_true(kt_time_parse_ms("yesterday") == KT_NO_TIME);
	assert_true(kt_time_parse_ms(NULL) == KT_NO_TIME);
	kt_time_format_ms(1788046200123LL, 3, out, sizeof(out));
	assert_string_equal(out, "2026-08-29T23:30:00.123Z");
	kt_time_format_ms(-750, 3, out, sizeof(out));
	assert_string_equal(out, "1969-12-31T23:59:59.250Z");
}

static void id_sets(void **st)
{
	struct kt_ids s = {0}, r = {0};
	char *text;

	(void)st;
	assert_int_equal(kt_ids_parse(&s, "10-12,7,20,21,5"), 0);
	kt_ids_add(&s, 11);
	kt_ids_add(&s, 13);
	kt_ids_sort(&s);
	assert_int_equal(s.n, 8);
	text = kt_ids_format(&s);
	assert_string_equal(text, "5,7,10-13,20-21");
	assert_int_equal(kt_ids_parse(&r, text), 0);
	kt_ids_sort(&r);
	assert_int_equal(r.n, s.n);
	assert_memory_equal(r.v, s.v, s.n * sizeof(*s.v));
	assert_true(kt_ids_has(&s, 12));
	assert_false(kt_ids_has(&s, 14));
	free(text);
	kt_ids_free(&r);
	assert_int_equal(kt_ids_parse(&r, "3-1"), -1);
	kt_ids_free(&r);
	assert_int_equal(kt_ids_parse(&r, "1,,x"), -1);
	kt_ids_free(&r);
	assert_int_equal(kt_ids_parse(&r, ""), 0);
	assert_int_equal(r.n, 0);
	text = kt_ids_format(&r);
	assert_string_equal(text, "");
	free(text);
	kt_ids_free(&r);
	kt_ids_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(zones_match_libc),
		cmocka_unit_test(posix_rules_match_libc),
		cmocka_unit_test(bad_zones_refused),
		cmocka_unit_test(jql_literals),
		cmocka_unit_test(parse_times),
		cmocka_unit_test(id_sets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
