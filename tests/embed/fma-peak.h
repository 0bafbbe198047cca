/* fma-peak.h: the cores' measured FP32 peak (fma-peak.c). */
#ifndef PULSE_TESTS_FMA_PEAK_H
#define PULSE_TESTS_FMA_PEAK_H

#define FMA_PEAK_MAX_THREADS 64

/* Runs fused multiply-adds on threads threads (1 to FMA_PEAK_MAX_THREADS)
 * for about seconds; *gflops receives their total per wall second.
 * Returns 0, or -1 when a thread could not start. */
int fma_peak(double seconds, int threads, double *gflops);

#endif
