/* Fuzz target: masking of database and broker URLs (conf_mask_url, used
 * by db_mask_url before a URL is printed or logged). The oracle: libpq
 * itself (PQconninfoParse) reads the password out of the input; wherever
 * it finds one, the masked text holds fewer copies of it than the input
 * (at least the password's own copy is gone), and never more text than
 * the buffer. Inputs with percent-encoding get no password verdict (the
 * decoded text may occur elsewhere by chance), nor do passwords with a
 * '*': the mask "***" may then spell them ("password=***" holds the
 * password "assword=**", found by a 10-minute run). The copies are
 * counted after each mask and the key before it ("key = ***") are
 * blanked: a password may be spelled by key names the masking keeps
 * (`password=\ password=` is the password " password=", and its masked
 * form repeats " password=***"; found by the next 10-minute run). */
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

/* out with every "***" and the "key = " before it blanked to '\1'; the
 * caller frees it. Keys and masks are not secrets. */
static char *blank_masks(const char *out)
{
	char *b = strdup(out), *m, *k;

	if (!b)
		abort();
	for (m = b; (m = strstr(m, "***")); m += 3) {
		memset(m, 1, 3);
		k = m;
		while (k > b && (k[-1] == ' ' || k[-1] == '\t'))
			k--;
		if (k > b && k[-1] == '=') {
			k--;
			while (k > b && (k[-1] == ' ' || k[-1] == '\t'))
				k--;
			while (k > b && (k[-1] == '_' || (k[-1] >= 'a' && k[-1] <= 'z') ||
					 (k[-1] >= 'A' && k[-1] <= 'Z') ||
					 (k[-1] >= '0' && k[-1] <= '9')))
				k--;
		}
		memset(k, 1, (size_t)(m - k));
	}
	return b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size + 1), *out, *err = NULL, small[8], *blanked = NULL;
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
	blanked = blank_masks(out);
	opts = PQconninfoParse(in, &err);
	for (o = opts; o && o->keyword; o++) {
		if ((strcmp(o->keyword, "password") == 0 ||
		     strcmp(o->keyword, "sslpassword") == 0) && o->val &&
		    strlen(o->val) >= 4 && count(in, o->val) && !pct &&
		    !strchr(o->val, '*') &&
		    count(blanked, o->val) >= count(in, o->val))
			abort(); /* the password is printed */
	}
	PQconninfoFree(opts);
	PQfreemem(err);
out:
	free(blanked);
	free(in);
	free(out);
	return 0;
}
