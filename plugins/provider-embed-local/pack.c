/*
 * pack.c: projections on pre-packed weights, for CPUs with AVX-512.
 *
 * OpenBLAS packs both operands of every sgemm. At batch 1 the weights
 * (7 MB a layer) are packed afresh on every call, and that copy took more
 * time than the multiply (perf, 32 tokens: 45% packing, 39% kernel). So
 * at load the weights are packed once, here, into panels of EMB_PANEL
 * output columns: panel p holds, for k = 0 .. in-1, the EMB_PANEL weights
 * W[p * EMB_PANEL + j][k] side by side (zero past the last output). The
 * kernel streams a panel once per tile of rows, broadcasting each input
 * element against two 16-lane weight vectors; the input is read in place.
 *
 * Every output element is one chain of fused multiply-adds over k in
 * order, whatever the tile, the batch or the thread split: a text's
 * vector is the same alone and in any batch, bit for bit.
 */
#include "embed.h"

#include <stdlib.h>
#include <string.h>

#include "blascore.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define PACK_X86 1
#define PACK_TARGET __attribute__((target("avx512f,fma")))
#endif

#define TILE_ROWS 8	/* 8 rows x 2 vectors: 16 accumulators */
/* rows per pass over the panels: their inputs (at most 64 x 1536 floats)
 * stay in L2 while the panels stream by; more rows, and re-reading them
 * for every panel made large batches slower than OpenBLAS */
#define ROW_CHUNK 64

int emb_pack_usable(void)
{
#ifdef PACK_X86
	const char *e = getenv("PULSE_EMBED_PACKED");
	if (e && strcmp(e, "off") == 0)
		return 0;	/* for comparisons: the OpenBLAS path */
	return blascore_cpu_isa() >= BLASCORE_AVX512;
#else
	return 0;
#endif
}

float *emb_pack(const float *w, int out, int in)
{
	size_t panels = ((size_t)out + EMB_PANEL - 1) / EMB_PANEL;
	void *mem = NULL;
	float *p;
	if (posix_memalign(&mem, 64, panels * EMB_PANEL * (size_t)in * sizeof(float)) != 0)
		return NULL;
	p = mem;
	for (size_t pi = 0; pi < panels; pi++) {
		float *dst = p + pi * EMB_PANEL * (size_t)in;
		for (int k = 0; k < in; k++)
			for (int j = 0; j < EMB_PANEL; j++) {
				size_t o = pi * EMB_PANEL + (size_t)j;
				dst[(size_t)k * EMB_PANEL + j] =
					o < (size_t)out ? w[o * (size_t)in + k] : 0.0f;
			}
	}
	return p;
}

#ifdef PACK_X86
/* rows (1 to TILE_ROWS) of x times one panel: EMB_PANEL outputs each,
 * of which the first ncols are stored. Inlined with constant rows, so
 * the accumulators stay in registers. */
static inline __attribute__((always_inline)) PACK_TARGET void
pack_tile(int rows, const float *x, int ldx, int in, const float *panel,
	  const float *next, float *y, int ldy, int ncols)
{
	__m512 acc[TILE_ROWS][2];
#pragma GCC unroll 8
	for (int r = 0; r < rows; r++)
		acc[r][0] = acc[r][1] = _mm512_setzero_ps();
	for (int k = 0; k < in; k++) {
		__m512 w0 = _mm512_load_ps(panel + (size_t)k * EMB_PANEL);
		__m512 w1 = _mm512_load_ps(panel + (size_t)k * EMB_PANEL + 16);
		if (next) {	/* the next panel's two lines for this k, into L2 */
			_mm_prefetch((const char *)(next + (size_t)k * EMB_PANEL), _MM_HINT_T1);
			_mm_prefetch((const char *)(next + (size_t)k * EMB_PANEL + 16), _MM_HINT_T1);
		}
#pragma GCC unroll 8
		for (int r = 0; r < rows; r++) {
			__m512 xv = _mm512_set1_ps(x[(size_t)r * ldx + k]);
			acc[r][0] = _mm512_fmadd_ps(xv, w0, acc[r][0]);
			acc[r][1] = _mm512_fmadd_ps(xv, w1, acc[r][1]);
		}
	}
	if (ncols == EMB_PANEL) {
#pragma GCC unroll 8
		for (int r = 0; r < rows; r++) {
			_mm512_storeu_ps(y + (size_t)r * ldy, acc[r][0]);
			_mm512_storeu_ps(y + (size_t)r * ldy + 16, acc[r][1]);
		}
	} else {
		float tmp[EMB_PANEL];
		for (int r = 0; r < rows; r++) {
			_mm512_storeu_ps(tmp, acc[r][0]);
			_mm512_storeu_ps(tmp + 16, acc[r][1]);
			memcpy(y + (size_t)r * ldy, tmp, (size_t)ncols * sizeof *tmp);
		}
	}
}

/* One call per tail size, so each gets its own constant-rows copy. */
#define TILE_CASE(n) case n: pack_tile(n, x, ldx, in, panel, next, y, ldy, ncols); break
static PACK_TARGET void pack_rows(int rows, const float *x, int ldx, int in,
				  const float *panel, const float *next, float *y,
				  int ldy, int ncols)
{
	switch (rows) {
	TILE_CASE(1); TILE_CASE(2); TILE_CASE(3); TILE_CASE(4);
	TILE_CASE(5); TILE_CASE(6); TILE_CASE(7); TILE_CASE(8);
	default: break;
	}
}
#undef TILE_CASE
#endif

void emb_pack_gemm(const float *x, int rows, int ldx, int in, const float *packed,
		   int out, int c0, int c1, float *y, int ldy)
{
#ifdef PACK_X86
	/* chunk of rows by panel (one panel, in x 32 floats, stays in L1/L2
	 * while every tile of the chunk goes over it); the first tile prefetches
	 * the next panel, so only the first panel waits for memory (at
	 * batch 1 the weights come from L3 or DRAM on every call) */
	for (int rc = 0; rc < rows; rc += ROW_CHUNK) {
		int rend = rows - rc < ROW_CHUNK ? rows : rc + ROW_CHUNK;
		for (int c = c0; c < c1; c += EMB_PANEL) {
			const float *panel = packed + (size_t)(c / EMB_PANEL) * EMB_PANEL * in;
			const float *next = c + EMB_PANEL < c1 ?
					    panel + (size_t)EMB_PANEL * in : NULL;
			int ncols = out - c < EMB_PANEL ? out - c : EMB_PANEL;
			for (int r = rc; r < rend; r += TILE_ROWS)
				pack_rows(rend - r < TILE_ROWS ? rend - r : TILE_ROWS,
					  x + (size_t)r * ldx, ldx, in, panel,
					  r == rc ? next : NULL,
					  y + (size_t)r * ldy + c, ldy, ncols);
		}
	}
#else
	(void)x; (void)rows; (void)ldx; (void)in; (void)packed;
	(void)out; (void)c0; (void)c1; (void)y; (void)ldy;
	abort();	/* emb_pack_usable() is 0: never called */
#endif
}
