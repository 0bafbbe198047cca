/*
 * fma-peak.c: the FP32 peak of this machine's cores, measured.
 *
 * The benchmark's theoretical peak multiplies the nominal clock from
 * /proc/cpuinfo, which a virtual CPU may run well above (OpenBLAS's sgemm
 * reached 97% of it here). So it also times what the cores really do:
 * each thread runs sixteen independent chains of 16-lane fused
 * multiply-adds (AVX-512; AVX2 + FMA or plain copies on other CPUs, as
 * the cores allow), with nothing else in the loop, all threads at once.
 */
#include "fma-peak.h"

#include <pthread.h>
#include <time.h>

typedef float v16f __attribute__((vector_size(64)));

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define PEAK_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define PEAK_CLONES
#endif

#define PEAK_CHAINS 16
#define PEAK_INNER 1000		/* steps between two looks at the clock */

typedef struct peak_arg {
	double seconds, flops, sink;
} peak_arg;

static double peak_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

PEAK_CLONES
static void *peak_run(void *v)
{
	peak_arg *a = v;
	v16f acc[PEAK_CHAINS], m = { 0 }, c = { 0 };
	double t0 = peak_now();
	long steps = 0;

	m += 0.999999f;
	c += 1e-7f;
	for (int i = 0; i < PEAK_CHAINS; i++)
		acc[i] = (v16f){ 0 } + (float)i;
	do {
		for (int r = 0; r < PEAK_INNER; r++) {
#pragma GCC unroll 16
			for (int i = 0; i < PEAK_CHAINS; i++)
				acc[i] = acc[i] * m + c;
		}
		steps += PEAK_INNER;
	} while (peak_now() - t0 < a->seconds);
	a->flops = (double)steps * PEAK_CHAINS * 16 * 2;
	for (int i = 0; i < PEAK_CHAINS; i++)	/* keep the chains alive */
		a->sink += acc[i][0];
	return NULL;
}

int fma_peak(double seconds, int threads, double *gflops)
{
	pthread_t tid[FMA_PEAK_MAX_THREADS];
	peak_arg arg[FMA_PEAK_MAX_THREADS] = { { 0, 0, 0 } };
	int started = 0, rc = -1;
	double t0, flops = 0;

	if (threads < 1 || threads > FMA_PEAK_MAX_THREADS)
		return -1;
	t0 = peak_now();
	for (int i = 0; i < threads; i++) {
		arg[i].seconds = seconds;
		if (pthread_create(&tid[i], NULL, peak_run, &arg[i]) != 0)
			goto out;
		started++;
	}
	rc = 0;
out:
	for (int i = 0; i < started; i++) {
		pthread_join(tid[i], NULL);
		flops += arg[i].flops;
	}
	*gflops = rc == 0 ? flops / (peak_now() - t0) / 1e9 : 0;
	return rc;
}
