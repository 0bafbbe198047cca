/* test-dora: the 2023 band boundaries, duration wording, accepted dates
 * and the text table of host/analytics/dora.c (the figures themselves are tested
 * against PostgreSQL by tests/db/dora-golden.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "analytics/dora.h"

#define HOUR 3600.0
#define DAY 86400.0

static void test_band_frequency(void **state)
{
	(void)state;
	/* elite: on demand, >= 5 days a week */
	assert_string_equal(dora_band_frequency(5, 20), "elite");
	assert_string_equal(dora_band_frequency(4.99, 20), "high");
	/* high: at least weekly */
	assert_string_equal(dora_band_frequency(1, 4), "high");
	/* medium: below weekly, at least monthly (from the monthly median) */
	assert_string_equal(dora_band_frequency(0.5, 1), "medium");
	assert_string_equal(dora_band_frequency(0, 2.5), "medium");
	/* low: less than monthly */
	assert_string_equal(dora_band_frequency(0, 0.5), "low");
	assert_string_equal(dora_band_frequency(0, 0), "low");
}

static void test_band_lead_time(void **state)
{
	(void)state;
	assert_string_equal(dora_band_lead_time(0), "elite");
	assert_string_equal(dora_band_lead_time(DAY - 1), "elite");
	assert_string_equal(dora_band_lead_time(DAY), "high");
	assert_string_equal(dora_band_lead_time(7 * DAY - 1), "high");
	assert_string_equal(dora_band_lead_time(7 * DAY), "medium");
	assert_string_equal(dora_band_lead_time(30 * DAY - 1), "medium");
	assert_string_equal(dora_band_lead_time(30 * DAY), "low");
}

static void test_band_failure_rate(void **state)
{
	(void)state;
	assert_string_equal(dora_band_failure_rate(0), "elite");
	assert_string_equal(dora_band_failure_rate(5), "elite");
	assert_string_equal(dora_band_failure_rate(5.01), "high");
	assert_string_equal(dora_band_failure_rate(10), "high");
	assert_string_equal(dora_band_failure_rate(15), "medium");
	assert_string_equal(dora_band_failure_rate(15.01), "low");
	assert_string_equal(dora_band_failure_rate(100), "low");
}

static void test_band_recovery(void **state)
{
	(void)state;
	assert_string_equal(dora_band_recovery(HOUR - 1), "elite");
	assert_string_equal(dora_band_recovery(HOUR), "high");
	assert_string_equal(dora_band_recovery(DAY - 1), "high");
	assert_string_equal(dora_band_recovery(DAY), "medium");
	assert_string_equal(dora_band_recovery(7 * DAY - 1), "medium");
	assert_string_equal(dora_band_recovery(7 * DAY), "low");
}

static void test_format_duration(void **state)
{
	char buf[32];

	(void)state;
	dora_format_duration(45 * 60, buf, sizeof(buf));
	assert_string_equal(buf, "45 min");
	dora_format_duration(3.2 * HOUR, buf, sizeof(buf));
	assert_string_equal(buf, "3.2 h");
	dora_format_duration(47.5 * HOUR, buf, sizeof(buf));
	assert_string_equal(buf, "47.5 h");
	dora_format_duration(87 * HOUR, buf, sizeof(buf));
	assert_string_equal(buf, "3.6 days");
}

static void test_dates(void **state)
{
	(void)state;
	assert_true(dora_date_valid("2024-01-31"));
	assert_true(dora_date_valid("2024-01-31T10:15"));
	assert_true(dora_date_valid("2024-01-31T10:15:00Z"));
	assert_true(dora_date_valid("2024-01-31 10:15:00.123+02:00"));
	assert_false(dora_date_valid(NULL));
	assert_false(dora_date_valid(""));
	assert_false(dora_date_valid("yesterday"));
	assert_false(dora_date_valid("2024-1-31"));
	assert_false(dora_date_valid("2024-01-31; DROP TABLE prs"));
}

/* The text table reads everything from the JSON report. */
static void test_print(void **state)
{
	static const char *report_text =
		"{\"tenant\":{\"id\":7,\"name\":\"acme\"},"
		"\"scope\":{\"project\":null,\"repository\":null,\"repositories\":null,"
		"\"repository_count\":3},"
		"\"window\":{\"from\":\"2024-01-01T00:00:00Z\",\"to\":\"2024-02-05T00:00:00Z\",\"days\":35},"
		"\"bands\":\"DORA 2023\","
		"\"deployment_frequency\":{\"display\":\"1.0 days/week\",\"band\":\"high\","
		"\"sample_text\":\"6 deployments\",\"reason\":null},"
		"\"lead_time\":{\"display\":null,\"band\":null,\"sample_text\":\"0 changes\","
		"\"reason\":\"no merged PR in the window was deployed (3 merged, 0 deployed)\","
		"\"methods\":{\"commit_range\":0,\"deployment_after_merge\":0}},"
		"\"change_failure_rate\":{\"display\":\"12.5 %\",\"band\":\"medium\","
		"\"sample_text\":\"1 of 8\",\"reason\":null,"
		"\"attribution\":{\"project_mapping\":1,\"any_repository\":0}},"
		"\"recovery_time\":{\"display\":\"3.2 h\",\"band\":\"high\","
		"\"sample_text\":\"1 resolved\",\"reason\":null}}";
	struct json_object *r = json_tokener_parse(report_text);
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_non_null(r);
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	dora_report_print(f, r);
	fclose(f);
	assert_non_null(strstr(buf, "DORA metrics, tenant acme, all repositories (3), "
			       "2024-01-01 .. 2024-02-05 (35 days)"));
	assert_non_null(strstr(buf, "deployment frequency   1.0 days/week   high    6 deployments\n"));
	assert_non_null(strstr(buf, "lead time for changes  -               -       0 changes\n"));
	assert_non_null(strstr(buf, "change failure rate    12.5 %          medium  1 of 8\n"));
	assert_non_null(strstr(buf, "why no lead time for changes: no merged PR in the "
			       "window was deployed (3 merged, 0 deployed)\n"));
	assert_non_null(strstr(buf, "incidents attributed: 1 via project mapping"));
	/* no breakdown without a lead time, no line for zero counts */
	assert_null(strstr(buf, "breakdown"));
	assert_null(strstr(buf, "changes matched"));
	free(buf);
	json_object_put(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_band_frequency),
		cmocka_unit_test(test_band_lead_time),
		cmocka_unit_test(test_band_failure_rate),
		cmocka_unit_test(test_band_recovery),
		cmocka_unit_test(test_format_duration),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_print),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
