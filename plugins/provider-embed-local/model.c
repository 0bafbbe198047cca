/*
 * model.c: config.json + model.safetensors -> emb_model.
 *
 * safetensors = 8-byte little-endian header length N, N bytes of JSON
 * ({"name": {"dtype", "shape", "data_offsets": [begin, end]}, ...}), then
 * the data. Every tensor's entry is checked (known dtype, offsets inside
 * the file, size = shape x dtype); the ones BERT needs must also have the
 * shape config.json implies and dtype F32 or F16 (F16 is widened once, at
 * load). Names are BERT's without a "bert." prefix (a prefixed file is
 * accepted too). The file is mmapped; F32 tensors are used in place.
 */
#include "embed.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define ST_MAX_HEADER (100u << 20)
#define CFG_MAX_BYTES (1u << 20)

/* ---------------------------------------------------------------- config */
static int cfg_int(json_object *o, const char *key, int dflt, int lo, int hi,
		   int *out, const char *name, char *err, size_t errlen)
{
	json_object *v;
	if (!json_object_object_get_ex(o, key, &v)) {
		if (dflt >= 0) {
			*out = dflt;
			return 0;
		}
		snprintf(err, errlen, "%s: no \"%s\"; is this a BERT config.json?",
			 name, key);
		return -1;
	}
	int64_t x = json_object_get_int64(v);
	if (!json_object_is_type(v, json_type_int) || x < lo || x > hi) {
		snprintf(err, errlen, "%s: \"%s\" is %s; expected an integer "
			 "from %d to %d", name, key, json_object_to_json_string(v),
			 lo, hi);
		return -1;
	}
	*out = (int)x;
	return 0;
}

int emb_config_parse(const char *json, size_t len, const char *name,
		     emb_config *c, char *err, size_t errlen)
{
	int rc = -1;
	json_object *o = NULL, *v;
	json_tokener *t = json_tokener_new();

	if (!t || len > CFG_MAX_BYTES) {
		snprintf(err, errlen, "%s: %s", name, t ? "too large" : "out of memory");
		goto out;
	}
	o = json_tokener_parse_ex(t, json, (int)len);
	if (!o || json_tokener_get_error(t) != json_tokener_success ||
	    !json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "%s: not a JSON object (%s)", name,
			 o ? "wrong type" : json_tokener_error_desc(json_tokener_get_error(t)));
		goto out;
	}
	if (cfg_int(o, "hidden_size", -1, 1, 16384, &c->hidden, name, err, errlen) ||
	    cfg_int(o, "num_hidden_layers", -1, 1, 256, &c->layers, name, err, errlen) ||
	    cfg_int(o, "num_attention_heads", -1, 1, 1024, &c->heads, name, err, errlen) ||
	    cfg_int(o, "intermediate_size", -1, 1, 65536, &c->inter, name, err, errlen) ||
	    cfg_int(o, "vocab_size", -1, 5, 1 << 22, &c->vocab, name, err, errlen) ||
	    cfg_int(o, "max_position_embeddings", -1, 2, 1 << 16, &c->max_pos, name, err, errlen) ||
	    cfg_int(o, "type_vocab_size", 2, 1, 1024, &c->type_vocab, name, err, errlen))
		goto out;
	if (c->hidden % c->heads) {
		snprintf(err, errlen, "%s: hidden_size %d is not a multiple of "
			 "num_attention_heads %d", name, c->hidden, c->heads);
		goto out;
	}
	c->ln_eps = 1e-12f;
	if (json_object_object_get_ex(o, "layer_norm_eps", &v)) {
		double e = json_object_get_double(v);
		if (!(e > 0 && e < 1)) {
			snprintf(err, errlen, "%s: layer_norm_eps is %s; expected a "
				 "small positive number", name, json_object_to_json_string(v));
			goto out;
		}
		c->ln_eps = (float)e;
	}
	if (json_object_object_get_ex(o, "hidden_act", &v) &&
	    strcmp(json_object_get_string(v), "gelu") != 0) {
		snprintf(err, errlen, "%s: hidden_act is %s; only \"gelu\" (exact, "
			 "erf) is implemented", name, json_object_to_json_string(v));
		goto out;
	}
	rc = 0;
out:
	json_object_put(o);
	if (t)
		json_tokener_free(t);
	return rc;
}

/* ----------------------------------------------------------- safetensors */
static int st_dtype_size(const char *d)
{
	static const struct { const char *name; int size; } k[] = {
		{ "F64", 8 }, { "F32", 4 }, { "F16", 2 }, { "BF16", 2 },
		{ "I64", 8 }, { "I32", 4 }, { "I16", 2 }, { "I8", 1 },
		{ "U64", 8 }, { "U32", 4 }, { "U16", 2 }, { "U8", 1 },
		{ "BOOL", 1 }, { "F8_E4M3", 1 }, { "F8_E5M2", 1 },
	};
	for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
		if (strcmp(d, k[i].name) == 0)
			return k[i].size;
	return 0;
}

static uint64_t st_u64(json_object *a, size_t i, int *ok)
{
	json_object *x = json_object_array_get_idx(a, i);
	if (!x || !json_object_is_type(x, json_type_int) ||
	    json_object_get_int64(x) < 0)
		*ok = 0;
	return x ? (uint64_t)json_object_get_int64(x) : 0;
}

/* Checks one header entry against the data area (dlen bytes). */
static int st_check_entry(const char *key, json_object *e, uint64_t dlen,
			  const char *name, char *err, size_t errlen)
{
	json_object *d, *sh, *off;
	int ok = 1;
	if (!json_object_is_type(e, json_type_object) ||
	    !json_object_object_get_ex(e, "dtype", &d) ||
	    !json_object_object_get_ex(e, "shape", &sh) ||
	    !json_object_object_get_ex(e, "data_offsets", &off) ||
	    !json_object_is_type(d, json_type_string) ||
	    !json_object_is_type(sh, json_type_array) ||
	    !json_object_is_type(off, json_type_array) ||
	    json_object_array_length(off) != 2) {
		snprintf(err, errlen, "%s: header entry \"%.80s\" lacks dtype, "
			 "shape or data_offsets [begin, end]", name, key);
		return -1;
	}
	int size = st_dtype_size(json_object_get_string(d));
	if (!size) {
		snprintf(err, errlen, "%s: tensor \"%.80s\" has unknown dtype "
			 "\"%.20s\"", name, key, json_object_get_string(d));
		return -1;
	}
	uint64_t count = 1;
	for (size_t i = 0; i < json_object_array_length(sh); i++) {
		uint64_t x = st_u64(sh, i, &ok);
		if (x && count > (UINT64_MAX / 16) / x)
			ok = 0;
		count *= x;
	}
	uint64_t b = st_u64(off, 0, &ok), en = st_u64(off, 1, &ok);
	if (!ok) {
		snprintf(err, errlen, "%s: tensor \"%.80s\" has a malformed shape "
			 "or data_offsets", name, key);
		return -1;
	}
	if (b > en || en > dlen) {
		snprintf(err, errlen, "%s: tensor \"%.80s\" claims bytes %llu..%llu "
			 "but the data area has %llu bytes: the file is truncated "
			 "or its header lies", name, key, (unsigned long long)b,
			 (unsigned long long)en, (unsigned long long)dlen);
		return -1;
	}
	if (en - b != count * (uint64_t)size) {
		snprintf(err, errlen, "%s: tensor \"%.80s\" spans %llu bytes but "
			 "its shape and dtype need %llu", name, key,
			 (unsigned long long)(en - b),
			 (unsigned long long)(count * (uint64_t)size));
		return -1;
	}
	return 0;
}

static float st_half(uint16_t h)
{
	uint32_t s = (uint32_t)(h & 0x8000) << 16, e = (h >> 10) & 0x1f, m = h & 0x3ff;
	uint32_t bits;
	if (e == 0x1f) {
		bits = s | 0x7f800000u | (m << 13);
	} else if (e) {
		bits = s | ((e + 112) << 23) | (m << 13);
	} else if (m) {		/* subnormal: normalise */
		e = 113;
		while (!(m & 0x400)) {
			m <<= 1;
			e--;
		}
		bits = s | (e << 23) | ((m & 0x3ff) << 13);
	} else {
		bits = s;
	}
	float f;
	memcpy(&f, &bits, sizeof f);
	return f;
}

typedef struct st_ctx {
	json_object *hdr;
	const unsigned char *data;
	uint64_t dlen;
	const char *name;
	emb_model *m;
	char *err;
	size_t errlen;
} st_ctx;

/* Finds tensor key with shape [d0] or [d0, d1] (d1 = 0: rank 1) and
 * returns F32 data for it, converting or aligning into a copy if needed. */
static const float *st_tensor(st_ctx *c, const char *key, int d0, int d1)
{
	json_object *e, *sh, *off, *d;
	char alt[160];
	if (!json_object_object_get_ex(c->hdr, key, &e)) {
		snprintf(alt, sizeof alt, "bert.%s", key);
		if (!json_object_object_get_ex(c->hdr, alt, &e)) {
			snprintf(c->err, c->errlen, "%s: no tensor \"%s\"; is this "
				 "a BERT (all-MiniLM-L6-v2 style) model?", c->name, key);
			return NULL;
		}
	}
	json_object_object_get_ex(e, "dtype", &d);
	json_object_object_get_ex(e, "shape", &sh);
	json_object_object_get_ex(e, "data_offsets", &off);
	const char *dt = json_object_get_string(d);
	int f16 = strcmp(dt, "F16") == 0;
	if (!f16 && strcmp(dt, "F32") != 0) {
		snprintf(c->err, c->errlen, "%s: tensor \"%s\" has dtype %s; "
			 "F32 or F16 is needed", c->name, key, dt);
		return NULL;
	}
	size_t rank = json_object_array_length(sh);
	int ok = 1;
	uint64_t s0 = rank > 0 ? st_u64(sh, 0, &ok) : 0;
	uint64_t s1 = rank > 1 ? st_u64(sh, 1, &ok) : 0;
	if (rank != (d1 ? 2u : 1u) || s0 != (uint64_t)d0 || s1 != (uint64_t)d1) {
		char want[48];
		if (d1)
			snprintf(want, sizeof want, "[%d, %d]", d0, d1);
		else
			snprintf(want, sizeof want, "[%d]", d0);
		snprintf(c->err, c->errlen, "%s: tensor \"%s\" has shape %s; "
			 "config.json implies %s", c->name, key,
			 json_object_to_json_string_ext(sh, JSON_C_TO_STRING_PLAIN), want);
		return NULL;
	}
	size_t count = (size_t)d0 * (size_t)(d1 ? d1 : 1);
	const unsigned char *p = c->data + st_u64(off, 0, &ok);
	if (!f16 && ((uintptr_t)p % sizeof(float)) == 0)
		return (const float *)p;
	void **cp = realloc(c->m->copies, (c->m->ncopies + 1) * sizeof *cp);
	float *f = cp ? malloc(count * sizeof *f) : NULL;
	if (cp)
		c->m->copies = cp;
	if (!f) {
		snprintf(c->err, c->errlen, "%s: out of memory for \"%s\"", c->name, key);
		return NULL;
	}
	cp[c->m->ncopies++] = f;
	if (f16) {
		for (size_t i = 0; i < count; i++) {
			uint16_t h;
			memcpy(&h, p + 2 * i, 2);
			f[i] = st_half(h);
		}
	} else {
		memcpy(f, p, count * sizeof *f);
	}
	return f;
}

/* Q, K and V stacked into one [3H, H] weight and one [3H] bias, so the
 * pass runs the three projections as one sgemm (OpenBLAS packs the input
 * once, and small batches get one wide product instead of three thin
 * ones). The copy is owned by m->copies. */
static int st_fuse_qkv(st_ctx *c, emb_layer *L)
{
	size_t H = (size_t)c->m->cfg.hidden;
	void **cp = realloc(c->m->copies, (c->m->ncopies + 1) * sizeof *cp);
	float *f = cp ? malloc((3 * H * H + 3 * H) * sizeof *f) : NULL;
	if (cp)
		c->m->copies = cp;
	if (!f) {
		snprintf(c->err, c->errlen, "%s: out of memory", c->name);
		return -1;
	}
	cp[c->m->ncopies++] = f;
	memcpy(f, L->q_w, H * H * sizeof *f);
	memcpy(f + H * H, L->k_w, H * H * sizeof *f);
	memcpy(f + 2 * H * H, L->v_w, H * H * sizeof *f);
	memcpy(f + 3 * H * H, L->q_b, H * sizeof *f);
	memcpy(f + 3 * H * H + H, L->k_b, H * sizeof *f);
	memcpy(f + 3 * H * H + 2 * H, L->v_b, H * sizeof *f);
	L->qkv_w = f;
	L->qkv_b = f + 3 * H * H;
	return 0;
}

/* The four projections packed for emb_pack_gemm (pack.c), when the CPU
 * runs it: 42 MB more for MiniLM, so batch 1 stops repacking them on
 * every call. The copies are owned by m->copies. */
static int st_pack(st_ctx *c, emb_layer *L)
{
	int H = c->m->cfg.hidden, I = c->m->cfg.inter;
	const float *src[4] = { L->qkv_w, L->ao_w, L->i_w, L->o_w };
	const int out[4] = { 3 * H, H, I, H }, in[4] = { H, H, H, I };
	const float **dst[4] = { &L->qkv_p, &L->ao_p, &L->i_p, &L->o_p };
	if (!emb_pack_usable())
		return 0;
	for (int i = 0; i < 4; i++) {
		void **cp = realloc(c->m->copies, (c->m->ncopies + 1) * sizeof *cp);
		float *f = cp ? emb_pack(src[i], out[i], in[i]) : NULL;
		if (cp)
			c->m->copies = cp;
		if (!f) {
			snprintf(c->err, c->errlen, "%s: out of memory", c->name);
			return -1;
		}
		cp[c->m->ncopies++] = f;
		*dst[i] = f;
	}
	return 0;
}

static int st_layer(st_ctx *c, int l, emb_layer *L)
{
	const emb_config *g = &c->m->cfg;
	int H = g->hidden, I = g->inter;
	char k[128];
#define T(field, suffix, a, b) do { \
		snprintf(k, sizeof k, "encoder.layer.%d.%s", l, suffix); \
		if (!(L->field = st_tensor(c, k, a, b))) \
			return -1; \
	} while (0)
	T(q_w, "attention.self.query.weight", H, H);
	T(q_b, "attention.self.query.bias", H, 0);
	T(k_w, "attention.self.key.weight", H, H);
	T(k_b, "attention.self.key.bias", H, 0);
	T(v_w, "attention.self.value.weight", H, H);
	T(v_b, "attention.self.value.bias", H, 0);
	T(ao_w, "attention.output.dense.weight", H, H);
	T(ao_b, "attention.output.dense.bias", H, 0);
	T(aln_g, "attention.output.LayerNorm.weight", H, 0);
	T(aln_b, "attention.output.LayerNorm.bias", H, 0);
	T(i_w, "intermediate.dense.weight", I, H);
	T(i_b, "intermediate.dense.bias", I, 0);
	T(o_w, "output.dense.weight", H, I);
	T(o_b, "output.dense.bias", H, 0);
	T(oln_g, "output.LayerNorm.weight", H, 0);
	T(oln_b, "output.LayerNorm.bias", H, 0);
#undef T
	if (st_fuse_qkv(c, L) < 0)
		return -1;
	return st_pack(c, L);
}

static int st_tensors(st_ctx *c)
{
	const emb_config *g = &c->m->cfg;
	int H = g->hidden;
	emb_model *m = c->m;
	if (!(m->word = st_tensor(c, "embeddings.word_embeddings.weight", g->vocab, H)) ||
	    !(m->pos = st_tensor(c, "embeddings.position_embeddings.weight", g->max_pos, H)) ||
	    !(m->type = st_tensor(c, "embeddings.token_type_embeddings.weight", g->type_vocab, H)) ||
	    !(m->eln_g = st_tensor(c, "embeddings.LayerNorm.weight", H, 0)) ||
	    !(m->eln_b = st_tensor(c, "embeddings.LayerNorm.bias", H, 0)))
		return -1;
	m->layer = calloc((size_t)g->layers, sizeof *m->layer);
	if (!m->layer) {
		snprintf(c->err, c->errlen, "%s: out of memory", c->name);
		return -1;
	}
	for (int l = 0; l < g->layers; l++)
		if (st_layer(c, l, &m->layer[l]) < 0)
			return -1;
	return 0;
}

void emb_model_clear(emb_model *m)
{
	for (size_t i = 0; i < m->ncopies; i++)
		free(m->copies[i]);
	free(m->copies);
	free(m->layer);
	m->copies = NULL;
	m->ncopies = 0;
	m->layer = NULL;
}

int emb_model_parse(const void *buf, size_t len, const char *name,
		    const emb_config *cfg, emb_model *m, char *err, size_t errlen)
{
	int rc = -1;
	const unsigned char *b = buf;
	json_tokener *t = NULL;
	st_ctx c = { .name = name, .m = m, .err = err, .errlen = errlen };
	uint64_t n = 0;

	m->cfg = *cfg;
	m->threads = 1;
	m->pool = NULL;	/* emb_model_load adds one */
	if (len < 8) {
		snprintf(err, errlen, "%s: %zu bytes; too short for a safetensors "
			 "file (truncated?)", name, len);
		goto out;
	}
	for (int i = 7; i >= 0; i--)
		n = (n << 8) | b[i];
	if (n > len - 8 || n > ST_MAX_HEADER || n < 2) {
		snprintf(err, errlen, "%s: header length %llu runs past the end of "
			 "the %zu-byte file: truncated, or not safetensors",
			 name, (unsigned long long)n, len);
		goto out;
	}
	t = json_tokener_new();
	if (!t) {
		snprintf(err, errlen, "%s: out of memory", name);
		goto out;
	}
	c.hdr = json_tokener_parse_ex(t, (const char *)b + 8, (int)n);
	if (!c.hdr || json_tokener_get_error(t) != json_tokener_success ||
	    !json_object_is_type(c.hdr, json_type_object)) {
		snprintf(err, errlen, "%s: the header is not a JSON object (%s)",
			 name, c.hdr ? "wrong type" :
			 json_tokener_error_desc(json_tokener_get_error(t)));
		goto out;
	}
	c.data = b + 8 + n;
	c.dlen = len - 8 - n;
	json_object_object_foreach(c.hdr, key, val) {
		if (strcmp(key, "__metadata__") == 0)
			continue;
		if (st_check_entry(key, val, c.dlen, name, err, errlen) < 0)
			goto out;
	}
	if (st_tensors(&c) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		emb_model_clear(m);
	json_object_put(c.hdr);
	if (t)
		json_tokener_free(t);
	return rc;
}

int emb_check_vocab(const emb_model *m, const emb_vocab *v, const char *name,
		    char *err, size_t errlen)
{
	if (emb_vocab_size(v) != (size_t)m->cfg.vocab) {
		snprintf(err, errlen, "%s: %zu tokens, but config.json's vocab_size "
			 "and the word embeddings have %d: vocab.txt and the model "
			 "do not belong together", name, emb_vocab_size(v), m->cfg.vocab);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ load */
static int read_small(const char *path, char **out, size_t *len,
		      char *err, size_t errlen)
{
	int rc = -1;
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	if (!f) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		goto out;
	}
	buf = malloc(CFG_MAX_BYTES + 1);
	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	*len = fread(buf, 1, CFG_MAX_BYTES + 1, f);
	if (ferror(f) || *len > CFG_MAX_BYTES) {
		snprintf(err, errlen, "%s: %s", path, ferror(f) ? "read error" :
			 "larger than 1 MiB; not a config.json");
		goto out;
	}
	*out = buf;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	if (f)
		fclose(f);
	return rc;
}

void emb_model_free(emb_model *m)
{
	if (!m)
		return;
	emb_model_clear(m);
	emb_pool_free(m->pool);
	if (m->map)
		munmap(m->map, m->map_len);
	free(m);
}

int emb_model_load(const char *dir, emb_model **out, char *err, size_t errlen)
{
	int rc = -1, fd = -1;
	char path[PATH_MAX], *json = NULL;
	size_t jlen = 0;
	emb_config cfg;
	struct stat st;
	emb_model *m = calloc(1, sizeof *m);

	if (!m) {
		snprintf(err, errlen, "%s: out of memory", dir);
		goto out;
	}
	snprintf(path, sizeof path, "%s/config.json", dir);
	if (read_small(path, &json, &jlen, err, errlen) < 0 ||
	    emb_config_parse(json, jlen, path, &cfg, err, errlen) < 0)
		goto out;
	snprintf(path, sizeof path, "%s/model.safetensors", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		goto out;
	}
	if (st.st_size < 8) {
		snprintf(err, errlen, "%s: %lld bytes; too short for a safetensors "
			 "file (truncated?)", path, (long long)st.st_size);
		goto out;
	}
	m->map_len = (size_t)st.st_size;
	m->map = mmap(NULL, m->map_len, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m->map == MAP_FAILED) {
		m->map = NULL;
		snprintf(err, errlen, "%s: mmap: %s", path, strerror(errno));
		goto out;
	}
	if (emb_model_parse(m->map, m->map_len, path, &cfg, m, err, errlen) < 0)
		goto out;
	m->pool = emb_pool_new();
	if (!m->pool) {
		snprintf(err, errlen, "%s: out of memory", dir);
		goto out;
	}
	*out = m;
	m = NULL;
	rc = 0;
out:
	emb_model_free(m);
	free(json);
	if (fd >= 0)
		close(fd);
	return rc;
}
