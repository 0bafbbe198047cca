/* strbuf: a growable NUL-terminated byte buffer. */
#ifndef PULSE_STRBUF_H
#define PULSE_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
	char *buf;   /* always NUL-terminated once anything was added */
	size_t len;
	size_t cap;
};

#define STRBUF_INIT {NULL, 0, 0}

/* All return 0, or -1 when memory runs out (the buffer stays valid). */
int sb_add(struct strbuf *sb, const void *data, size_t len);
int sb_adds(struct strbuf *sb, const char *s);
int sb_addf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int sb_vaddf(struct strbuf *sb, const char *fmt, va_list ap);
/* Append s escaped for a JSON string body (no quotes added). */
int sb_add_json_str(struct strbuf *sb, const char *s);
void sb_reset(struct strbuf *sb);
/* Hand the buffer to the caller (free() it); sb is reset. Never NULL. */
char *sb_detach(struct strbuf *sb);
void sb_free(struct strbuf *sb);

#endif
