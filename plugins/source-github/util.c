/* source-github: helpers for URLs, repository ids and JSON. */
#include <ctype.h>
#include <json-c/json.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
