/*
 * pack.c: projections on pre-packed weights, for CPUs with AVX-512.
 *
 * OpenBLAS packs both operands of every sgemm. At batch 1 the weights
 * (7 MB a layer) are packed afresh on every call, and that copy took more
 * time than the multiply (perf, 32 tokens: 45% packing, 39% kernel). So
 * at load the weights are packed once, here, into panels of EMB_PANEL
 * output columns: panel p holds, for k = 0 .. in-1, the EMB_PANEL weights
 * W[p * EMB_PANEL + j][k] side by side (zero past the last output). The
 * kernel goes over a panel 128 k at a time, each block once per tile of
 * rows, broadcasting each input element against two 16-lane weight
 * vectors; the input is read in place.
 *
 * Every output element is one chain of fused multiply-adds over k in
 * order (a k block carries on from the partial sum the previous one
 * stored), whatever the tile, the batch or the thread split: a text's
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
/* rows per pass over the panels: their inputs (at most 128 x 1536
 * floats, 768 KB) stay in L2 while the panels stream by; fewer rows
 * stream the weights more often (64 was 2-5% slower at 128 tokens),
 * more re-read the rows for every panel */
#define ROW_CHUNK 128
/* k per pass of a chunk's tiles over a panel: that part of the panel
 * (16 KB) stays in L1 while every tile of the chunk uses it; a whole
 * panel (48 to 192 KB) came from L2 for each tile */
#define KBLOCK 128

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

size_t emb_pack_floats(int out, int in)
{
	return ((size_t)out + EMB_PANEL - 1) / EMB_PANEL * EMB_PANEL * (size_t)in;
}

void emb_pack_part(float *dst, const float *w, size_t ldw, int out, int in,
		   int o0, int o1)
{
	int pad = o1 == out ? (out + EMB_PANEL - 1) / EMB_PANEL * EMB_PANEL : o1;
	for (int o = o0; o < pad; o++) {
		float *d = dst + (size_t)(o / EMB_PANEL) * EMB_PANEL * (size_t)in +
			   o % EMB_PANEL;
		const float *src = w + (size_t)o * ldw;
		for (int k = 0; k < in; k++)
			d[(size_t)k * EMB_PANEL] = o < out ? src[k] : 0.0f;
	}
}

void emb_pack_t_part(float *dst, const float *v, size_t ldv, int out, int in,
		     int k0, int k1)
{
	int panels = (out + EMB_PANEL - 1) / EMB_PANEL;
	for (int pi = 0; pi < panels; pi++) {
		float *d = dst + (size_t)pi * EMB_PANEL * (size_t)in;
		int o0 = pi * EMB_PANEL;
		if (out - o0 >= EMB_PANEL) {	/* whole panel: a fixed-size copy */
			for (int k = k0; k < k1; k++)
				memcpy(d + (size_t)k * EMB_PANEL,
				       v + (size_t)k * ldv + o0,
				       EMB_PANEL * sizeof *d);
			continue;
		}
		for (int k = k0; k < k1; k++) {
			float *dk = d + (size_t)k * EMB_PANEL;
			for (int j = 0; j < EMB_PANEL; j++)
				dk[j] = o0 + j < out ? v[(size_t)k * ldv + (size_t)(o0 + j)] : 0.0f;
		}
	}
}

float *emb_pack(const float *w, int out, int in)
{
	void *mem = NULL;
	if (posix_memalign(&mem, 64, emb_pack_floats(out, in) * sizeof(float)) != 0)
		return NULL;
	emb_pack_part(mem, w, (size_t)in, out, in, 0, out);
	return mem;
}

#ifdef PACK_X86
/* rows (1 to TILE_ROWS) of x times in steps of one panel: EMB_PANEL
 * outputs each, of which the first ncols are stored. first: start from
 * zero, else carry on from what y holds (the previous k block), so each
 * output stays one chain of multiply-adds. Prefetches npf lines (at most
 * 2 * in) from next. bias (the panel's ncols), when not NULL, is added
 * before the store. Inlined with constant rows, so the accumulators
 * stay in registers. */
static inline __attribute__((always_inline)) PACK_TARGET void
pack_tile(int rows, const float *x, int ldx, int in, const float *panel,
	  const float *next, int npf, float *y, int ldy, int ncols, int first,
	  const float *bias)
{
	__m512 acc[TILE_ROWS][2];
	if (first) {
#pragma GCC unroll 8
		for (int r = 0; r < rows; r++)
			acc[r][0] = acc[r][1] = _mm512_setzero_ps();
	} else if (ncols == EMB_PANEL) {
#pragma GCC unroll 8
		for (int r = 0; r < rows; r++) {
			acc[r][0] = _mm512_loadu_ps(y + (size_t)r * ldy);
			acc[r][1] = _mm512_loadu_ps(y + (size_t)r * ldy + 16);
		}
	} else {
		float tmp[EMB_PANEL] = { 0 };
		for (int r = 0; r < rows; r++) {
			memcpy(tmp, y + (size_t)r * ldy, (size_t)ncols * sizeof *tmp);
			acc[r][0] = _mm512_loadu_ps(tmp);
			acc[r][1] = _mm512_loadu_ps(tmp + 16);
		}
	}
	for (int k = 0; k < in; k++) {
		__m512 w0 = _mm512_load_ps(panel + (size_t)k * EMB_PANEL);
		__m512 w1 = _mm512_load_ps(panel + (size_t)k * EMB_PANEL + 16);
		/* this tile's share of the next panel, into L2: up to two
		 * lines a step */
		if (2 * k < npf)
			_mm_prefetch((const char *)(next + (size_t)k * 32), _MM_HINT_T1);
		if (2 * k + 1 < npf)
			_mm_prefetch((const char *)(next + (size_t)k * 32 + 16), _MM_HINT_T1);
#pragma GCC unroll 8
		for (int r = 0; r < rows; r++) {
			__m512 xv = _mm512_set1_ps(x[(size_t)r * ldx + k]);
			acc[r][0] = _mm512_fmadd_ps(xv, w0, acc[r][0]);
			acc[r][1] = _mm512_fmadd_ps(xv, w1, acc[r][1]);
		}
	}
	if (bias) {	/* after the last k block: the same sum, then + b */
		float tmp[EMB_PANEL] = { 0 };
		memcpy(tmp, bias, (size_t)ncols * sizeof *tmp);
		__m512 b0 = _mm512_loadu_ps(tmp), b1 = _mm512_loadu_ps(tmp + 16);
#pragma GCC unroll 8
		for (int r = 0; r < rows; r++) {
			acc[r][0] = _mm512_add_ps(acc[r][0], b0);
			acc[r][1] = _mm512_add_ps(acc[r][1], b1);
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
#define TILE_CASE(n) case n: pack_tile(n, x, ldx, in, panel, next, npf, y, ldy, \
					  ncols, first, bias); break
static PACK_TARGET void pack_rows(int rows, const float *x, int ldx, int in,
				  const float *panel, const float *next, int npf,
				  float *y, int ldy, int ncols, int first,
				  const float *bias)
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
		   int out, int c0, int c1, const float *bias, float *y, int ldy)
{
#ifdef PACK_X86
	/* chunk of rows by panel by k block (the block of the panel stays
	 * in L1 while every tile of the chunk goes over it); the tiles
	 * prefetch the next panel, so only the first panel waits for memory
	 * (at batch 1 the weights come from L3 or DRAM on every call) */
	for (int rc = 0; rc < rows; rc += ROW_CHUNK) {
		int rend = rows - rc < ROW_CHUNK ? rows : rc + ROW_CHUNK;
		for (int c = c0; c < c1; c += EMB_PANEL) {
			const float *panel = packed + (size_t)(c / EMB_PANEL) * EMB_PANEL * in;
			const float *next = c + EMB_PANEL < c1 ?
					    panel + (size_t)EMB_PANEL * in : NULL;
			int ncols = out - c < EMB_PANEL ? out - c : EMB_PANEL;
			int tiles = (rend - rc + TILE_ROWS - 1) / TILE_ROWS;
			int nkb = (in + KBLOCK - 1) / KBLOCK;
			/* the next panel's lines, shared out over every tile
			 * of this one (all at the first tile, as before, made
			 * that tile wait on memory) */
			int lines = next ? 2 * in : 0;
			int per = (lines + tiles * nkb - 1) / (tiles * nkb);
			int done = 0;
			for (int k0 = 0; k0 < in; k0 += KBLOCK) {
				int kn = in - k0 < KBLOCK ? in - k0 : KBLOCK;
				for (int r = rc; r < rend; r += TILE_ROWS) {
					int npf = lines - done < per ? lines - done : per;
					if (npf > 2 * kn)
						npf = 2 * kn;
					pack_rows(rend - r < TILE_ROWS ? rend - r : TILE_ROWS,
						  x + (size_t)r * ldx + k0, ldx, kn,
						  panel + (size_t)k0 * EMB_PANEL,
						  next ? next + (size_t)done * 16 : NULL, npf,
						  y + (size_t)r * ldy + c, ldy, ncols,
						  k0 == 0, bias && k0 + kn == in ?
						  bias + c : NULL);
					done += npf;
				}
			}
		}
	}
#else
	(void)x; (void)rows; (void)ldx; (void)in; (void)packed;
	(void)out; (void)c0; (void)c1; (void)bias; (void)y; (void)ldy;
	abort();	/* emb_pack_usable() is 0: never called */
#endif
}
