/*
 * test-kit: the connector kit's id sets and paging state
 * (plugins/common/kit_ids.c, kit_paging.c): what the GitHub and Jira
 * extractors rely on to dedup, reconcile and walk pages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kit_ids.h"
#include "kit_paging.h"

static void ids_sorted_sets(void **st)
{
	struct kt_ids s = {0}, r = {0};
	char *text;

	(void)st;
	assert_int_equal(kt_ids_parse(&s, "10-12,7,20,21,5"), 0);
	assert_int_equal(kt_ids_add(&s, 11), 0);
	assert_int_equal(kt_ids_add(&s, 13), 0);
	kt_ids_sort(&s);
	assert_int_equal(s.n, 8); /* 5 7 10 11 12 13 20 21: 11 once */
	text = kt_ids_format(&s);
	assert_string_equal(text, "5,7,10-13,20-21");
	assert_int_equal(kt_ids_parse(&r, text), 0);
	kt_ids_sort(&r);
	assert_int_equal(r.n, s.n);
	assert_memory_equal(r.v, s.v, s.n * sizeof(*s.v));
	assert_true(kt_ids_has(&s, 12));
	assert_false(kt_ids_has(&s, 14));
	assert_false(kt_ids_has(&s, 4));
	free(text);
	kt_ids_free(&r);
	assert_null(r.v);
	assert_int_equal(kt_ids_parse(&r, "3-1"), -1);
	kt_ids_free(&r);
	assert_int_equal(kt_ids_parse(&r, "1,,x"), -1);
	kt_ids_free(&r);
	assert_int_equal(kt_ids_parse(&r, "-4"), -1);
	kt_ids_free(&r);
	assert_int_equal(kt_ids_parse(&r, "1-200000000"), -1); /* too wide */
	kt_ids_free(&r);
	assert_int_equal(kt_ids_parse(&r, ""), 0);
	assert_int_equal(kt_ids_parse(&r, NULL), 0);
	assert_int_equal(r.n, 0);
	text = kt_ids_format(&r);
	assert_string_equal(text, "");
	free(text);
	kt_ids_free(&r);
	kt_ids_free(&s);
}

/* Many ids: the sorted set against a plain bitmap. */
static void ids_against_bitmap(void **st)
{
	static unsigned char in[20000];
	struct kt_ids s = {0}, back = {0};
	uint32_t x = 12345;
	size_t i, count = 0;
	char *text;

	(void)st;
	memset(in, 0, sizeof(in));
	for (i = 0; i < 30000; i++) {
		x = x * 1103515245u + 12345u;
		in[(x >> 8) % 20000] = 1;
		assert_int_equal(kt_ids_add(&s, (x >> 8) % 20000), 0);
	}
	kt_ids_sort(&s);
	for (i = 0; i < 20000; i++) {
		count += in[i];
		assert_int_equal(kt_ids_has(&s, (int64_t)i), in[i]);
	}
	assert_int_equal(s.n, count);
	text = kt_ids_format(&s);
	assert_non_null(text);
	assert_int_equal(kt_ids_parse(&back, text), 0);
	assert_int_equal(back.n, s.n);
	assert_memory_equal(back.v, s.v, s.n * sizeof(*s.v));
	free(text);
	kt_ids_free(&back);
	kt_ids_free(&s);
}

/* The unsorted small-set use: put dedups, del removes, order kept
 * except for the moved last element. */
static void ids_small_sets(void **st)
{
	struct kt_ids s = {0};

	(void)st;
	assert_int_equal(kt_ids_put(&s, 5), 0);
	assert_int_equal(kt_ids_put(&s, 9), 0);
	assert_int_equal(kt_ids_put(&s, 5), 0);
	assert_int_equal(kt_ids_put(&s, 7), 0);
	assert_int_equal(s.n, 3);
	assert_true(kt_ids_find(&s, 9));
	kt_ids_del(&s, 5);
	assert_int_equal(s.n, 2);
	assert_false(kt_ids_find(&s, 5));
	assert_int_equal(s.v[0], 7);
	assert_int_equal(s.v[1], 9);
	kt_ids_del(&s, 42); /* absent: nothing happens */
	assert_int_equal(s.n, 2);
	kt_ids_free(&s);
}

static void link_header(void **st)
{
	char *u;

	(void)st;
	u = kt_link_next("<https://h/r?page=2>; rel=\"next\", "
			 "<https://h/r?page=9>; rel=\"last\"");
	assert_string_equal(u, "https://h/r?page=2");
	free(u);
	/* next not first; commas inside the URL */
	u = kt_link_next("<https://h/r?page=1&x=a,b>; rel=\"prev\", "
			 "<https://h/r?page=3&x=a,b>; rel=\"next\"");
	assert_string_equal(u, "https://h/r?page=3&x=a,b");
	free(u);
	assert_null(kt_link_next("<https://h/r?page=1>; rel=\"prev\""));
	assert_null(kt_link_next(NULL));
	assert_null(kt_link_next(""));
	assert_null(kt_link_next("<https://h/r?page=2; rel=\"next\""));
}

static void links_walk(void **st)
{
	struct kt_links it;

	(void)st;
	kt_links_start(&it, strdup("https://h/a"));
	assert_int_equal(it.page, 0);
	kt_links_step(&it, strdup("https://h/a?page=2"));
	assert_string_equal(it.url, "https://h/a?page=2");
	assert_int_equal(it.page, 1);
	kt_links_step(&it, NULL);
	assert_null(it.url);
	assert_int_equal(it.page, 2);
	kt_links_free(&it);
	kt_links_start(&it, NULL);
	assert_null(it.url);
	kt_links_free(&it);
}

static void cursor_walk(void **st)
{
	struct kt_cursor c = {NULL, 0};

	(void)st;
	assert_int_equal(kt_cursor_step(&c, 1, "Y3Vyc29yOjUw"), 0);
	assert_false(c.done);
	assert_string_equal(c.after, "Y3Vyc29yOjUw");
	/* the last page keeps its cursor for the checkpoint */
	assert_int_equal(kt_cursor_step(&c, 0, "Y3Vyc29yOjc1"), 0);
	assert_true(c.done);
	assert_string_equal(c.after, "Y3Vyc29yOjc1");
	/* hasNextPage without a cursor cannot go on */
	assert_int_equal(kt_cursor_step(&c, 1, NULL), 0);
	assert_true(c.done);
	assert_null(c.after);
	kt_cursor_free(&c);
}

static void offset_walk(void **st)
{
	struct kt_offset o = {0, 0};

	(void)st;
	kt_offset_step(&o, 50, 0);
	assert_int_equal(o.start, 50);
	assert_false(o.done);
	kt_offset_step(&o, 37, 0);  /* a short page that is not the last */
	assert_int_equal(o.start, 87);
	assert_false(o.done);
	kt_offset_step(&o, 0, 0);   /* empty: done whatever isLast says */
	assert_true(o.done);
	o.start = 0;
	o.done = 0;
	kt_offset_step(&o, 12, 1);
	assert_true(o.done);
	assert_int_equal(o.start, 12);
}

static void token_walk(void **st)
{
	struct kt_token t = {NULL, 0};

	(void)st;
	assert_int_equal(kt_token_step(&t, 0, "tok1"), 0);
	assert_false(t.done);
	assert_string_equal(t.token, "tok1");
	assert_int_equal(kt_token_step(&t, 0, ""), 0);  /* empty = none */
	assert_true(t.done);
	assert_null(t.token);
	t.done = 0;
	assert_int_equal(kt_token_step(&t, 1, "tok2"), 0); /* isLast wins */
	assert_true(t.done);
	assert_null(t.token);
	t.done = 0;
	assert_int_equal(kt_token_step(&t, 0, NULL), 0);
	assert_true(t.done);
	kt_token_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ids_sorted_sets),
		cmocka_unit_test(ids_against_bitmap),
		cmocka_unit_test(ids_small_sets),
		cmocka_unit_test(link_header),
		cmocka_unit_test(links_walk),
		cmocka_unit_test(cursor_walk),
		cmocka_unit_test(offset_walk),
		cmocka_unit_test(token_walk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
