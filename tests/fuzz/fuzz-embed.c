/* Fuzz target: the embed-local model files and tokenizer
 * (plugins/provider-embed-local): the first byte picks vocab.txt
 * (parse, then tokenize a fixed text with it), text (tokenize with a
 * fixed vocabulary), config.json, or a safetensors image against a tiny
 * fixed config. The oracle of the tokenizer: [CLS] first, [SEP] last,
 * every id inside the vocabulary, the count within max_tokens. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "embed.h"
#include "fuzz.h"

#define MAXTOK 32

static void check_ids(const emb_vocab *v, const int32_t *ids, int n)
{
	int i;

	if (n < 2 || n > MAXTOK)
		abort();
	if (ids[0] != emb_vocab_find(v, "[CLS]", 5) ||
	    ids[n - 1] != emb_vocab_find(v, "[SEP]", 5))
		abort();
	for (i = 0; i < n; i++)
		if (ids[i] < 0 || (size_t)ids[i] >= emb_vocab_size(v))
			abort();
}

static void tokenize(const emb_vocab *v, const char *t, size_t len)
{
	int32_t ids[MAXTOK];
	char err[256];
	int full, n = emb_tokenize(v, t, len, MAXTOK, ids, &full, err, sizeof(err));

	if (n >= 0)
		check_ids(v, ids, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char fixed_vocab[] = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n"
		"the\nun\n##aff\n##able\na\n##b\nhello\nworld\n,\n!\n数\n##据\n";
	static const char text[] = "Hello, unaffable World! 数据 ab x";
	emb_vocab *v = NULL;
	emb_config cfg;
	emb_model m;
	char err[512];

	if (size < 1)
		return 0;
	switch (data[0] % 4) {
	case 0:
		if (emb_vocab_parse((const char *)data + 1, size - 1, "vocab.txt",
				    &v, err, sizeof(err)) == 0) {
			if (emb_vocab_find(v, "[CLS]", 5) >= 0 &&
			    emb_vocab_find(v, "[SEP]", 5) >= 0 &&
			    emb_vocab_find(v, "[UNK]", 5) >= 0)
				tokenize(v, text, sizeof(text) - 1);
			emb_vocab_free(v);
		}
		break;
	case 1:
		if (emb_vocab_parse(fixed_vocab, sizeof(fixed_vocab) - 1,
				    "vocab.txt", &v, err, sizeof(err)) != 0)
			abort();
		tokenize(v, (const char *)data + 1, size - 1);
		emb_vocab_free(v);
		break;
	case 2:
		(void)emb_config_parse((const char *)data + 1, size - 1,
				       "config.json", &cfg, err, sizeof(err));
		break;
	default:
		memset(&cfg, 0, sizeof(cfg));
		cfg.hidden = 4;
		cfg.layers = 1;
		cfg.heads = 2;
		cfg.inter = 8;
		cfg.vocab = 6;
		cfg.max_pos = 8;
		cfg.type_vocab = 2;
		cfg.ln_eps = 1e-12f;
		memset(&m, 0, sizeof(m));
		/* Cleared either way: a refusal midway may hold copies. */
		(void)emb_model_parse(data + 1, size - 1, "model.safetensors",
				      &cfg, &m, err, sizeof(err));
		emb_model_clear(&m);
		break;
	}
	return 0;
}
