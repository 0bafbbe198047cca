/* blascore: OpenBLAS's kernel choice against the CPU (see blascore.h). */
#include "blascore.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

/* XCR0: which register state the OS saves on a context switch. */
static unsigned long long xcr0(void)
{
	unsigned int lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((unsigned long long)hi << 32) | lo;
}

int blascore_cpu_isa(void)
{
	unsigned int a, b, c1, d, b7 = 0, c7, d7;
	unsigned long long x;
	if (!__get_cpuid(1, &a, &b, &c1, &d))
		return BLASCORE_SSE;
	/* no OSXSAVE or no AVX: XGETBV itself may fault */
	if (!(c1 & bit_OSXSAVE) || !(c1 & bit_AVX))
		return BLASCORE_SSE;
	x = xcr0();
	if ((x & 0x6) != 0x6)		/* XMM and YMM state */
		return BLASCORE_SSE;
	if (__get_cpuid_count(7, 0, &a, &b7, &c7, &d7) == 0)
		b7 = 0;
	if (!(b7 & bit_AVX2) || !(c1 & bit_FMA))
		return BLASCORE_AVX;
	/* AVX-512 needs opmask, ZMM0-15 upper halves and ZMM16-31 saved */
	if ((x & 0xe6) == 0xe6 && (b7 & bit_AVX512F) && (b7 & bit_AVX512BW) &&
	    (b7 & bit_AVX512DQ) && (b7 & bit_AVX512VL))
		return BLASCORE_AVX512;
	return BLASCORE_AVX2;
}
#else
int blascore_cpu_isa(void)
{
	return BLASCORE_SSE;
}
#endif

int blascore_core_isa(const char *core)
{
	static const char *const avx512[] = { "skylakex", "cooperlake",
					      "sapphirerapids", NULL };
	static const char *const avx2[] = { "haswell", "zen", "excavator", NULL };
	static const char *const avx[] = { "sandybridge", "bulldozer",
					   "piledriver", "steamroller", NULL };
	static const char *const *const by[] = { avx512, avx2, avx };
	static const int isa[] = { BLASCORE_AVX512, BLASCORE_AVX2, BLASCORE_AVX };
	if (!core)
		return BLASCORE_SSE;
	for (size_t i = 0; i < sizeof by / sizeof by[0]; i++)
		for (const char *const *n = by[i]; *n; n++)
			if (strcasecmp(core, *n) == 0)
				return isa[i];
	return BLASCORE_SSE;
}

const char *blascore_isa_name(int isa)
{
	switch (isa) {
	case BLASCORE_AVX512: return "avx512";
	case BLASCORE_AVX2: return "avx2";
	case BLASCORE_AVX: return "avx";
	default: return "sse";
	}
}

/* The core for a CPU of this ISA, or NULL below AVX2 (the gain that
 * matters, and the two cores every DYNAMIC_ARCH build carries). */
static const char *core_for(int cpu_isa)
{
	return cpu_isa >= BLASCORE_AVX512 ? "SkylakeX" :
	       cpu_isa >= BLASCORE_AVX2 ? "Haswell" : NULL;
}

const char *blascore_want(const char *env_core, const char *core, int cpu_isa)
{
	if (env_core && *env_core)
		return NULL;
	if (blascore_core_isa(core) >= cpu_isa)
		return NULL;
	return core_for(cpu_isa);
}

int blascore_advice(const char *core, int cpu_isa, char *buf, size_t n)
{
	const char *want = core_for(cpu_isa);
	if (n)
		buf[0] = '\0';
	if (!want || blascore_core_isa(core) >= cpu_isa)
		return 0;
	snprintf(buf, n, "OpenBLAS runs %s kernels (%s) on a CPU with %s: "
		 "set OPENBLAS_CORETYPE=%s in the daemon's environment for "
		 "about 5x faster embeddings (docs/embeddings.md)",
		 core ? core : "unknown", blascore_isa_name(blascore_core_isa(core)),
		 blascore_isa_name(cpu_isa), want);
	return 1;
}

void blascore_info(struct blascore_info *bi)
{
	const char *env = getenv("OPENBLAS_CORETYPE");
	const char *aut = getenv(BLASCORE_AUTO_ENV);
	bi->core = openblas_get_corename();
	bi->cpu_isa = blascore_cpu_isa();
	bi->core_isa = blascore_core_isa(bi->core);
	bi->source = !env || !*env ? "detected" :
		     aut && strcmp(aut, env) == 0 ? "auto" : "environment";
	blascore_advice(bi->core, bi->cpu_isa, bi->advice, sizeof bi->advice);
}

void blascore_reexec(char **argv)
{
	const char *want;
	char self[4096];
	ssize_t n;

	if (getenv(BLASCORE_AUTO_ENV))
		return;		/* done once already, or "off" */
	want = blascore_want(getenv("OPENBLAS_CORETYPE"), openblas_get_corename(),
			     blascore_cpu_isa());
	if (!want)
		return;
	/* OpenBLAS reads the variable only in its constructor, which has run */
	if (setenv("OPENBLAS_CORETYPE", want, 1) != 0 ||
	    setenv(BLASCORE_AUTO_ENV, want, 1) != 0)
		return;
	/* exec the binary by its own path, not /proc/self/exe: the process
	 * name (comm) is the exec'd file's, and ps, systemd and the logs
	 * would show "exe" */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0 && (size_t)n < sizeof(self) - 1) {
		self[n] = '\0';
		execv(self, argv);
	}
	execv("/proc/self/exe", argv);	/* the file was renamed or removed */
	unsetenv("OPENBLAS_CORETYPE");
	unsetenv(BLASCORE_AUTO_ENV);
	fprintf(stderr, "pulse-host: warning: could not restart with "
		"OPENBLAS_CORETYPE=%s; OpenBLAS keeps its %s kernels (set the "
		"variable in the environment)\n", want, openblas_get_corename());
}
