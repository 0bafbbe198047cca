/* conf_mask: database and broker URLs with every password form masked,
 * for printing (conf_print, doctor, logs). */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "base/conf.h"

/* Bounded appends for conf_mask_url. */
struct mbuf {
	char *p;
	size_t len, cap;
};

static void mb_put(struct mbuf *b, const char *s, size_t n)
{
	while (n-- && b->len + 1 < b->cap)
		b->p[b->len++] = *s++;
	b->p[b->len] = '\0';
}

/* Does the key [k, k+n) name a password ("password", "sslpassword")? */
static int is_password_key(const char *k, size_t n)
{
	return n >= 8 && strncasecmp(k + n - 8, "password", 8) == 0;
}

/* URL form: userinfo password, and every ...password= query parameter. */
static void mask_uri(const char *url, const char *scheme, struct mbuf *b)
{
	const char *auth = scheme + 3, *ui_end, *end, *at, *colon, *q;

	/* libpq ends the userinfo at the first '/' only: a '?' or '#' before
	 * the '@' is part of the user or password (found by
	 * tests/fuzz/fuzz-conninfo). Masking from the first ':' to the last
	 * '@' before that '/' covers libpq's reading and RFC 3986's. */
	ui_end = auth + strcspn(auth, "/");
	at = memchr(auth, '@', (size_t)(ui_end - auth));
	while (at && memchr(at + 1, '@', (size_t)(ui_end - at - 1)))
		at = memchr(at + 1, '@', (size_t)(ui_end - at - 1));
	colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
	end = (at ? at : auth) + strcspn(at ? at : auth, "/?#");
	if (colon) {
		mb_put(b, url, (size_t)(colon + 1 - url));
		mb_put(b, "***", 3);
		mb_put(b, at, (size_t)(end - at));
	} else {
		mb_put(b, url, (size_t)(end - url));
	}
	/* The path as it is; the query starts at its '?' (a '&' or '=' in
	 * the path is not a parameter: found by tests/fuzz/fuzz-conninfo). */
	q = end + strcspn(end, "?");
	mb_put(b, end, (size_t)(q - end));
	while (*q) {
		/* libpq has no fragments: a '#' belongs to the value. */
		size_t n = strcspn(q + 1, "&");
		const char *eq = memchr(q + 1, '=', n);

		mb_put(b, q, 1);
		if (eq && is_password_key(q + 1, (size_t)(eq - q - 1))) {
			mb_put(b, q + 1, (size_t)(eq + 1 - (q + 1)));
			mb_put(b, "***", 3);
		} else {
			mb_put(b, q + 1, n);
		}
		q += 1 + n;
	}
}

/* libpq's separators: isspace() in the C locale. Anything narrower lets
 * "host=db\npassword=x" print the password as part of the host (found by
 * tests/fuzz/fuzz-conninfo). */
static int kv_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
	       c == '\r';
}

/* key=value form (libpq): "host=db password='x y' user=app". */
static void mask_kv(const char *s, struct mbuf *b)
{
	while (*s) {
		const char *k = s, *v;
		size_t kn;
		int pw;

		while (*s && *s != '=' && !kv_space(*s))
			s++;
		kn = (size_t)(s - k);
		while (kv_space(*s))
			s++;
		if (*s != '=') {          /* white space between pairs */
			mb_put(b, k, (size_t)(s - k) ? (size_t)(s - k) : 1);
			if (s == k)
				s++;
			continue;
		}
		s++;
		while (kv_space(*s))
			s++;
		pw = is_password_key(k, kn);
		mb_put(b, k, (size_t)(s - k));
		v = s;
		if (*s == '\'') {        /* quoted, with backslash escapes */
			for (s++; *s && *s != '\''; s++)
				if (*s == '\\' && s[1])
					s++;
			if (*s)
				s++;
		} else {
			/* unquoted values take backslash escapes too: in
			 * "password=a\ b" libpq's password is "a b" */
			for (; *s && !kv_space(*s); s++)
				if (*s == '\\' && s[1])
					s++;
		}
		if (pw)
			mb_put(b, "***", 3);
		else
			mb_put(b, v, (size_t)(s - v));
	}
}

void conf_mask_url(const char *url, char *out, size_t outlen)
{
	struct mbuf b = {out, 0, outlen};
	const char *scheme;

	if (!outlen)
		return;
	out[0] = '\0';
	if (!url)
		return;
	scheme = strstr(url, "://");
	/* a URL: "://" before any "=" or blank (else key=value form) */
	if (scheme && strcspn(url, "= \t") >= (size_t)(scheme - url))
		mask_uri(url, scheme, &b);
	else
		mask_kv(url, &b);
}
