/* auth: HS256 tokens and the role matrix (see auth.h). */
#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>
#include <json-c/json.h>

#include "server/auth.h"
#include "base/strbuf.h"

static const char b64u[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *auth_b64url_encode(const unsigned char *p, size_t n)
{
	char *out = malloc((n + 2) / 3 * 4 + 1), *o = out;
	size_t i;

	if (!out)
		return NULL;
	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

		*o++ = b64u[v >> 18 & 63];
		*o++ = b64u[v >> 12 & 63];
		*o++ = b64u[v >> 6 & 63];
		*o++ = b64u[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)p[i] << 16;

		*o++ = b64u[v >> 18 & 63];
		*o++ = b64u[v >> 12 & 63];
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;

		*o++ = b64u[v >> 18 & 63];
		*o++ = b64u[v >> 12 & 63];
		*o++ = b64u[v >> 6 & 63];
	}
	*o = '\0';
	return out;
}

static int b64u_val(int ch)
{
	const char *p = ch ? strchr(b64u, ch) : NULL;

	return p ? (int)(p - b64u) : -1;
}

unsigned char *auth_b64url_decode(const char *s, size_t len, size_t *n)
{
	unsigned char *out;
	uint32_t acc = 0;
	size_t i, o = 0;
	int bits = 0;

	if (len % 4 == 1)
		return NULL;
	out = malloc(len * 3 / 4 + 2);
	if (!out)
		return NULL;
	for (i = 0; i < len; i++) {
		int v = b64u_val((unsigned char)s[i]);

		if (v < 0) {
			free(out);
			return NULL;
		}
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits & 0xff);
		}
	}
	out[o] = '\0';
	*n = o;
	return out;
}

const char *auth_role_name(int role)
{
	switch (role) {
	case AUTH_VIEW: return "view";
	case AUTH_USER: return "user";
	case AUTH_ADMIN: return "admin";
	}
	return "?";
}

int auth_role_parse(const char *name)
{
	if (!name)
		return -1;
	if (strcmp(name, "view") == 0)
		return AUTH_VIEW;
	if (strcmp(name, "user") == 0)
		return AUTH_USER;
	if (strcmp(name, "admin") == 0)
		return AUTH_ADMIN;
	return -1;
}

int64_t auth_parse_ttl(const char *s)
{
	char *end;
	long long v;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	v = strtoll(s, &end, 10);
	if (v <= 0 || v > 100LL * 365 * 86400)
		return -1;
	if (*end == '\0' || strcmp(end, "s") == 0)
		return v;
	if (strcmp(end, "m") == 0)
		return v * 60;
	if (strcmp(end, "h") == 0)
		return v * 3600;
	if (strcmp(end, "d") == 0)
		return v * 86400;
	return -1;
}

/* HMAC-SHA256 of data into mac (32 bytes). 0 or -1. */
static int hmac(const unsigned char *key, size_t keylen, const char *data,
		size_t n, unsigned char mac[32])
{
	gcry_mac_hd_t h;
	size_t len = 32;
	int rc = -1;

	if (gcry_mac_open(&h, GCRY_MAC_HMAC_SHA256, 0, NULL))
		return -1;
	if (gcry_mac_setkey(h, key, keylen) || gcry_mac_write(h, data, n) ||
	    gcry_mac_read(h, mac, &len) || len != 32)
		goto out;
	rc = 0;
out:
	gcry_mac_close(h);
	return rc;
}

char *auth_token_issue(const unsigned char *key, size_t keylen,
		       const struct auth_claims *c)
{
	static const char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	struct strbuf payload = STRBUF_INIT, tok = STRBUF_INIT;
	unsigned char mac[32];
	char *h = NULL, *p = NULL, *s = NULL, *out = NULL;

	if (sb_addf(&payload, "{\"tenant\":%" PRId64 ",\"role\":\"%s\","
		    "\"iat\":%" PRId64 ",\"exp\":%" PRId64 ",\"sub\":\"",
		    c->tenant, auth_role_name(c->role), c->iat, c->exp) < 0 ||
	    sb_add_json_str(&payload, c->sub) < 0 ||
	    (c->jti[0] && (sb_adds(&payload, "\",\"jti\":\"") < 0 ||
			   sb_add_json_str(&payload, c->jti) < 0)) ||
	    sb_adds(&payload, "\"}") < 0)
		goto out;
	h = auth_b64url_encode((const unsigned char *)header, strlen(header));
	p = auth_b64url_encode((const unsigned char *)payload.buf, payload.len);
	if (!h || !p || sb_addf(&tok, "%s.%s", h, p) < 0)
		goto out;
	if (hmac(key, keylen, tok.buf, tok.len, mac) < 0)
		goto out;
	s = auth_b64url_encode(mac, sizeof(mac));
	if (!s || sb_addf(&tok, ".%s", s) < 0)
		goto out;
	out = sb_detach(&tok);
out:
	sb_free(&payload);
	sb_free(&tok);
	free(h);
	free(p);
	free(s);
	return out;
}

/* Skip a JSON string starting at s[i] == '"'; the index after it. */
static size_t skip_string(const char *s, size_t i, size_t n)
{
	for (i++; i < n && s[i] != '"'; i++)
		if (s[i] == '\\')
			i++;
	return i < n ? i + 1 : n;
}

/* Does a top-level key [ks, ke) occur again after ke? */
static int key_repeats(const char *s, size_t n, size_t ks, size_t ke)
{
	size_t i = ke;
	int depth = 1;

	while (i < n && depth > 0) {
		if (s[i] == '"') {
			size_t e = skip_string(s, i, n);
			size_t j = e;

			while (j < n && (s[j] == ' ' || s[j] == '\t' ||
					 s[j] == '\n' || s[j] == '\r'))
				j++;
			if (depth == 1 && j < n && s[j] == ':' &&
			    e - i == ke - ks && memcmp(s + i, s + ks, e - i) == 0)
				return 1;
			i = e;
			continue;
		}
		if (s[i] == '{' || s[i] == '[')
			depth++;
		else if (s[i] == '}' || s[i] == ']')
			depth--;
		i++;
	}
	return 0;
}

int auth_json_has_duplicate_key(const char *s, size_t n)
{
	size_t i = 0;
	int depth = 0;

	/* Keys are compared as written: a key spelt with an escape the
	 * second time is refused anyway by the claim checks (unknown). */
	while (i < n) {
		if (s[i] == '"') {
			size_t e = skip_string(s, i, n), j = e;

			while (j < n && (s[j] == ' ' || s[j] == '\t' ||
					 s[j] == '\n' || s[j] == '\r'))
				j++;
			if (depth == 1 && j < n && s[j] == ':' &&
			    key_repeats(s, n, i, e))
				return 1;
			i = e;
			continue;
		}
		if (s[i] == '{' || s[i] == '[')
			depth++;
		else if (s[i] == '}' || s[i] == ']')
			depth--;
		i++;
	}
	return 0;
}

/* Decode one base64url part holding a JSON object; NULL if it is not
 * (or if it repeats a key: then *dup is set). */
static json_object *part_json(const char *s, size_t len, int *dup)
{
	unsigned char *raw;
	json_object *o;
	size_t n;

	raw = auth_b64url_decode(s, len, &n);
	if (!raw)
		return NULL;
	if (auth_json_has_duplicate_key((const char *)raw, n)) {
		*dup = 1;
		free(raw);
		return NULL;
	}
	o = json_tokener_parse((const char *)raw);
	free(raw);
	if (o && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	return o;
}

/* An optional integer claim: 0 absent, 1 present (*v set), -1 not an
 * integer. */
static int int_claim(json_object *pl, const char *key, int64_t *v)
{
	json_object *o;

	if (!json_object_object_get_ex(pl, key, &o))
		return 0;
	if (!json_object_is_type(o, json_type_int))
		return -1;
	*v = json_object_get_int64(o);
	return 1;
}

/* nbf, iat and exp against now and the policy. 0 or an AUTH_* code. */
static int check_times(json_object *pl, int64_t now,
		       const struct auth_policy *pol, struct auth_claims *out,
		       char *err, size_t errlen)
{
	int64_t nbf = 0;
	int has_iat, has_nbf;

	has_iat = int_claim(pl, "iat", &out->iat);
	has_nbf = int_claim(pl, "nbf", &nbf);
	if (has_iat < 0 || has_nbf < 0) {
		snprintf(err, errlen, "token 'iat' and 'nbf' must be integers");
		return AUTH_BAD_CLAIMS;
	}
	if (has_nbf && nbf > now + pol->skew_s) {
		snprintf(err, errlen, "token is not valid before %" PRId64
			 " ('nbf', %" PRId64 " s from now)", nbf, nbf - now);
		return AUTH_NOT_YET;
	}
	if (has_iat && out->iat > now + pol->skew_s) {
		snprintf(err, errlen, "token 'iat' is %" PRId64 " s in the "
			 "future; check the clocks of the issuing host",
			 out->iat - now);
		return AUTH_NOT_YET;
	}
	if (pol->max_lifetime_s > 0) {
		if (!has_iat) {
			snprintf(err, errlen, "token has no 'iat' claim; issue "
				 "a new one with `pulse-host token issue`");
			return AUTH_BAD_CLAIMS;
		}
		if (out->exp > out->iat + pol->max_lifetime_s)
			out->exp = out->iat + pol->max_lifetime_s;
	}
	if (out->exp <= now) {
		snprintf(err, errlen, "token expired %" PRId64 " s ago%s; issue a "
			 "new one with `pulse-host token issue`", now - out->exp,
			 pol->max_lifetime_s > 0 ? " (exp capped by "
			 "jwt_max_lifetime_seconds)" : "");
		return AUTH_EXPIRED;
	}
	return 0;
}

int auth_token_verify(const unsigned char *key, size_t keylen,
		      const char *token, int64_t now, struct auth_claims *out,
		      char *err, size_t errlen)
{
	return auth_token_verify_ex(key, keylen, token, now, NULL, out, err,
				    errlen);
}

int auth_token_verify_ex(const unsigned char *key, size_t keylen,
			 const char *token, int64_t now,
			 const struct auth_policy *pol, struct auth_claims *out,
			 char *err, size_t errlen)
{
	static const struct auth_policy defaults = {AUTH_DEFAULT_SKEW_S, 0};
	const char *dot1, *dot2;
	json_object *hdr = NULL, *pl = NULL, *v;
	unsigned char mac[32], *sig = NULL;
	size_t siglen = 0;
	int rc = AUTH_MALFORMED, dup = 0;

	memset(out, 0, sizeof(*out));
	dot1 = token ? strchr(token, '.') : NULL;
	dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	if (!dot2 || strchr(dot2 + 1, '.')) {
		snprintf(err, errlen, "token is not a JWT (header.payload.signature)");
		goto out;
	}
	if (!pol)
		pol = &defaults;
	hdr = part_json(token, (size_t)(dot1 - token), &dup);
	pl = part_json(dot1 + 1, (size_t)(dot2 - dot1 - 1), &dup);
	if (dup) {
		snprintf(err, errlen, "token header or payload repeats a key");
		rc = AUTH_BAD_CLAIMS;
		goto out;
	}
	if (!hdr || !pl) {
		snprintf(err, errlen, "token header or payload is not base64url JSON");
		goto out;
	}
	/* The algorithm is fixed: never let the token choose it. */
	if (!json_object_object_get_ex(hdr, "alg", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), "HS256") != 0) {
		snprintf(err, errlen, "token algorithm '%s' refused; only HS256 "
			 "tokens from `pulse-host token issue` are accepted",
			 v && json_object_is_type(v, json_type_string) ?
			 json_object_get_string(v) : "(none)");
		rc = AUTH_BAD_ALG;
		goto out;
	}
	sig = auth_b64url_decode(dot2 + 1, strlen(dot2 + 1), &siglen);
	if (!sig || siglen != sizeof(mac) ||
	    hmac(key, keylen, token, (size_t)(dot2 - token), mac) < 0) {
		snprintf(err, errlen, "token signature is invalid");
		rc = AUTH_BAD_SIG;
		goto out;
	}
	{
		/* Constant-time compare. */
		unsigned char diff = 0;
		size_t i;

		for (i = 0; i < sizeof(mac); i++)
			diff |= (unsigned char)(mac[i] ^ sig[i]);
		if (diff) {
			snprintf(err, errlen, "token signature is invalid (signed "
				 "with another key?)");
			rc = AUTH_BAD_SIG;
			goto out;
		}
	}
	rc = AUTH_BAD_CLAIMS;
	if (!json_object_object_get_ex(pl, "tenant", &v) ||
	    !json_object_is_type(v, json_type_int) ||
	    (out->tenant = json_object_get_int64(v)) <= 0) {
		snprintf(err, errlen, "token has no valid 'tenant' claim");
		goto out;
	}
	if (!json_object_object_get_ex(pl, "role", &v) ||
	    (out->role = auth_role_parse(json_object_get_string(v))) < 0) {
		snprintf(err, errlen, "token 'role' must be admin, user or view");
		goto out;
	}
	if (!json_object_object_get_ex(pl, "exp", &v) ||
	    !json_object_is_type(v, json_type_int)) {
		snprintf(err, errlen, "token has no 'exp' claim");
		goto out;
	}
	out->exp = json_object_get_int64(v);
	if (json_object_object_get_ex(pl, "sub", &v))
		snprintf(out->sub, sizeof(out->sub), "%s",
			 json_object_get_string(v));
	if (json_object_object_get_ex(pl, "jti", &v)) {
		if (!json_object_is_type(v, json_type_string) ||
		    strlen(json_object_get_string(v)) >= sizeof(out->jti)) {
			snprintf(err, errlen, "token 'jti' must be a short string");
			goto out;
		}
		snprintf(out->jti, sizeof(out->jti), "%s",
			 json_object_get_string(v));
	}
	rc = check_times(pl, now, pol, out, err, errlen);
out:
	json_object_put(hdr);
	json_object_put(pl);
	free(sig);
	if (rc)
		memset(out, 0, sizeof(*out));
	return rc;
}

int auth_allowed(int role, const char *resource, const char *action)
{
	static const char *const resources[] = {
		"jobs", "integrations", "raw", "queue", "metrics", "health",
		"search", "ask", "ai", "ai-usage", NULL,
	};
	size_t i;
	int known = 0;

	/* people and the audit log: admins only (docs/auth.md) */
	if (strcmp(resource, "users") == 0 || strcmp(resource, "audit") == 0)
		return role >= AUTH_ADMIN && (strcmp(action, "read") == 0 ||
					      strcmp(action, "write") == 0);
	for (i = 0; resources[i]; i++)
		if (strcmp(resources[i], resource) == 0)
			known = 1;
	if (!known)
		return 0;
	/* AI costs and provider errors: users and admins (docs/ai.md) */
	if (strcmp(action, "read") == 0 && strcmp(resource, "ai-usage") == 0)
		return role >= AUTH_USER;
	if (strcmp(action, "read") == 0)
		return role >= AUTH_VIEW;
	if (strcmp(action, "control") == 0)
		return strcmp(resource, "jobs") == 0 ? role >= AUTH_USER :
		       role >= AUTH_ADMIN;
	if (strcmp(action, "write") == 0)
		return role >= AUTH_ADMIN;
	if (strcmp(action, "query") == 0) /* runs LLM calls: not for view */
		return role >= AUTH_USER;
	return 0;
}
