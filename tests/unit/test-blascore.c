/*
 * test-blascore: OpenBLAS's kernel choice against the CPU
 * (plugins/common/blascore.h). Core names map to their instruction sets;
 * a generic core on an AVX2 or AVX-512 CPU asks for Haswell or SkylakeX
 * unless the user
 * set OPENBLAS_CORETYPE; the advice names the remedy; the CPU's ISA
 * agrees with the kernel's view of it (/proc/cpuinfo's flags, which the
 * kernel clears when it does not save the register state).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "blascore.h"

static void test_core_isa(void **state)
{
	(void)state;
	assert_int_equal(blascore_core_isa("Prescott"), BLASCORE_SSE);
	assert_int_equal(blascore_core_isa("Core2"), BLASCORE_SSE);
	assert_int_equal(blascore_core_isa("Katmai"), BLASCORE_SSE);
	assert_int_equal(blascore_core_isa("Nehalem"), BLASCORE_SSE);
	assert_int_equal(blascore_core_isa("Unknown"), BLASCORE_SSE);
	assert_int_equal(blascore_core_isa(""), BLASCORE_SSE);
	assert_int_equal(blascore_core_isa(NULL), BLASCORE_SSE);
	assert_int_equal(blascore_core_isa("Sandybridge"), BLASCORE_AVX);
	assert_int_equal(blascore_core_isa("Haswell"), BLASCORE_AVX2);
	assert_int_equal(blascore_core_isa("zen"), BLASCORE_AVX2);
	assert_int_equal(blascore_core_isa("SkylakeX"), BLASCORE_AVX512);
	assert_int_equal(blascore_core_isa("SKYLAKEX"), BLASCORE_AVX512);
	assert_int_equal(blascore_core_isa("Cooperlake"), BLASCORE_AVX512);
	assert_string_equal(blascore_isa_name(BLASCORE_AVX512), "avx512");
	assert_string_equal(blascore_isa_name(BLASCORE_SSE), "sse");
}

static void test_want(void **state)
{
	(void)state;
	/* the case this exists for: a generic core on AVX-512 or AVX2 */
	assert_string_equal(blascore_want(NULL, "Prescott", BLASCORE_AVX512), "SkylakeX");
	assert_string_equal(blascore_want("", "Katmai", BLASCORE_AVX512), "SkylakeX");
	assert_string_equal(blascore_want(NULL, "Prescott", BLASCORE_AVX2), "Haswell");
	assert_string_equal(blascore_want(NULL, "Sandybridge", BLASCORE_AVX2), "Haswell");
	/* AVX2 kernels on AVX-512 are also narrower */
	assert_string_equal(blascore_want(NULL, "Haswell", BLASCORE_AVX512), "SkylakeX");
	/* the user's OPENBLAS_CORETYPE stands, whatever it is */
	assert_null(blascore_want("Prescott", "Prescott", BLASCORE_AVX512));
	assert_null(blascore_want("Haswell", "Haswell", BLASCORE_AVX512));
	/* kernels that fit, and CPUs below AVX2 */
	assert_null(blascore_want(NULL, "SkylakeX", BLASCORE_AVX512));
	assert_null(blascore_want(NULL, "Cooperlake", BLASCORE_AVX512));
	assert_null(blascore_want(NULL, "Haswell", BLASCORE_AVX2));
	assert_null(blascore_want(NULL, "SkylakeX", BLASCORE_AVX2));
	assert_null(blascore_want(NULL, "Prescott", BLASCORE_AVX));
	assert_null(blascore_want(NULL, "Core2", BLASCORE_SSE));
}

static void test_advice(void **state)
{
	char buf[256], small[12];
	(void)state;
	assert_int_equal(blascore_advice("Prescott", BLASCORE_AVX512, buf, sizeof buf), 1);
	assert_non_null(strstr(buf, "OPENBLAS_CORETYPE=SkylakeX"));
	assert_non_null(strstr(buf, "Prescott"));
	assert_non_null(strstr(buf, "avx512"));
	/* a forced core narrower than the CPU gets the advice too */
	assert_int_equal(blascore_advice("Haswell", BLASCORE_AVX512, buf, sizeof buf), 1);
	assert_non_null(strstr(buf, "OPENBLAS_CORETYPE=SkylakeX"));
	assert_int_equal(blascore_advice("Nehalem", BLASCORE_AVX2, buf, sizeof buf), 1);
	assert_non_null(strstr(buf, "OPENBLAS_CORETYPE=Haswell"));
	assert_int_equal(blascore_advice("SkylakeX", BLASCORE_AVX512, buf, sizeof buf), 0);
	assert_string_equal(buf, "");
	assert_int_equal(blascore_advice("Prescott", BLASCORE_AVX, buf, sizeof buf), 0);
	assert_string_equal(buf, "");
	/* truncated, terminated */
	assert_int_equal(blascore_advice("Prescott", BLASCORE_AVX512, small, sizeof small), 1);
	assert_int_equal(strlen(small), sizeof small - 1);
}

/* The ISA /proc/cpuinfo's first "flags" line implies (-1: no file). */
static int cpuinfo_isa(void)
{
	char line[8192];
	int isa = -1;
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, "flags", 5) != 0)
			continue;
#define HAS(x) (strstr(line, " " x " ") || strstr(line, " " x "\n"))
		if (HAS("avx512f") && HAS("avx512bw") && HAS("avx512dq") && HAS("avx512vl"))
			isa = BLASCORE_AVX512;
		else if (HAS("avx2") && HAS("fma"))
			isa = BLASCORE_AVX2;
		else if (HAS("avx"))
			isa = BLASCORE_AVX;
		else
			isa = BLASCORE_SSE;
#undef HAS
		break;
	}
	fclose(f);
	return isa;
}

static void test_cpu_isa(void **state)
{
	int want = cpuinfo_isa();
	(void)state;
	assert_true(want >= 0);	/* Linux only; no silent skip */
	print_message("cpu: %s (cpuinfo %s)\n", blascore_isa_name(blascore_cpu_isa()),
		      blascore_isa_name(want));
	assert_int_equal(blascore_cpu_isa(), want);
}

static void test_info_source(void **state)
{
	struct blascore_info bi;
	(void)state;
	unsetenv("OPENBLAS_CORETYPE");
	unsetenv(BLASCORE_AUTO_ENV);
	blascore_info(&bi);
	assert_non_null(bi.core);
	assert_string_equal(bi.source, "detected");
	assert_int_equal(bi.core_isa, blascore_core_isa(bi.core));
	setenv("OPENBLAS_CORETYPE", "SkylakeX", 1);
	blascore_info(&bi);
	assert_string_equal(bi.source, "environment");
	setenv(BLASCORE_AUTO_ENV, "SkylakeX", 1);
	blascore_info(&bi);
	assert_string_equal(bi.source, "auto");
	unsetenv("OPENBLAS_CORETYPE");
	unsetenv(BLASCORE_AUTO_ENV);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_core_isa),
		cmocka_unit_test(test_want),
		cmocka_unit_test(test_advice),
		cmocka_unit_test(test_cpu_isa),
		cmocka_unit_test(test_info_source),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
