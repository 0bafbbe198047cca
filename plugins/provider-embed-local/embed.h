/*
 * embed.h: internals of the embed-local provider (prefix emb_).
 *
 * The parts, one file each, none of them aware of the plugin ABI:
 *   vocab.c     vocab.txt -> token ids (a hash table)
 *   tokenize.c  BERT uncased WordPiece, as sentence-transformers runs it
 *   model.c     config.json + model.safetensors, every tensor checked
 *   forward.c   the BERT encoder, mean pooling and L2 norm (OpenBLAS),
 *               split over a team of threads
 *   gelu.c      exact-erf GELU, vectorised
 *   softmax.c   attention's softmax with a vectorised exp
 *   layernorm.c residual + bias + LayerNorm, vectorised
 *   share.c     rows per thread of a row-wise pass, by speed
 *   scratch.c   the forward pass's working memory, reused across calls
 *   pack.c      projections on weights packed at load (AVX-512 CPUs)
 *
 * Errors are written to a caller buffer (err, errlen) as one line naming
 * the file and what is wrong; functions return 0 on success, -1 on error.
 */
#ifndef PULSE_EMBED_LOCAL_EMBED_H
#define PULSE_EMBED_LOCAL_EMBED_H

#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ vocab */
typedef struct emb_vocab emb_vocab;

/* Parses vocab.txt held in buf (one token per line, id = line number).
 * name is used in error messages. On success *out is owned by the caller
 * (emb_vocab_free). */
int emb_vocab_parse(const char *buf, size_t len, const char *name,
		    emb_vocab **out, char *err, size_t errlen);
/* Reads and parses the file at path. */
int emb_vocab_load(const char *path, emb_vocab **out, char *err, size_t errlen);
void emb_vocab_free(emb_vocab *v);
/* Id of the token s[0..n), or -1. */
int32_t emb_vocab_find(const emb_vocab *v, const char *s, size_t n);
size_t emb_vocab_size(const emb_vocab *v);
/* The token for an id (NUL-terminated, owned by v), or NULL. */
const char *emb_vocab_token(const emb_vocab *v, int32_t id);

/* -------------------------------------------------------------- tokenizer */
#define EMB_MAX_WORD_CHARS 100	/* longer words become [UNK], as in BERT */

/* Tokenizes one UTF-8 text into [CLS] ... [SEP], truncated to max_tokens
 * ids in all (max_tokens >= 2). ids has room for max_tokens entries.
 * Returns the number of ids, or -1 with err set (invalid UTF-8 is not an
 * error: bad bytes are dropped like U+FFFD). *full_count, when not NULL,
 * receives the count before truncation, capped at max_tokens + 1 (so the
 * caller can tell that truncation happened without paying for long texts). */
int emb_tokenize(const emb_vocab *v, const char *text, size_t len,
		 int max_tokens, int32_t *ids, int *full_count,
		 char *err, size_t errlen);

/* ----------------------------------------------------------------- config */
typedef struct emb_config {
	int hidden;		/* hidden_size */
	int layers;		/* num_hidden_layers */
	int heads;		/* num_attention_heads */
	int inter;		/* intermediate_size */
	int vocab;		/* vocab_size */
	int max_pos;		/* max_position_embeddings */
	int type_vocab;		/* type_vocab_size */
	float ln_eps;		/* layer_norm_eps */
} emb_config;

/* Parses config.json text; name is used in messages. */
int emb_config_parse(const char *json, size_t len, const char *name,
		     emb_config *cfg, char *err, size_t errlen);

typedef struct emb_layer {
	const float *q_w, *q_b, *k_w, *k_b, *v_w, *v_b;
	const float *ao_w, *ao_b, *aln_g, *aln_b;
	const float *i_w, *i_b, *o_w, *o_b, *oln_g, *oln_b;
	/* q_w, k_w, v_w stacked ([3H, H]) and their biases ([3H]), made at
	 * load (a copy in emb_model.copies): the pass projects Q, K and V
	 * with one sgemm */
	const float *qkv_w, *qkv_b;
	/* the four projections' weights packed by emb_pack (copies in
	 * emb_model.copies), or all NULL: then the pass uses OpenBLAS */
	const float *qkv_p, *ao_p, *i_p, *o_p;
} emb_layer;

/* ------------------------------------------------------------------- pack */
#define EMB_PANEL 32	/* output columns per packed panel */

/* 1 when emb_pack_gemm may be used: a CPU and OS with AVX-512, and the
 * environment does not say PULSE_EMBED_PACKED=off. */
int emb_pack_usable(void);
/* W [out, in] (PyTorch order) packed for emb_pack_gemm; NULL when out of
 * memory. Owned by the caller (free). */
float *emb_pack(const float *w, int out, int in);
/* Floats a packed [out, in] takes. */
size_t emb_pack_floats(int out, int in);
/* Packs outputs [o0, o1) of W[o][k] = w[o * ldw + k] into dst
 * (emb_pack_floats(out, in) floats, 64-byte aligned, caller's), with the
 * last panel's zero padding when o1 == out. Parts may be packed by
 * different threads. */
void emb_pack_part(float *dst, const float *w, size_t ldw, int out, int in,
		   int o0, int o1);
/* The same for W[o][k] = v[k * ldv + o] (v^T, without copying it first:
 * attention's V, [tokens, head dim], as the weights of P V), steps
 * k in [k0, k1). */
void emb_pack_t_part(float *dst, const float *v, size_t ldv, int out, int in,
		     int k0, int k1);
/* y[r, c0..c1) = x[r, 0..in) . W[c, 0..in) (+ bias[c] when bias is not
 * NULL) for r < rows, W packed by emb_pack (out outputs); c0 a multiple
 * of EMB_PANEL, c1 one too or out. x and y with leading dimensions ldx,
 * ldy. Only when emb_pack_usable. */
void emb_pack_gemm(const float *x, int rows, int ldx, int in, const float *packed,
		   int out, int c0, int c1, const float *bias, float *y, int ldy);

/* ---------------------------------------------------------------- scratch */
typedef struct emb_pool emb_pool;

/* A locked pool of scratch blocks; NULL when out of memory. */
emb_pool *emb_pool_new(void);
void emb_pool_free(emb_pool *p);
/* A block of at least n floats (64-byte aligned, contents undefined), from
 * the pool or fresh; *cap receives its size. Owned by the caller until
 * emb_pool_put. p may be NULL (plain allocation). NULL when out of memory. */
float *emb_pool_get(emb_pool *p, size_t n, size_t *cap);
/* Hands blk (cap floats) back to the pool, or frees it; takes ownership. */
void emb_pool_put(emb_pool *p, float *blk, size_t cap);

/* ------------------------------------------------------------------- gelu */
/* erf, |error| <= 2e-6 (float); x * (1 + erf(x / sqrt 2)) / 2 in place. */
float emb_erf(float x);
void emb_gelu(float *x, size_t n);
/* x[i] = GELU(x[i] + b[i]) for i < n (the bias of the intermediate
 * projection folded into the same pass); b may be NULL. */
void emb_gelu_bias(float *x, const float *b, size_t n);

/* ---------------------------------------------------------------- softmax */
/* exp, relative error <= 3e-7 for x in [-87, 88] (below: a tiny positive
 * number instead of 0, harmless in a softmax whose largest term is 1). */
float emb_exp(float x);
/* s[0..n) = softmax(scale * s[0..n)) in place (scale > 0), sixteen
 * lanes at a time. */
void emb_softmax(float *s, int n, float scale);

/* -------------------------------------------------------------- layernorm */
/* x = LayerNorm(x + add + bias) row by row (rows of h floats), with gain
 * g and shift b; add and bias may be NULL (bias is used only with add).
 * A row's result depends on that row only. */
void emb_add_norm(float *x, const float *add, const float *bias, int rows,
		  int h, const float *g, const float *b, float eps);
/* ------------------------------------------------------------------ share */
#define EMB_SHARE_STEP 8	/* rows: the packed kernel's tile */
/* Thread tid's rows [*r0, *r1) of rows, the team of nt sharing them in
 * proportion to rate[] (rows per second in the last phase; 0 or less:
 * unknown), at least a quarter of an equal share each, cut at multiples
 * of EMB_SHARE_STEP. Every thread computes the same cuts: together they
 * cover [0, rows) once. */
void emb_share_rows(const double *rate, int nt, int rows, int tid,
		    int *r0, int *r1);
/* ------------------------------------------------------------------ model */
typedef struct emb_model {
	emb_config cfg;
	int threads;			/* per emb_forward call; 1 unless set */
	emb_pool *pool;			/* scratch reuse; owned; may be NULL */
	const float *word, *pos, *type, *eln_g, *eln_b;
	emb_layer *layer;		/* cfg.layers entries, owned */
	/* Storage behind the pointers above: the mapped file, plus copies
	 * of tensors that needed converting (F16) or aligning. Owned. */
	void *map;
	size_t map_len;
	void **copies;
	size_t ncopies;
} emb_model;

/* Checks a safetensors image (buf, len) against cfg and fills m's tensor
 * pointers (pointing into buf, or into copies m owns). name is the file
 * name for messages. m->map is left alone; threads is set to 1 and pool
 * to NULL (emb_model_load adds a pool). */
int emb_model_parse(const void *buf, size_t len, const char *name,
		    const emb_config *cfg, emb_model *m,
		    char *err, size_t errlen);
/* Loads dir/config.json and mmaps dir/model.safetensors. On success *out
 * is owned by the caller (emb_model_free). */
int emb_model_load(const char *dir, emb_model **out, char *err, size_t errlen);
void emb_model_free(emb_model *m);
/* Releases what emb_model_parse allocated (copies, layer table). */
void emb_model_clear(emb_model *m);

/* ---------------------------------------------------------------- forward */
/* Threads each emb_forward call on m splits its work over (clamped to 1 to
 * EMB_MAX_THREADS; the calling thread is one of them). Also switches
 * OpenBLAS to one thread per product, process-wide: the pass hands each
 * thread its own rows, and OpenBLAS's pthread build must not start its own
 * team from several threads at once. Call before sharing m. */
#define EMB_MAX_THREADS 64
void emb_model_set_threads(emb_model *m, int threads);

/* Embeds n tokenized texts: ids[i] holds len[i] ids (each <= max_pos).
 * out receives n * hidden floats, each row L2-normalised. Each call has
 * its own scratch (from m->pool) and thread team, so concurrent calls on
 * one model are safe.
 * Returns 0, or -1 with err set (out of memory, an id out of range). */
int emb_forward(const emb_model *m, const int32_t *const *ids,
		const int *len, int n, float *out, char *err, size_t errlen);

/* Where emb_forward_prof's time went, in seconds (added to): the calling
 * thread's wall time, a stage's wait for the other threads included. */
typedef struct emb_prof {
	double linear;		/* the sgemm-backed projections (QKV, output, FFN) */
	double attention;	/* per-head score and context sgemms */
	double other;		/* embeddings, bias, LayerNorm, GELU, pooling */
	double softmax;		/* attention's softmax */
	double sync;		/* waiting at the team's barriers */
} emb_prof;

/* emb_forward, timing its parts into *prof (for the benchmark). */
int emb_forward_prof(const emb_model *m, const int32_t *const *ids,
		     const int *len, int n, float *out, emb_prof *prof,
		     char *err, size_t errlen);

/* Checks that vocab.txt (v, named name) and the model agree on the
 * vocabulary size. */
int emb_check_vocab(const emb_model *m, const emb_vocab *v, const char *name,
		    char *err, size_t errlen);

/* Checks that buf's SHA-256 is want_hex (64 hex digits, any case). */
int emb_verify_sha256(const void *buf, size_t len, const char *want_hex,
		      const char *name, char *err, size_t errlen);

/* Floating-point operations one text of len tokens costs (for --stats
 * and the benchmark: matrix products only, 2 per multiply-add). */
double emb_forward_flops(const emb_config *c, int len);

#endif
