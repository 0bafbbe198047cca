/* settings_regex: refuse a regular expression that glibc's regcomp would
 * take seconds and gigabytes to compile, before regcomp sees it.
 *
 * glibc expands repetitions into copies of the repeated tree: `a{1,10000}`
 * costs 770 MB, twenty stacked `+` 700 MB and 3 s, and each level of nested
 * quantified groups multiplies. An admin's integration settings are compiled
 * by the daemon (found by tests/fuzz/fuzz-integration), so the pattern's
 * expansion is estimated first: atoms count 1, alternatives add, a
 * repetition multiplies what it repeats by its upper bound (2 for `*`, `+`
 * and `?`, m+1 for `{m,}`). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "plugin/settings.h"

#define RX_MAX_DEPTH 32

/* The factor of the interval at s ("{m}", "{m,}", "{m,n}"), its length in
 * *len; 0 if s is not an interval (ERE then reads '{' as a character). */
static double interval(const char *s, size_t *len)
{
	const char *p = s + 1;
	double m = 0, n = -1;

	/* glibc reads "{,n}" as "{0,n}" */
	if ((*p < '0' || *p > '9') && !(*p == ',' && p[1] >= '0' && p[1] <= '9'))
		return 0;
	for (; *p >= '0' && *p <= '9'; p++)
		m = m < 1e6 ? m * 10 + (*p - '0') : m;
	if (*p == ',') {
		p++;
		if (*p >= '0' && *p <= '9')
			for (n = 0; *p >= '0' && *p <= '9'; p++)
				n = n < 1e6 ? n * 10 + (*p - '0') : n;
		else
			n = m + 1;
	}
	if (*p != '}')
		return 0;
	*len = (size_t)(p + 1 - s);
	if (n < m)
		n = m;
	return n < 1 ? 1 : n;
}

/* Past the bracket expression at s ('[' ... ']'), or NULL if unclosed. */
static const char *bracket_end(const char *s)
{
	const char *p = s + 1;

	if (*p == '^')
		p++;
	if (*p == ']')
		p++;
	for (; *p && *p != ']'; p++)
		if (*p == '[' && (p[1] == ':' || p[1] == '=' || p[1] == '.')) {
			const char *e = strchr(p + 2, p[1]);

			while (e && e[1] != ']')
				e = strchr(e + 1, p[1]);
			if (!e)
				return NULL;
			p = e + 1;
		}
	return *p ? p + 1 : NULL;
}

int settings_regex_check(const char *name, const char *re, char *err,
			 size_t errlen)
{
	double sum[RX_MAX_DEPTH + 1], last[RX_MAX_DEPTH + 1], f;
	const char *p = re;
	size_t len = strlen(re), n;
	int d = 0;

	if (len > SETTINGS_REGEX_MAX_LEN) {
		snprintf(err, errlen, "field '%s' is a regular expression of %zu "
			 "bytes; at most %d are accepted", name, len,
			 SETTINGS_REGEX_MAX_LEN);
		return -1;
	}
	sum[0] = last[0] = 0;
	while (*p) {
		f = 0;
		n = 1;
		switch (*p) {
		case '(':
			if (d == RX_MAX_DEPTH) {
				snprintf(err, errlen, "field '%s' nests groups more "
					 "than %d deep", name, RX_MAX_DEPTH);
				return -1;
			}
			d++;
			sum[d] = last[d] = 0;
			break;
		case ')':
			if (!d)
				goto atom; /* ERE: an unmatched ')' is a character */
			f = sum[d] + last[d];
			d--;
			sum[d] += last[d];
			last[d] = f < 1 ? 1 : f;
			f = 0;
			break;
		case '|':
			sum[d] += last[d];
			last[d] = 0;
			break;
		case '*':
		case '+':
		case '?':
			f = 2;
			break;
		case '{':
			if ((f = interval(p, &n)) == 0)
				goto atom;
			break;
		case '[': {
			const char *e = bracket_end(p);

			if (!e)
				return 0; /* regcomp names the error */
			n = (size_t)(e - p);
			goto atom;
		}
		case '\\':
			if (p[1])
				n = 2;
			/* fall through */
		default:
		atom:
			sum[d] += last[d];
			last[d] = 1;
			break;
		}
		if (f)
			last[d] *= f;
		if (sum[d] + last[d] > SETTINGS_REGEX_MAX_COST)
			goto costly;
		p += n;
	}
	return 0;
costly:
	snprintf(err, errlen, "field '%s' is a regular expression whose "
		 "repetitions expand to more than %d parts when compiled (at "
		 "\"%.*s\"); use smaller {m,n} bounds and fewer stacked or "
		 "nested repetitions", name, SETTINGS_REGEX_MAX_COST,
		 (int)(p + n - re) > 60 ? 60 : (int)(p + n - re),
		 (int)(p + n - re) > 60 ? p + n - 60 : re);
	return -1;
}
