/*
 * test-settings-regex: the guard in front of regcomp for REGEX settings
 * (host/plugin/settings_regex.c). glibc's regcomp copies what a repetition
 * repeats, so the guard refuses patterns whose expansion exceeds
 * SETTINGS_REGEX_MAX_COST; every pattern it accepts here is also compiled.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <regex.h>
#include <stdio.h>
#include <string.h>

#include "plugin/settings.h"

static int check(const char *re, char *err, size_t errlen)
{
	err[0] = '\0';
	return settings_regex_check("f", re, err, errlen);
}

static void accepts(const char *re)
{
	char err[512];
	regex_t rx;

	if (check(re, err, sizeof(err)) != 0)
		fail_msg("refused \"%s\": %s", re, err);
	assert_int_equal(regcomp(&rx, re, REG_EXTENDED | REG_NOSUB), 0);
	regfree(&rx);
}

static void refuses(const char *re, const char *why)
{
	char err[512];

	if (check(re, err, sizeof(err)) != -1)
		fail_msg("accepted \"%s\"", re);
	if (!strstr(err, why))
		fail_msg("\"%s\": message \"%s\" lacks \"%s\"", re, err, why);
	assert_non_null(strstr(err, "field 'f'"));
}

static void test_everyday(void **state)
{
	(void)state;
	accepts("^(prod|production)$");
	accepts("^(prod|production)(-[a-z0-9]+)*$");
	accepts("repo-[0-9]{1,4}");
	accepts("^[[:alpha:]][[:alnum:]_.-]*$");
	accepts("[]a+*{}]x");          /* quantifier characters in a bracket */
	accepts("a\\{1,5000\\}");       /* escaped braces are characters */
	accepts("x)y");                 /* an unmatched ')' is a character */
	accepts("");
}

static void test_bounds(void **state)
{
	char big[600];

	(void)state;
	accepts("a{1,1000}");
	refuses("a{1,1001}", "more than 1000 parts");
	refuses("a{1001}", "more than 1000 parts");
	refuses("a{1000,}", "more than 1000 parts");       /* m+1 copies */
	refuses("a{,5000}", "more than 1000 parts");       /* glibc: {0,5000} */
	refuses("(a{1,40}){1,40}", "more than 1000 parts"); /* nesting multiplies */
	accepts("(a{1,30}){1,30}");
	accepts("ab{1,999}");
	refuses("abc{1,999}", "more than 1000 parts");      /* sequences add */
	refuses("(x|y{1,999})z", "more than 1000 parts");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	refuses(big, "of 599 bytes; at most 512");
}

static void test_stacked_and_nested(void **state)
{
	char re[128] = "a";
	int i;

	(void)state;
	/* the fuzz input: ten stacked '+' are 2^10 copies in glibc */
	refuses("prod|pr01-++++++++++++++++++++++++++++++++++++++++++++31",
		"use smaller {m,n} bounds");
	for (i = 0; i < 9; i++)
		strcat(re, "+");
	accepts(re);
	strcat(re, "+");
	refuses(re, "at \"a++++++++++\"");
	strcpy(re, "a");
	for (i = 0; i < 10; i++) {
		char t[128];

		snprintf(t, sizeof(t), "(%s+)", re);
		strcpy(re, t);
	}
	refuses(re, "more than 1000 parts");
	refuses("((((((((((((((((((((((((((((((((((a))))))))))))))))))))))))))))))))))",
		"nests groups more than 32 deep");
}

static void test_invalid_left_to_regcomp(void **state)
{
	char err[512];

	(void)state;
	/* unclosed brackets and groups: regcomp names the error */
	assert_int_equal(check("repo-([", err, sizeof(err)), 0);
	assert_int_equal(check("[[:alpha:", err, sizeof(err)), 0);
	assert_int_equal(check("(a", err, sizeof(err)), 0);
}

int main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(test_everyday),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_stacked_and_nested),
		cmocka_unit_test(test_invalid_left_to_regcomp),
	};

	return cmocka_run_group_tests_name("settings-regex", t, NULL, NULL);
}
