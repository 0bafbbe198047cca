/*
 * test-loader: every refusal case of the plugin loader, against real
 * modules built from tests/fixtures/plugins/fake/fake.c. Each refused plugin must
 * carry a reason that says what is wrong, and loading goes on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plugin/loader.h"
#include "base/log.h"

static char fake_dir[4096];

static const char *fake(const char *name)
{
	static char path[4200];

	snprintf(path, sizeof(path), "%s/fake-%s.so", fake_dir, name);
	return path;
}

/* Load one module into a fresh loader and return it (caller frees). */
static struct plugin *load_one(struct loader *ld, const char *name, int want_rc)
{
	int rc = loader_load_file(ld, fake(name));

	assert_int_equal(rc, want_rc);
	assert_int_equal(ld->n, 1);
	return ld->v[0];
}

static void assert_refused(const char *name, const char *reason_part)
{
	struct loader ld = {0};
	struct plugin *p = load_one(&ld, name, -1);

	assert_int_equal(p->status, PLUGIN_REFUSED);
	assert_non_null(p->reason);
	if (!strstr(p->reason, reason_part))
		fail_msg("reason for %s is '%s', expected it to mention '%s'",
			 name, p->reason, reason_part);
	/* A refused plugin is closed: nothing may point into it. */
	assert_null(p->dl);
	loader_free(&ld);
}

static void test_good_loads_with_fields(void **state)
{
	struct loader ld = {0};
	struct plugin *p;

	(void)state;
	p = load_one(&ld, "good", 0);
	assert_int_equal(p->status, PLUGIN_LOADED);
	assert_string_equal(p->name, "fake-good");
	assert_int_equal(p->nfields, 2);
	assert_string_equal(p->fields[0].name, "endpoint");
	assert_int_equal(p->fields[0].type, PULSE_CFG_URL);
	assert_string_equal(p->fields[1].default_json, "3");
	assert_non_null(p->state); /* init ran */
	assert_ptr_equal(loader_find(&ld, "fake-good"), p);
	loader_free(&ld);
}

static void test_older_minor_loads_with_defaults(void **state)
{
	struct loader ld = {0};
	struct plugin *p;

	(void)state;
	p = load_one(&ld, "old-minor", 0);
	assert_int_equal(p->status, PLUGIN_LOADED);
	/* The fields past its struct_size were not read: defaults apply, even
	 * though the module's memory holds values there. */
	assert_string_equal(p->description, "");
	assert_int_equal(p->nfields, 0);
	assert_null(p->info.init);
	assert_null(p->state);
	loader_free(&ld);
}

static void test_newer_struct_zero_tail_loads(void **state)
{
	struct loader ld = {0};
	struct plugin *p;

	(void)state;
	p = load_one(&ld, "newer-tail-zero", 0);
	assert_int_equal(p->status, PLUGIN_LOADED);
	assert_int_equal(p->abi_minor, 5);
	loader_free(&ld);
}

static void test_newer_struct_nonzero_tail_refused(void **state)
{
	(void)state;
	assert_refused("newer-tail-set", "does not know; upgrade pulse-host");
}

static void test_wrong_major_field_refused(void **state)
{
	(void)state;
	assert_refused("major-field", "built for ABI 2.");
}

static void test_wrong_major_symbol_refused(void **state)
{
	(void)state;
	assert_refused("major-symbol", "built for ABI major 2");
}

static void test_missing_entry_refused(void **state)
{
	(void)state;
	assert_refused("no-entry", "no pulse_plugin_entry_v1 symbol");
}

static void test_init_failure_refused_with_text(void **state)
{
	(void)state;
	assert_refused("init-fails",
		       "init failed: cannot open license file /nonexistent/license.key");
}

static void test_ops_of_other_major_refused(void **state)
{
	(void)state;
	assert_refused("ops-major", "pulse_source_ops was built for ABI 2.");
}

static void test_duplicate_name_refused(void **state)
{
	struct loader ld = {0};

	(void)state;
	assert_int_equal(loader_load_file(&ld, fake("dup-a")), 0);
	assert_int_equal(loader_load_file(&ld, fake("dup-b")), -1);
	assert_int_equal(ld.v[0]->status, PLUGIN_LOADED);
	assert_int_equal(ld.v[1]->status, PLUGIN_REFUSED);
	assert_non_null(strstr(ld.v[1]->reason, "already taken by"));
	assert_non_null(strstr(ld.v[1]->reason, "fake-dup-a.so"));
	loader_free(&ld);
}

static void test_missing_file_refused(void **state)
{
	struct loader ld = {0};

	(void)state;
	assert_int_equal(loader_load_file(&ld, "/nonexistent/x.so"), -1);
	assert_non_null(strstr(ld.v[0]->reason, "dlopen failed"));
	loader_free(&ld);
}

/* Scanning a directory with every case loads the good ones and goes on. */
static void test_scan_continues_past_refusals(void **state)
{
	struct loader ld = {0};
	char *dirs[] = {fake_dir, NULL};
	size_t i, refused = 0;
	int loaded;

	(void)state;
	loaded = loader_scan(&ld, dirs);
	for (i = 0; i < ld.n; i++)
		refused += ld.v[i]->status == PLUGIN_REFUSED;
	/* good, old-minor, newer-tail-zero, dup-a (dup-b is refused). */
	assert_int_equal(loaded, 4);
	assert_int_equal(refused, 7);
	loader_free(&ld);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_loads_with_fields),
		cmocka_unit_test(test_older_minor_loads_with_defaults),
		cmocka_unit_test(test_newer_struct_zero_tail_loads),
		cmocka_unit_test(test_newer_struct_nonzero_tail_refused),
		cmocka_unit_test(test_wrong_major_field_refused),
		cmocka_unit_test(test_wrong_major_symbol_refused),
		cmocka_unit_test(test_missing_entry_refused),
		cmocka_unit_test(test_init_failure_refused_with_text),
		cmocka_unit_test(test_ops_of_other_major_refused),
		cmocka_unit_test(test_duplicate_name_refused),
		cmocka_unit_test(test_missing_file_refused),
		cmocka_unit_test(test_scan_continues_past_refusals),
	};
	const char *top = getenv("abs_top_builddir");

	snprintf(fake_dir, sizeof(fake_dir), "%s/tests/fixtures/plugins/fake/.libs",
		 top ? top : ".");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
