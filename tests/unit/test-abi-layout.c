/*
 * test-abi-layout: the ABI freeze. Computes sizeof/offsetof of every public
 * struct and compares them with the committed baselines for this
 * platform's data model:
 *  - sdk/abi/v1.4.layout must match exactly (this header is 1.4);
 *  - sdk/abi/v1.0 to v1.3 .layout must still hold as prefixes:
 *    every older field at its old offset and size, every struct at least
 *    its old size, and every field added since placed after the old end
 *    of its struct.
 * Any difference fails: it would break plugins already built.
 *
 *   test-abi-layout --print   writes the current layout (to make the
 *                              baseline of a new minor)
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

/* A baseline file has one section per data model ("[lp64]"). Returns the
 * file (caller frees) with *sec at this model's rows, NUL-terminated. */
static char *baseline(const char *name, char **sec)
{
	const char *top = getenv("abs_top_srcdir");
	const char *model = sizeof(void *) == 8 ? "[lp64]" : "[ilp32]";
	char path[4096], *base, *end;

	assert_non_null(top);
	snprintf(path, sizeof(path), "%s/sdk/abi/%s", top, name);
	base = read_file(path);
	if (!base)
		fail_msg("cannot read %s", path);
	*sec = strstr(base, model);
	if (!*sec)
		fail_msg("%s has no %s section", path, model);
	*sec = strchr(*sec, '\n') + 1;
	end = strstr(*sec, "\n[");
	if (end)
		end[1] = '\0';
	return base;
}

static void test_layout_matches_v1_4(void **state)
{
	char *base, *sec;

	(void)state;
	base = baseline("v1.4.layout", &sec);
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

/* True if text holds `line` as one whole line. */
static int has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *at;

	for (at = strstr(text, line); at; at = strstr(at + 1, line))
		if ((at == text || at[-1] == '\n') && at[n] == '\n')
			return 1;
	return 0;
}

/* The current sizeof of struct t (0 if unknown). */
static unsigned long current_sizeof(const char *t)
{
	char key[96];
	const char *at;

	snprintf(key, sizeof(key), "%s sizeof ", t);
	for (at = strstr(current, key); at; at = strstr(at + 1, key))
		if (at == current || at[-1] == '\n')
			return strtoul(at + strlen(key), NULL, 10);
	return 0;
}

/* Every current field of struct t that is not a 1.0 row (v10) must start
 * at or after the 1.0 size of t. */
static void check_appended_after(const char *v10, const char *t,
				 unsigned long size)
{
	const char *cur, *eol;
	size_t tl = strlen(t);

	for (cur = current; *cur; cur = eol + 1) {
		char line[256], name[128];
		unsigned long off;

		eol = strchr(cur, '\n');
		if (!eol)
			break;
		if (strncmp(cur, t, tl) != 0 || cur[tl] != '.')
			continue;
		snprintf(line, sizeof(line), "%.*s", (int)(eol - cur), cur);
		if (sscanf(line, "%127s offset %lu", name, &off) != 2)
			fail_msg("unreadable layout row '%s'", line);
		if (!has_line(v10, line) && off < size)
			fail_msg("%s: a field added after 1.0 lies inside the "
				 "1.0 struct (%lu bytes)", line, size);
	}
}

/*
 * An older minor (file) as a prefix of today: each of its field rows is
 * still there verbatim, each struct is at least as large, and nothing new
 * sits inside the old part of a struct. min_rows: the file was read.
 */
static void prefix_unchanged(const char *file, int min_rows)
{
	char *base, *sec, *line, *eol;
	char type[64];
	unsigned long size, now;
	int rows = 0;

	base = baseline(file, &sec);
	for (line = sec; (eol = strchr(line, '\n')) != NULL; line = eol + 1) {
		char row[256];

		snprintf(row, sizeof(row), "%.*s", (int)(eol - line), line);
		rows++;
		if (sscanf(row, "%63s sizeof %lu", type, &size) == 2) {
			now = current_sizeof(type);
			if (now < size)
				fail_msg("%s shrank or vanished: %s has %lu "
					 "bytes, now %lu", type, file, size, now);
			check_appended_after(sec, type, size);
		} else if (!has_line(current, row)) {
			fail_msg("%s row changed or gone: '%s'", file, row);
		}
	}
	assert_true(rows > min_rows); /* the whole section was read */
	free(base);
}

static void test_v1_0_prefix_unchanged(void **state)
{
	(void)state;
	prefix_unchanged("v1.0.layout", 90);
}

static void test_v1_1_prefix_unchanged(void **state)
{
	(void)state;
	prefix_unchanged("v1.1.layout", 190);
}

static void test_v1_2_prefix_unchanged(void **state)
{
	(void)state;
	prefix_unchanged("v1.2.layout", 200);
}

static void test_v1_3_prefix_unchanged(void **state)
{
	(void)state;
	prefix_unchanged("v1.3.layout", 200);
}

/* Every boundary struct, old or new, starts with the common header. */
static void test_header_prefix_is_common(void **state)
{
	(void)state;
#define HEADER_AT_START(t) \
	assert_int_equal(offsetof(t, struct_size), 0); \
	assert_int_equal(offsetof(t, abi_major), 4); \
	assert_int_equal(offsetof(t, abi_minor), 6);
	HEADER_AT_START(pulse_plugin_info)
	HEADER_AT_START(pulse_source_ops)
	HEADER_AT_START(pulse_host_api)
	HEADER_AT_START(pulse_config_field)
	HEADER_AT_START(pulse_raw_page)
	HEADER_AT_START(pulse_http_request)
	HEADER_AT_START(pulse_usage)
	HEADER_AT_START(pulse_embed_info)
	HEADER_AT_START(pulse_embedder_ops)
	HEADER_AT_START(pulse_chat_message)
	HEADER_AT_START(pulse_chat_request)
	HEADER_AT_START(pulse_chat_result)
	HEADER_AT_START(pulse_llm_ops)
	HEADER_AT_START(pulse_vector_point)
	HEADER_AT_START(pulse_vector_hits)
	HEADER_AT_START(pulse_vector_store_ops)
	HEADER_AT_START(pulse_oauth2_client)
	HEADER_AT_START(pulse_vector_page)
#undef HEADER_AT_START
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_matches_v1_4),
		cmocka_unit_test(test_v1_0_prefix_unchanged),
		cmocka_unit_test(test_v1_1_prefix_unchanged),
		cmocka_unit_test(test_v1_2_prefix_unchanged),
		cmocka_unit_test(test_v1_3_prefix_unchanged),
		cmocka_unit_test(test_header_prefix_is_common),
	};

	build_current();
	if (argc > 1 && strcmp(argv[1], "--print") == 0) {
		printf("[%s]\n%s", sizeof(void *) == 8 ? "lp64" : "ilp32", current);
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
