/*
 * test-abi-layout: the ABI freeze. Computes sizeof/offsetof of every public
 * struct and compares them with the committed baseline sdk/abi/v1.0.layout
 * for this platform's data model. Any difference fails: a field moved or
 * changed size, which would break every plugin already built.
 *
 *   test-abi-layout --print   writes the current layout (to make a new
 *                              baseline when a minor appends fields)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <pulse-host/plugin.h>

#include "abi-layout.h"

static char current[16384];

static void build_current(void)
{
	size_t n = 0;

#define S(t) n += (size_t)snprintf(current + n, sizeof(current) - n, \
				   "%s sizeof %zu\n", #t, sizeof(t));
#define F(t, f) n += (size_t)snprintf(current + n, sizeof(current) - n, \
				      "%s.%s offset %zu size %zu\n", #t, #f, \
				      offsetof(t, f), sizeof(((t *)0)->f));
	ABI_LAYOUT(S, F)
#undef S
#undef F
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	long len;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0) {
		buf = calloc(1, (size_t)len + 1);
		if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	return buf;
}

/* The baseline file has one section per data model ("[lp64]"). */
static void test_layout_matches_baseline(void **state)
{
	const char *top = getenv("abs_top_srcdir");
	char path[4096], *base, *sec, *end;
	const char *model = sizeof(void *) == 8 ? "[lp64]" : "[ilp32]";

	(void)state;
	assert_non_null(top);
	snprintf(path, sizeof(path), "%s/sdk/abi/v1.0.layout", top);
	base = read_file(path);
	assert_non_null(base);
	sec = strstr(base, model);
	assert_non_null(sec);
	sec = strchr(sec, '\n') + 1;
	end = strstr(sec, "\n[");
	if (end)
		end[1] = '\0';
	if (strcmp(sec, current) != 0) {
		/* Show the first differing line: what moved. */
		char *a = sec, *b = current;

		while (*a && *a == *b)
			a++, b++;
		while (a > sec && a[-1] != '\n')
			a--, b--;
		fail_msg("ABI layout changed: baseline '%.*s' vs now '%.*s'",
			 (int)strcspn(a, "\n"), a, (int)strcspn(b, "\n"), b);
	}
	free(base);
}

/* Fields added later may never come before the v1.0 ones. */
static void test_header_prefix_is_common(void **state)
{
	(void)state;
	assert_int_equal(offsetof(pulse_plugin_info, struct_size), 0);
	assert_int_equal(offsetof(pulse_plugin_info, abi_major), 4);
	assert_int_equal(offsetof(pulse_plugin_info, abi_minor), 6);
	assert_int_equal(offsetof(pulse_source_ops, abi_minor), 6);
	assert_int_equal(offsetof(pulse_host_api, abi_minor), 6);
	assert_int_equal(offsetof(pulse_config_field, abi_minor), 6);
	assert_int_equal(offsetof(pulse_raw_page, abi_minor), 6);
	assert_int_equal(offsetof(pulse_http_request, abi_minor), 6);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_matches_baseline),
		cmocka_unit_test(test_header_prefix_is_common),
	};

	build_current();
	if (argc > 1 && strcmp(argv[1], "--print") == 0) {
		printf("[%s]\n%s", sizeof(void *) == 8 ? "lp64" : "ilp32", current);
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
