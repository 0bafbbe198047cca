/*
 * blascore: does OpenBLAS run kernels as wide as this CPU allows?
 *
 * OpenBLAS picks its kernels (its "core") from the CPU once, when it is
 * loaded, or takes OPENBLAS_CORETYPE. Releases that predate a CPU fall
 * back to generic SSE kernels (Prescott) on machines with AVX-512: five
 * times slower sgemm. pulse-host links OpenBLAS, so it is loaded before
 * main(); the only way to change the choice is to set the variable and
 * exec again, which blascore_reexec does at the top of main().
 *
 * Compiled into the host (the restart, doctor, embed) and into the
 * embed-local provider (its warning at load, pack.c's AVX-512 check):
 * plain C and OpenBLAS, no host internals, so plugins still only see
 * the SDK and this.
 */
#ifndef PULSE_PLUGINS_COMMON_BLASCORE_H
#define PULSE_PLUGINS_COMMON_BLASCORE_H

#include <stddef.h>

/* Vector instruction sets, narrowest first. */
enum blascore_isa {
	BLASCORE_SSE = 0,	/* SSE2/SSE3 (Prescott, Core2, Nehalem, ...) */
	BLASCORE_AVX,		/* AVX (Sandybridge, Bulldozer, ...) */
	BLASCORE_AVX2,		/* AVX2 and FMA (Haswell, Zen) */
	BLASCORE_AVX512,	/* AVX-512 F, BW, DQ, VL (SkylakeX, Cooperlake) */
};

/* Set by blascore_reexec to the core it chose (the loop guard); set it
 * to "off" to keep OpenBLAS's own choice. */
#define BLASCORE_AUTO_ENV "PULSE_HOST_OPENBLAS_AUTO"

/* The widest of the above that both the CPU (cpuid) and the OS (XGETBV:
 * it saves the register state) support. BLASCORE_SSE off x86-64. */
int blascore_cpu_isa(void);
/* The instruction set an OpenBLAS core name's kernels use (any case);
 * BLASCORE_SSE for generic and unknown names. */
int blascore_core_isa(const char *core);
/* "sse", "avx", "avx2", "avx512". */
const char *blascore_isa_name(int isa);

/* The core to force, or NULL: when env_core (OPENBLAS_CORETYPE) is set
 * the user's choice stands; otherwise a core is wanted when the CPU has
 * AVX2+FMA or AVX-512 and core's kernels are narrower: "Haswell" or
 * "SkylakeX". */
const char *blascore_want(const char *env_core, const char *core, int cpu_isa);

/* When core's kernels are narrower than cpu_isa allows (AVX2 and up),
 * writes the remedy (one line naming OPENBLAS_CORETYPE=...) to buf and
 * returns 1; otherwise buf is "" and it returns 0. */
int blascore_advice(const char *core, int cpu_isa, char *buf, size_t n);

/* What runs now: OpenBLAS's core, where it came from, the CPU's ISA and
 * the advice (empty when the kernels fit). */
struct blascore_info {
	const char *core;	/* openblas_get_corename(), static */
	const char *source;	/* "detected", "environment" or "auto" */
	int cpu_isa, core_isa;
	char advice[256];
};
void blascore_info(struct blascore_info *bi);

/* At the top of main, before any thread starts: when blascore_want says
 * so and BLASCORE_AUTO_ENV is unset, sets OPENBLAS_CORETYPE and
 * BLASCORE_AUTO_ENV and execs /proc/self/exe with argv again. Returns
 * when nothing is to be done, or when exec failed (a line on stderr). */
void blascore_reexec(char **argv);

#endif
