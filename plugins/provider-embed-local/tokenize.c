/*
 * tokenize.c: BERT uncased WordPiece, as sentence-transformers runs it
 * (the Rust "tokenizers" BertNormalizer + BertPreTokenizer + WordPiece):
 *
 *   clean      drop NUL, U+FFFD and control/format/private/unassigned
 *              characters; whitespace (White_Space) becomes a separator
 *   CJK        each CJK ideograph is a word of its own
 *   normalise  lowercase, NFD, drop Mn (nonspacing marks)
 *   split      on whitespace and on every punctuation character (Unicode
 *              P*, plus BERT's ASCII symbol ranges) which is a word itself
 *   WordPiece  greedy longest match, "##" continuation; a word over 100
 *              characters or with no match is one [UNK]
 *   frame      [CLS] ... [SEP], truncated to max_tokens including both
 *
 * The special tokens ([CLS], [SEP], [PAD], [MASK], [UNK]) written literally
 * in a text are matched first, on the raw text, and kept whole, as the
 * added tokens of BERT's tokenizer.json are.
 *
 * sentence-transformers strip()s the text first; leading and trailing
 * whitespace only separates words here, so that needs no separate step.
 * The text is streamed word by word, so a long text stops costing once
 * max_tokens is reached.
 */
#include "embed.h"

#include <stdio.h>
#include <string.h>
#include <utf8proc.h>

/* A word being collected: code points after normalisation. Only the
 * first EMB_MAX_WORD_CHARS + 1 are kept; nchar counts them all. */
typedef struct tok_word {
	int32_t cp[EMB_MAX_WORD_CHARS + 1];
	size_t nchar;
} tok_word;

typedef struct tok_state {
	const emb_vocab *v;
	int32_t *ids;
	int cap;		/* content ids that fit: max_tokens - 2 */
	int count;		/* content ids produced (may reach cap + 1) */
	int32_t unk;
	tok_word w;
} tok_state;

static int tok_is_cjk(int32_t c)
{
	return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
	       (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
	       (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
	       (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

static int tok_is_space(int32_t c)
{
	if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
		return 1;
	utf8proc_category_t k = utf8proc_category(c);
	return k == UTF8PROC_CATEGORY_ZS || k == UTF8PROC_CATEGORY_ZL ||
	       k == UTF8PROC_CATEGORY_ZP;
}

static int tok_is_dropped(int32_t c)
{
	if (c == 0 || c == 0xFFFD)
		return 1;
	if (c == '\t' || c == '\n' || c == '\r')
		return 0;
	utf8proc_category_t k = utf8proc_category(c);
	return k == UTF8PROC_CATEGORY_CC || k == UTF8PROC_CATEGORY_CF ||
	       k == UTF8PROC_CATEGORY_CO || k == UTF8PROC_CATEGORY_CS ||
	       k == UTF8PROC_CATEGORY_CN;
}

static int tok_is_punct(int32_t c)
{
	if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) ||
	    (c >= 91 && c <= 96) || (c >= 123 && c <= 126))
		return 1;
	switch (utf8proc_category(c)) {
	case UTF8PROC_CATEGORY_PC: case UTF8PROC_CATEGORY_PD:
	case UTF8PROC_CATEGORY_PS: case UTF8PROC_CATEGORY_PE:
	case UTF8PROC_CATEGORY_PI: case UTF8PROC_CATEGORY_PF:
	case UTF8PROC_CATEGORY_PO:
		return 1;
	default:
		return 0;
	}
}

static void tok_emit(tok_state *s, int32_t id)
{
	if (s->count < s->cap)
		s->ids[1 + s->count] = id;
	s->count++;
}

/* Runs WordPiece on the collected word and empties it. */
static void tok_flush(tok_state *s)
{
	tok_word *w = &s->w;
	/* up to 100 characters of at most 4 UTF-8 bytes each (+ "##") */
	char u[4 * EMB_MAX_WORD_CHARS + 1], cand[2 + 4 * EMB_MAX_WORD_CHARS + 1];
	size_t boff[EMB_MAX_WORD_CHARS + 1];
	int32_t piece[EMB_MAX_WORD_CHARS];
	size_t npiece = 0, n = w->nchar, len = 0;

	if (n == 0)
		return;
	w->nchar = 0;
	if (n > EMB_MAX_WORD_CHARS) {
		tok_emit(s, s->unk);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		boff[i] = len;
		len += (size_t)utf8proc_encode_char(w->cp[i], (utf8proc_uint8_t *)u + len);
	}
	boff[n] = len;
	cand[0] = cand[1] = '#';
	for (size_t start = 0; start < n;) {
		/* continuation pieces are looked up with their "##" */
		const char *key = u;
		size_t pre = 0, end = n;
		int32_t id = -1;
		if (start) {
			memcpy(cand + 2, u + boff[start], len - boff[start]);
			key = cand;
			pre = 2;
		}
		for (; end > start; end--) {
			id = emb_vocab_find(s->v, key, pre + boff[end] - boff[start]);
			if (id >= 0)
				break;
		}
		if (id < 0) {
			tok_emit(s, s->unk);
			return;
		}
		piece[npiece++] = id;
		start = end;
	}
	for (size_t i = 0; i < npiece; i++)
		tok_emit(s, piece[i]);
}

static void tok_push(tok_state *s, int32_t c)
{
	if (s->w.nchar <= EMB_MAX_WORD_CHARS)
		s->w.cp[s->w.nchar] = c;
	s->w.nchar++;
}

/* Lowercase, NFD, drop Mn; appends what is left to the current word,
 * splitting at punctuation. */
static void tok_char(tok_state *s, int32_t c)
{
	utf8proc_int32_t d[32];
	int last = 0;
	utf8proc_ssize_t nd = utf8proc_decompose_char(utf8proc_tolower(c), d,
						      32, UTF8PROC_DECOMPOSE, &last);
	if (nd < 0 || nd > 32) {
		d[0] = c;	/* cannot happen for valid code points */
		nd = 1;
	}
	for (utf8proc_ssize_t i = 0; i < nd; i++) {
		if (utf8proc_category(d[i]) == UTF8PROC_CATEGORY_MN)
			continue;
		if (tok_is_punct(d[i])) {
			tok_flush(s);
			tok_push(s, d[i]);
			tok_flush(s);
		} else {
			tok_push(s, d[i]);
		}
	}
}

/* Length of the special token text starts with, or 0. */
static size_t tok_special(const char *p, size_t left, const emb_vocab *v,
			  int32_t *id)
{
	static const char *const sp[] = { "[CLS]", "[SEP]", "[PAD]", "[MASK]", "[UNK]" };
	for (size_t i = 0; i < sizeof sp / sizeof sp[0]; i++) {
		size_t n = strlen(sp[i]);
		if (left >= n && memcmp(p, sp[i], n) == 0 &&
		    (*id = emb_vocab_find(v, sp[i], n)) >= 0)
			return n;
	}
	return 0;
}

int emb_tokenize(const emb_vocab *v, const char *text, size_t len,
		 int max_tokens, int32_t *ids, int *full_count,
		 char *err, size_t errlen)
{
	tok_state s;
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)text;
	utf8proc_ssize_t left = (utf8proc_ssize_t)len;

	if (max_tokens < 2) {
		snprintf(err, errlen, "max_tokens is %d; it must be at least 2 "
			 "(room for [CLS] and [SEP])", max_tokens);
		return -1;
	}
	s.v = v;
	s.ids = ids;
	s.cap = max_tokens - 2;
	s.count = 0;
	s.unk = emb_vocab_find(v, "[UNK]", 5);
	s.w.nchar = 0;
	while (left > 0 && s.count <= s.cap) {
		utf8proc_int32_t c;
		int32_t sid;
		size_t sn = *p == '[' ? tok_special((const char *)p, (size_t)left, v, &sid) : 0;
		if (sn) {
			tok_flush(&s);
			tok_emit(&s, sid);
			p += sn;
			left -= (utf8proc_ssize_t)sn;
			continue;
		}
		utf8proc_ssize_t k = utf8proc_iterate(p, left, &c);
		if (k < 0) {	/* invalid UTF-8: drop the byte, as U+FFFD is */
			p++;
			left--;
			continue;
		}
		p += k;
		left -= k;
		if (tok_is_dropped(c))
			continue;
		if (tok_is_space(c)) {
			tok_flush(&s);
		} else if (tok_is_cjk(c)) {
			tok_flush(&s);
			tok_char(&s, c);
			tok_flush(&s);
		} else {
			tok_char(&s, c);
		}
	}
	tok_flush(&s);
	int content = s.count < s.cap ? s.count : s.cap;
	ids[0] = emb_vocab_find(v, "[CLS]", 5);
	ids[1 + content] = emb_vocab_find(v, "[SEP]", 5);
	if (full_count)
		*full_count = s.count + 2 > max_tokens ? max_tokens + 1 : s.count + 2;
	return content + 2;
}
