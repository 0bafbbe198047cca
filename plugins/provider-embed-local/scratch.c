/*
 * scratch.c: reuse of the forward pass's working memory.
 *
 * A batch needs megabytes of scratch (32 texts of 32 tokens: 16 MB).
 * Fresh from malloc that is a fresh mmap each call, and first-touch page
 * faults cost about a tenth of the pass. So finished calls hand their
 * block back here and the next call takes it. The pool is locked, so
 * concurrent calls still each get their own block. It keeps at most
 * POOL_SLOTS blocks of at most POOL_KEEP bytes; larger ones (long texts
 * in big batches) go back to the system.
 */
#include "embed.h"

#include <pthread.h>
#include <stdlib.h>

#define POOL_SLOTS 4
#define POOL_KEEP ((size_t)64 << 20)

struct emb_pool {
	pthread_mutex_t lock;
	float *blk[POOL_SLOTS];
	size_t cap[POOL_SLOTS];	/* floats */
};

emb_pool *emb_pool_new(void)
{
	emb_pool *p = calloc(1, sizeof *p);
	if (p && pthread_mutex_init(&p->lock, NULL) != 0) {
		free(p);
		p = NULL;
	}
	return p;
}

void emb_pool_free(emb_pool *p)
{
	if (!p)
		return;
	for (int i = 0; i < POOL_SLOTS; i++)
		free(p->blk[i]);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

float *emb_pool_get(emb_pool *p, size_t n, size_t *cap)
{
	float *b = NULL, *drop = NULL;
	void *mem = NULL;
	if (p) {
		int best = -1, any = -1;
		pthread_mutex_lock(&p->lock);
		for (int i = 0; i < POOL_SLOTS; i++) {
			if (!p->blk[i])
				continue;
			any = i;
			if (p->cap[i] >= n && (best < 0 || p->cap[i] < p->cap[best]))
				best = i;
		}
		/* none fits: free one, so the pool does not fill with small blocks */
		int take = best >= 0 ? best : any;
		if (take >= 0) {
			if (best >= 0) {
				b = p->blk[take];
				*cap = p->cap[take];
			} else {
				drop = p->blk[take];
			}
			p->blk[take] = NULL;
		}
		pthread_mutex_unlock(&p->lock);
		free(drop);
		if (b)
			return b;
	}
	/* 64-byte lines: whole cache lines and AVX-512 loads per row */
	if (posix_memalign(&mem, 64, (n ? n : 1) * sizeof(float)) != 0)
		return NULL;
	*cap = n;
	return mem;
}

void emb_pool_put(emb_pool *p, float *blk, size_t cap)
{
	if (p && blk && cap * sizeof(float) <= POOL_KEEP) {
		pthread_mutex_lock(&p->lock);
		for (int i = 0; i < POOL_SLOTS && blk; i++) {
			if (!p->blk[i]) {
				p->blk[i] = blk;
				p->cap[i] = cap;
				blk = NULL;
			}
		}
		pthread_mutex_unlock(&p->lock);
	}
	free(blk);
}
