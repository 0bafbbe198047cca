/* Fuzz target: masking of database and broker URLs (conf_mask_url, used
 * by db_mask_url before a URL is printed or logged). The oracle: libpq
 * itself (PQconninfoParse) reads the password out of the input; wherever
 * it finds one, the masked text holds fewer copies of it than the input
 * (at least the password's own copy is gone), and never more text than
 * the buffer. Inputs with percent-encoding get no password verdict (the
 * decoded text may occur elsewhere by chance), nor do passwords with a
 * '*': the mask "***" may then spell them ("password=***" holds the
 * password "assword=**", found by a 10-minute run). Real leaks it found:
 * separators other than space and tab, and backslash escapes in unquoted
 * values ("password=a\ b" is "a b" to libpq; the masker printed " b"). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "base/conf.h"
#include "fuzz.h"

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0, l = strlen(needle);
	const char *p = hay;

	while ((p = strstr(p, needle))) {
		n++;
		p += l;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size + 1), *out, *err = NULL, small[8];
	size_t outlen = 2 * size + 64;
	PQconninfoOption *opts, *o;
	int pct;

	out = malloc(outlen);
	if (!in || !out)
		goto out;
	memcpy(in, data, size);
	in[size] = '\0';
	if (memchr(data, '\0', size))
		goto out; /* C strings: the URL never holds a NUL */
	conf_mask_url(in, out, outlen);
	if (strlen(out) >= outlen)
		abort();
	conf_mask_url(in, small, sizeof(small)); /* truncation is safe */
	if (strlen(small) >= sizeof(small))
		abort();
	/* A percent-encoded password is not in the input as such: its
	 * decoded text may occur elsewhere by chance, so no verdict. */
	pct = strchr(in, '%') != NULL;
	opts = PQconninfoParse(in, &err);
	for (o = opts; o && o->keyword; o++) {
		if ((strcmp(o->keyword, "password") == 0 ||
		     strcmp(o->keyword, "sslpassword") == 0) && o->val &&
		    strlen(o->val) >= 4 && count(in, o->val) && !pct &&
		    !strchr(o->val, '*') &&
		    count(out, o->val) >= count(in, o->val))
			abort(); /* the password is printed */
	}
	PQconninfoFree(opts);
	PQfreemem(err);
out:
	free(in);
	free(out);
	return 0;
}
