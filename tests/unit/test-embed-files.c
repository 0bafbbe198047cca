/*
 * test-embed-files: the embed-local loaders refuse every bad file with one
 * clear error and never crash (safetensors, config.json, vocab.txt), and
 * the tokenizer's fixed rules (cases the npm peer cannot check).
 *
 * Also runs the fuzz corpus in tests/fixtures/embed-fuzz: every file must
 * load or fail as its name says (ok-* / bad-*), and every truncation and
 * many byte flips of a valid image must fail cleanly or load.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "embed.h"

/* A tiny BERT: hidden 4, 1 layer, 2 heads, intermediate 8, vocab 8. */
static const emb_config CFG = { 4, 1, 2, 8, 8, 8, 2, 1e-12f };
static const char *CFG_JSON =
	"{\"hidden_size\": 4, \"num_hidden_layers\": 1, \"num_attention_heads\": 2,"
	" \"intermediate_size\": 8, \"vocab_size\": 8, \"max_position_embeddings\": 8,"
	" \"type_vocab_size\": 2, \"layer_norm_eps\": 1e-12, \"hidden_act\": \"gelu\"}";
static const char *VOCAB = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\n##s\n,\n";

typedef struct spec {
	char name[96];
	char dtype[16];
	int d0, d1;		/* d1 = 0: rank 1 */
} spec;

static spec specs[40];
static int nspec;

static void add(const char *name, int d0, int d1)
{
	snprintf(specs[nspec].name, sizeof specs[0].name, "%s", name);
	snprintf(specs[nspec].dtype, sizeof specs[0].dtype, "F32");
	specs[nspec].d0 = d0;
	specs[nspec].d1 = d1;
	nspec++;
}

static void specs_reset(void)
{
	static const struct { const char *s; int a, b; } L[] = {
		{ "attention.self.query.weight", 4, 4 }, { "attention.self.query.bias", 4, 0 },
		{ "attention.self.key.weight", 4, 4 }, { "attention.self.key.bias", 4, 0 },
		{ "attention.self.value.weight", 4, 4 }, { "attention.self.value.bias", 4, 0 },
		{ "attention.output.dense.weight", 4, 4 }, { "attention.output.dense.bias", 4, 0 },
		{ "attention.output.LayerNorm.weight", 4, 0 }, { "attention.output.LayerNorm.bias", 4, 0 },
		{ "intermediate.dense.weight", 8, 4 }, { "intermediate.dense.bias", 8, 0 },
		{ "output.dense.weight", 4, 8 }, { "output.dense.bias", 4, 0 },
		{ "output.LayerNorm.weight", 4, 0 }, { "output.LayerNorm.bias", 4, 0 },
	};
	char n[96];
	nspec = 0;
	add("embeddings.word_embeddings.weight", 8, 4);
	add("embeddings.position_embeddings.weight", 8, 4);
	add("embeddings.token_type_embeddings.weight", 2, 4);
	add("embeddings.LayerNorm.weight", 4, 0);
	add("embeddings.LayerNorm.bias", 4, 0);
	for (size_t i = 0; i < sizeof L / sizeof L[0]; i++) {
		snprintf(n, sizeof n, "encoder.layer.0.%s", L[i].s);
		add(n, L[i].a, L[i].b);
	}
	add("pooler.dense.bias", 4, 0);		/* extra tensors are ignored */
}

static spec *find_spec(const char *name)
{
	for (int i = 0; i < nspec; i++)
		if (strcmp(specs[i].name, name) == 0)
			return &specs[i];
	fail_msg("no spec %s", name);
	return NULL;
}

/* Builds a safetensors image from specs; caller frees. size_extra is
 * added to the byte size of every tensor's offsets (to make them lie). */
static unsigned char *build(size_t *len, long size_extra)
{
	char *hdr = malloc(65536);
	size_t hl = 0, off = 0;
	assert_non_null(hdr);
	hl += (size_t)sprintf(hdr + hl, "{\"__metadata__\":{\"format\":\"pt\"}");
	for (int i = 0; i < nspec; i++) {
		int sz = strcmp(specs[i].dtype, "F16") == 0 ? 2 : strcmp(specs[i].dtype, "I64") == 0 ? 8 : 4;
		size_t bytes = (size_t)specs[i].d0 * (size_t)(specs[i].d1 ? specs[i].d1 : 1) * (size_t)sz;
		char shape[32];
		if (specs[i].d1)
			snprintf(shape, sizeof shape, "[%d,%d]", specs[i].d0, specs[i].d1);
		else
			snprintf(shape, sizeof shape, "[%d]", specs[i].d0);
		hl += (size_t)sprintf(hdr + hl, ",\"%s\":{\"dtype\":\"%s\",\"shape\":%s,"
				      "\"data_offsets\":[%zu,%zu]}", specs[i].name,
				      specs[i].dtype, shape, off, off + bytes + (size_t)size_extra);
		off += bytes;
	}
	hdr[hl++] = '}';
	while (hl % 8)
		hdr[hl++] = ' ';
	unsigned char *b = calloc(1, 8 + hl + off);
	assert_non_null(b);
	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)((uint64_t)hl >> (8 * i));
	memcpy(b + 8, hdr, hl);
	float *f = (float *)(b + 8 + hl);
	for (size_t i = 0; i < off / 4; i++)
		f[i] = 0.01f * (float)(i % 17);
	*len = 8 + hl + off;
	free(hdr);
	return b;
}

/* Parses buf; returns 0 or -1; err receives the message. */
static int parse(const unsigned char *buf, size_t len, char *err, size_t errlen)
{
	emb_model m;
	memset(&m, 0, sizeof m);
	err[0] = '\0';
	int rc = emb_model_parse(buf, len, "model.safetensors", &CFG, &m, err, errlen);
	if (rc == 0) {
		assert_non_null(m.layer);
		emb_model_clear(&m);
	} else {
		assert_non_null(strstr(err, "model.safetensors"));	/* names the file */
		assert_null(m.layer);
	}
	return rc;
}

static void expect_bad(const unsigned char *b, size_t len, const char *part)
{
	char err[512];
	assert_int_equal(parse(b, len, err, sizeof err), -1);
	if (!strstr(err, part))
		fail_msg("error '%s' does not mention '%s'", err, part);
}

static void test_valid_f32_and_f16(void **state)
{
	char err[512];
	size_t len;
	emb_model m;
	(void)state;
	specs_reset();
	unsigned char *b = build(&len, 0);
	assert_int_equal(parse(b, len, err, sizeof err), 0);
	free(b);
	for (int i = 0; i < nspec; i++)
		snprintf(specs[i].dtype, sizeof specs[i].dtype, "F16");
	b = build(&len, 0);
	/* the first word embedding holds F16 1.5 (0x3e00) and -2^-24 (0x8001,
	 * a subnormal): both are widened exactly */
	uint64_t hl = 0;
	for (int i = 7; i >= 0; i--)
		hl = (hl << 8) | b[i];
	unsigned char *d = b + 8 + hl;
	d[0] = 0x00, d[1] = 0x3e, d[2] = 0x01, d[3] = 0x80;
	memset(&m, 0, sizeof m);
	assert_int_equal(emb_model_parse(b, len, "model.safetensors", &CFG, &m, err, sizeof err), 0);
	assert_true(m.word[0] == 1.5f);
	assert_true(m.word[1] == -0x1p-24f);
	emb_model_clear(&m);
	free(b);
}

static void test_structure_faults(void **state)
{
	size_t len;
	(void)state;
	specs_reset();
	unsigned char *b = build(&len, 0);
	expect_bad(b, 5, "too short");
	expect_bad(b, len - 3, "truncated");			/* last tensor cut */
	unsigned char *c = malloc(len);
	memcpy(c, b, len);
	c[5] = 0x10;						/* header length huge */
	expect_bad(c, len, "runs past the end");
	memcpy(c, b, len);
	c[9] = '[';						/* not an object */
	expect_bad(c, len, "not a JSON object");
	memcpy(c, b, len);
	c[20] = '"';						/* broken JSON */
	expect_bad(c, len, "model.safetensors");
	free(c);
	free(b);
	b = build(&len, 4);					/* offsets lie */
	expect_bad(b, len, "spans");
	free(b);
}

static void test_tensor_faults(void **state)
{
	size_t len;
	unsigned char *b;
	(void)state;

	specs_reset();
	snprintf(find_spec("encoder.layer.0.intermediate.dense.bias")->name, 96, "renamed");
	b = build(&len, 0);
	expect_bad(b, len, "no tensor \"encoder.layer.0.intermediate.dense.bias\"");
	free(b);

	specs_reset();
	find_spec("encoder.layer.0.output.dense.weight")->d1 = 4;
	b = build(&len, 0);
	expect_bad(b, len, "has shape [4,4]; config.json implies [4, 8]");
	free(b);

	specs_reset();	/* vocab size disagreeing with the embeddings */
	find_spec("embeddings.word_embeddings.weight")->d0 = 9;
	b = build(&len, 0);
	expect_bad(b, len, "word_embeddings.weight\" has shape [9,4]");
	free(b);

	specs_reset();
	snprintf(find_spec("embeddings.LayerNorm.bias")->dtype, 16, "I64");
	b = build(&len, 0);
	expect_bad(b, len, "has dtype I64; F32 or F16 is needed");
	free(b);

	specs_reset();
	snprintf(find_spec("pooler.dense.bias")->dtype, 16, "Q4");
	b = build(&len, 0);
	expect_bad(b, len, "unknown dtype \"Q4\"");
	free(b);
}

static void test_truncations_and_flips(void **state)
{
	char err[512];
	size_t len;
	(void)state;
	specs_reset();
	unsigned char *b = build(&len, 0);
	for (size_t n = 0; n < len; n++) {
		unsigned char *c = malloc(n ? n : 1);
		memcpy(c, b, n);	/* exact-size copy: ASan sees overreads */
		assert_int_equal(parse(c, n, err, sizeof err), -1);
		free(c);
	}
	srand(12);
	unsigned char *c = malloc(len);
	for (int i = 0; i < 3000; i++) {
		memcpy(c, b, len);
		size_t at = (size_t)rand() % (len < 1200 ? len : 1200);
		c[at] ^= (unsigned char)(1u << (rand() % 8));
		(void)parse(c, len, err, sizeof err);	/* ok or clean error */
	}
	free(c);
	free(b);
}

static void test_config_faults(void **state)
{
	emb_config c;
	char err[512];
	(void)state;
	assert_int_equal(emb_config_parse(CFG_JSON, strlen(CFG_JSON), "config.json", &c, err, sizeof err), 0);
	assert_int_equal(c.hidden, 4);
	assert_true(c.ln_eps > 0 && c.ln_eps < 1e-11f);
	static const struct { const char *json, *part; } bad[] = {
		{ "{", "not a JSON object" },
		{ "[1]", "not a JSON object" },
		{ "{\"hidden_size\": 4}", "no \"num_hidden_layers\"" },
		{ "{\"hidden_size\": 6, \"num_hidden_layers\": 1, \"num_attention_heads\": 4,"
		  "\"intermediate_size\": 8, \"vocab_size\": 8, \"max_position_embeddings\": 8}",
		  "not a multiple" },
		{ "{\"hidden_size\": \"4\"}", "\"hidden_size\" is \"4\"" },
		{ "{\"hidden_size\": 4, \"num_hidden_layers\": 1, \"num_attention_heads\": 2,"
		  "\"intermediate_size\": 8, \"vocab_size\": 8, \"max_position_embeddings\": 8,"
		  "\"hidden_act\": \"relu\"}", "only \"gelu\"" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		assert_int_equal(emb_config_parse(bad[i].json, strlen(bad[i].json),
						  "config.json", &c, err, sizeof err), -1);
		if (!strstr(err, bad[i].part) || !strstr(err, "config.json"))
			fail_msg("config %zu: error '%s' lacks '%s'", i, err, bad[i].part);
	}
}

static void test_vocab_faults(void **state)
{
	emb_vocab *v = NULL;
	char err[512];
	(void)state;
	assert_int_equal(emb_vocab_parse(VOCAB, strlen(VOCAB), "vocab.txt", &v, err, sizeof err), 0);
	assert_int_equal(emb_vocab_size(v), 8);
	assert_int_equal(emb_vocab_find(v, "##s", 3), 6);
	assert_int_equal(emb_vocab_find(v, "hell", 4), -1);
	emb_vocab_free(v);
	static const struct { const char *text; size_t len; const char *part; } bad[] = {
		{ "", 0, "empty" },
		{ "[PAD]\n[UNK]\n[CLS]\n[SEP]\nx\nx\n", 28, "repeats line 5" },
		{ "[PAD]\n[UNK]\n[CLS]\nx\n", 20, "no [SEP] token" },
		{ "[PAD]\n[UNK]\0\n", 13, "NUL byte" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		v = NULL;
		err[0] = '\0';
		assert_int_equal(emb_vocab_parse(bad[i].text, bad[i].len, "vocab.txt", &v, err, sizeof err), -1);
		assert_null(v);
		if (!strstr(err, bad[i].part) || !strstr(err, "vocab.txt"))
			fail_msg("vocab %zu: error '%s' lacks '%s'", i, err, bad[i].part);
	}
}

static void write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	fclose(f);
}

static void test_model_dir(void **state)
{
	char dir[] = "/tmp/embed-files-XXXXXX", p[256], err[1024];
	emb_model *m = NULL;
	emb_vocab *v = NULL;
	size_t len;
	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(emb_model_load(dir, &m, err, sizeof err), -1);
	assert_non_null(strstr(err, "config.json: cannot open"));
	snprintf(p, sizeof p, "%s/config.json", dir);
	write_file(p, CFG_JSON, strlen(CFG_JSON));
	assert_int_equal(emb_model_load(dir, &m, err, sizeof err), -1);
	assert_non_null(strstr(err, "model.safetensors: cannot open"));
	specs_reset();
	unsigned char *b = build(&len, 0);
	snprintf(p, sizeof p, "%s/model.safetensors", dir);
	write_file(p, b, len - 100);
	assert_int_equal(emb_model_load(dir, &m, err, sizeof err), -1);
	assert_non_null(strstr(err, "truncated"));
	write_file(p, b, len);
	assert_int_equal(emb_model_load(dir, &m, err, sizeof err), 0);
	/* a vocab of another size does not belong to this model */
	const char *seven = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\n##s\n";
	assert_int_equal(emb_vocab_parse(seven, strlen(seven), "vocab.txt", &v, err, sizeof err), 0);
	assert_int_equal(emb_check_vocab(m, v, "vocab.txt", err, sizeof err), -1);
	assert_non_null(strstr(err, "do not belong together"));
	emb_vocab_free(v);
	assert_int_equal(emb_vocab_parse(VOCAB, strlen(VOCAB), "vocab.txt", &v, err, sizeof err), 0);
	assert_int_equal(emb_check_vocab(m, v, "vocab.txt", err, sizeof err), 0);
	/* and it embeds: a unit vector of the hidden size */
	int32_t ids[3] = { 2, 5, 3 };
	const int32_t *row = ids;
	int n = 3;
	float out[4];
	assert_int_equal(emb_forward(m, &row, &n, 1, out, err, sizeof err), 0);
	double nn = 0;
	for (int i = 0; i < 4; i++)
		nn += out[i] * out[i];
	assert_true(nn > 0.9999 && nn < 1.0001);
	ids[1] = 8;	/* outside the vocabulary */
	assert_int_equal(emb_forward(m, &row, &n, 1, out, err, sizeof err), -1);
	assert_non_null(strstr(err, "outside the vocabulary"));
	emb_vocab_free(v);
	emb_model_free(m);
	free(b);
	unlink(p);
	snprintf(p, sizeof p, "%s/config.json", dir);
	unlink(p);
	rmdir(dir);
}

/* Token ids for text with VOCAB (hello=5, ##s=6, ","=7). */
static int tok(const char *text, int max, int32_t *ids, int *full)
{
	emb_vocab *v = NULL;
	char err[256];
	assert_int_equal(emb_vocab_parse(VOCAB, strlen(VOCAB), "vocab.txt", &v, err, sizeof err), 0);
	int n = emb_tokenize(v, text, strlen(text), max, ids, full, err, sizeof err);
	emb_vocab_free(v);
	return n;
}

static void test_tokenizer_rules(void **state)
{
	int32_t ids[64];
	int full;
	(void)state;
	/* accents stripped, case folded, punctuation split, ## pieces */
	assert_int_equal(tok("  HÉLLOs,hello\t", 64, ids, &full), 6);
	int32_t want[] = { 2, 5, 6, 7, 5, 3 };
	assert_memory_equal(ids, want, sizeof want);
	assert_int_equal(full, 6);
	/* truncation keeps [SEP] last and reports the cut */
	assert_int_equal(tok("hello hello hello hello", 4, ids, &full), 4);
	assert_int_equal(ids[3], 3);
	assert_int_equal(full, 5);
	/* 101 characters is one [UNK]; 100 is tried as pieces */
	char w[160];
	memset(w, 'x', 101);
	w[101] = '\0';
	assert_int_equal(tok(w, 64, ids, NULL), 3);
	assert_int_equal(ids[1], 1);
	/* astral CJK is split off like BMP CJK (the npm peer cannot check this) */
	assert_int_equal(tok("hello\xf0\xa0\x80\x80hello", 64, ids, NULL), 5);
	assert_int_equal(ids[1], 5);
	assert_int_equal(ids[2], 1);
	assert_int_equal(ids[3], 5);
	/* control characters vanish without splitting; literal specials stay */
	assert_int_equal(tok("hel\x01lo[SEP]", 64, ids, NULL), 4);
	assert_int_equal(ids[1], 5);
	assert_int_equal(ids[2], 3);
	/* empty and whitespace-only texts are [CLS] [SEP] */
	assert_int_equal(tok(" \xe3\x80\x80\n", 64, ids, NULL), 2);
	assert_int_equal(tok("x", 1, ids, NULL), -1);
}

static void test_sha256(void **state)
{
	char err[512];
	(void)state;
	/* FIPS 180-2's "abc" vector */
	assert_int_equal(emb_verify_sha256("abc", 3,
		"BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
		"model.safetensors", err, sizeof err), 0);
	assert_int_equal(emb_verify_sha256("abd", 3,
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		"model.safetensors", err, sizeof err), -1);
	assert_non_null(strstr(err, "damaged or another model"));
	assert_int_equal(emb_verify_sha256("abc", 3, "ba78", "m", err, sizeof err), -1);
	assert_non_null(strstr(err, "64 hexadecimal digits"));
}

/* Runs one corpus file through the parser its folder names. */
static void run_corpus_file(const char *kind, const char *dir, const char *file)
{
	char path[1400], err[512];
	snprintf(path, sizeof path, "%s/%s", dir, file);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	unsigned char *buf = malloc(1 << 20);
	size_t n = fread(buf, 1, 1 << 20, f);
	fclose(f);
	unsigned char *exact = malloc(n ? n : 1);
	memcpy(exact, buf, n);
	free(buf);
	int rc;
	if (strcmp(kind, "vocab") == 0) {
		emb_vocab *v = NULL;
		rc = emb_vocab_parse((const char *)exact, n, file, &v, err, sizeof err);
		emb_vocab_free(v);
	} else {
		rc = parse(exact, n, err, sizeof err);
	}
	int want = strncmp(file, "ok-", 3) == 0 ? 0 : -1;
	if (rc != want)
		fail_msg("%s/%s: expected %s, got %s (%s)", kind, file,
			 want ? "an error" : "success", rc ? "an error" : "success", err);
	free(exact);
}

static void test_fuzz_corpus(void **state)
{
	const char *src = getenv("abs_top_srcdir");
	static const char *const kinds[] = { "safetensors", "vocab" };
	(void)state;
	assert_non_null(src);
	for (size_t k = 0; k < 2; k++) {
		char dir[1024];
		int count = 0;
		snprintf(dir, sizeof dir, "%s/tests/fixtures/embed-fuzz/%s", src, kinds[k]);
		DIR *d = opendir(dir);
		if (!d)
			fail_msg("no fuzz corpus at %s", dir);
		struct dirent *e;
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			run_corpus_file(kinds[k], dir, e->d_name);
			count++;
		}
		closedir(d);
		if (count < 5)
			fail_msg("%s: only %d corpus files", dir, count);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_f32_and_f16),
		cmocka_unit_test(test_structure_faults),
		cmocka_unit_test(test_tensor_faults),
		cmocka_unit_test(test_truncations_and_flips),
		cmocka_unit_test(test_config_faults),
		cmocka_unit_test(test_vocab_faults),
		cmocka_unit_test(test_model_dir),
		cmocka_unit_test(test_tokenizer_rules),
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_fuzz_corpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
