/* source-github: helpers for URLs, times, repository ids and JSON. */
#include <ctype.h>
#include <json-c/json.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "github.h"

int gh_endpoints(const char *base_url, char **rest, char **graphql)
{
	const char *b = base_url && *base_url ? base_url : GH_DEFAULT_BASE_URL;
	size_t n = strlen(b);
	char *r = NULL, *g = NULL;

	while (n > 0 && b[n - 1] == '/')
		n--;
	r = strndup(b, n);
	if (!r)
		goto fail;
	/* GitHub Enterprise Server: REST at /api/v3, GraphQL at /api/graphql. */
	if (n >= 7 && strcmp(r + n - 7, "/api/v3") == 0) {
		g = malloc(n - 7 + sizeof("/api/graphql"));
		if (!g)
			goto fail;
		memcpy(g, r, n - 7);
		strcpy(g + n - 7, "/api/graphql");
	} else {
		g = malloc(n + sizeof("/graphql"));
		if (!g)
			goto fail;
		memcpy(g, r, n);
		strcpy(g + n, "/graphql");
	}
	*rest = r;
	*graphql = g;
	return 0;
fail:
	free(r);
	free(g);
	return -1;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian), without timegm's
 * dependence on TZ. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

int64_t gh_parse_time(const char *s)
{
	int y, mo, d, h = 0, mi = 0, se = 0, n = 0, oh = 0, om = 0;
	int64_t t;
	const char *p;

	if (!s || sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31)
		return -1;
	p = s + 10;
	if (*p == 'T' || *p == ' ') {
		if (sscanf(p + 1, "%2d:%2d:%2d%n", &h, &mi, &se, &n) != 3 || n != 8)
			return -1;
		p += 9;
		if (*p == '.')
			for (p++; isdigit((unsigned char)*p); p++)
				;
		if (*p == 'Z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2)
				return -1;
			if (*p == '-') {
				oh = -oh;
				om = -om;
			}
			p += 6;
		}
	}
	if (*p)
		return -1;
	t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	    h * 3600 + mi * 60 + se;
	return t - (oh * 3600 + om * 60);
}

void gh_format_time(int64_t t, char *out, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int gh_repo_id(const char *full, char *out, size_t n)
{
	const char *slash = full ? strchr(full, '/') : NULL;
	size_t i, len;

	if (!slash || slash == full || !slash[1] || strchr(slash + 1, '/'))
		return -1;
	len = strlen(full);
	if (len + 1 > n)
		return -1;
	for (i = 0; i <= len; i++)
		out[i] = (char)tolower((unsigned char)full[i]);
	return 0;
}

int gh_env_is_production(const char *pattern, const char *env)
{
	regex_t re;
	int m;

	if (!env)
		return 0;
	if (regcomp(&re, pattern && *pattern ? pattern : GH_DEFAULT_ENV_REGEX,
		    REG_EXTENDED | REG_ICASE | REG_NOSUB) != 0)
		return 0; /* validated at configuration time; cannot happen */
	m = regexec(&re, env, 0, NULL, 0) == 0;
	regfree(&re);
	return m;
}





struct json_object *gh_path(struct json_object *o, ...)
{
	va_list ap;
	const char *k;

	va_start(ap, o);
	while (o && (k = va_arg(ap, const char *)) != NULL)
		o = pj_obj(o, k);
	va_end(ap);
	return o;
}
