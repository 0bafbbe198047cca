/*
 * vocab.c: vocab.txt -> token ids. One token per line; the id is the line
 * number from 0, as in BERT's load_vocab. Lookups go through an
 * open-addressing hash table over a private copy of the file.
 */
#include "embed.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define VOCAB_MAX_TOKENS (1u << 24)	/* far above any BERT vocab */
#define VOCAB_MAX_BYTES (64u << 20)

struct emb_vocab {
	char *text;		/* NUL-separated tokens, owned */
	uint32_t *off;		/* id -> offset in text */
	uint32_t *len;		/* id -> token length */
	size_t n;
	int32_t *slot;		/* hash table of ids, -1 = empty */
	size_t nslot;		/* power of two */
};

static uint64_t vocab_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;	/* FNV-1a */
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	return h;
}

int32_t emb_vocab_find(const emb_vocab *v, const char *s, size_t n)
{
	size_t mask = v->nslot - 1;
	for (size_t i = vocab_hash(s, n) & mask;; i = (i + 1) & mask) {
		int32_t id = v->slot[i];
		if (id < 0)
			return -1;
		if (v->len[id] == n && memcmp(v->text + v->off[id], s, n) == 0)
			return id;
	}
}

size_t emb_vocab_size(const emb_vocab *v)
{
	return v->n;
}

const char *emb_vocab_token(const emb_vocab *v, int32_t id)
{
	if (id < 0 || (size_t)id >= v->n)
		return NULL;
	return v->text + v->off[id];
}

void emb_vocab_free(emb_vocab *v)
{
	if (!v)
		return;
	free(v->text);
	free(v->off);
	free(v->len);
	free(v->slot);
	free(v);
}

/* Splits v->text (already a copy, n bytes + NUL) into lines. */
static int vocab_split(emb_vocab *v, size_t n, const char *name,
		       char *err, size_t errlen)
{
	size_t cap = 1024, start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && v->text[i] == '\0') {
			snprintf(err, errlen, "%s: line %zu holds a NUL byte; "
				 "is this really a vocab.txt?", name, v->n + 1);
			return -1;
		}
		if (i < n && v->text[i] != '\n')
			continue;
		if (i == n && start == n)
			break;		/* the final newline ends no token */
		size_t end = i;
		if (end > start && v->text[end - 1] == '\r')
			end--;		/* tolerate CRLF files */
		v->text[end] = '\0';
		if (v->n == VOCAB_MAX_TOKENS) {
			snprintf(err, errlen, "%s: more than %u lines; not a "
				 "vocab.txt", name, VOCAB_MAX_TOKENS);
			return -1;
		}
		if (v->n == 0 || v->n == cap) {
			if (v->n)
				cap *= 2;
			uint32_t *o = realloc(v->off, cap * sizeof *o);
			if (o)
				v->off = o;
			uint32_t *l = o ? realloc(v->len, cap * sizeof *l) : NULL;
			if (l)
				v->len = l;
			if (!o || !l) {
				snprintf(err, errlen, "%s: out of memory", name);
				return -1;
			}
		}
		v->off[v->n] = (uint32_t)start;
		v->len[v->n] = (uint32_t)(end - start);
		v->n++;
		start = i + 1;
	}
	if (v->n == 0) {
		snprintf(err, errlen, "%s: empty; a BERT vocab.txt has one "
			 "token per line", name);
		return -1;
	}
	return 0;
}

static int vocab_index(emb_vocab *v, const char *name, char *err, size_t errlen)
{
	v->nslot = 16;
	while (v->nslot < v->n * 2)
		v->nslot *= 2;
	v->slot = malloc(v->nslot * sizeof *v->slot);
	if (!v->slot) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	memset(v->slot, 0xff, v->nslot * sizeof *v->slot);
	size_t mask = v->nslot - 1;
	for (size_t id = 0; id < v->n; id++) {
		const char *s = v->text + v->off[id];
		size_t i = vocab_hash(s, v->len[id]) & mask;
		for (; v->slot[i] >= 0; i = (i + 1) & mask) {
			int32_t o = v->slot[i];
			if (v->len[o] == v->len[id] &&
			    memcmp(v->text + v->off[o], s, v->len[id]) == 0) {
				snprintf(err, errlen, "%s: token \"%.40s\" on line "
					 "%zu repeats line %d; each token must "
					 "appear once", name, s, id + 1, o + 1);
				return -1;
			}
		}
		v->slot[i] = (int32_t)id;
	}
	static const char *const need[] = { "[UNK]", "[CLS]", "[SEP]", "[PAD]" };
	for (size_t k = 0; k < sizeof need / sizeof need[0]; k++) {
		if (emb_vocab_find(v, need[k], strlen(need[k])) < 0) {
			snprintf(err, errlen, "%s: no %s token; not a BERT "
				 "uncased vocab", name, need[k]);
			return -1;
		}
	}
	return 0;
}

int emb_vocab_parse(const char *buf, size_t len, const char *name,
		    emb_vocab **out, char *err, size_t errlen)
{
	int rc = -1;
	emb_vocab *v = calloc(1, sizeof *v);

	if (!v || len > VOCAB_MAX_BYTES) {
		snprintf(err, errlen, v ? "%s: %zu bytes, more than a vocab.txt "
			 "can be" : "%s: out of memory", name, len);
		goto out;
	}
	v->text = malloc(len + 1);
	if (!v->text) {
		snprintf(err, errlen, "%s: out of memory", name);
		goto out;
	}
	memcpy(v->text, buf, len);
	v->text[len] = '\0';
	if (vocab_split(v, len, name, err, errlen) < 0 ||
	    vocab_index(v, name, err, errlen) < 0)
		goto out;
	*out = v;
	v = NULL;
	rc = 0;
out:
	emb_vocab_free(v);
	return rc;
}

int emb_vocab_load(const char *path, emb_vocab **out, char *err, size_t errlen)
{
	int rc = -1;
	char *buf = NULL;
	FILE *f = fopen(path, "rb");
	struct stat st;

	if (!f) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fileno(f), &st) < 0 || st.st_size > VOCAB_MAX_BYTES) {
		snprintf(err, errlen, "%s: not a vocab.txt (size %lld)", path,
			 (long long)st.st_size);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	size_t got = fread(buf, 1, (size_t)st.st_size, f);
	if (got != (size_t)st.st_size) {
		snprintf(err, errlen, "%s: short read (%zu of %lld bytes)", path,
			 got, (long long)st.st_size);
		goto out;
	}
	rc = emb_vocab_parse(buf, got, path, out, err, errlen);
out:
	free(buf);
	if (f)
		fclose(f);
	return rc;
}
