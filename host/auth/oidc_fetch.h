/*
 * oidc_fetch: what single sign-on asks of the provider over HTTP, through
 * the host's HTTP client (host/http: the same guard against internal
 * addresses as integrations, so a loopback or private issuer needs
 * http.allow_hosts): the discovery document
 * (/.well-known/openid-configuration, cached 5 min per issuer), the JWKS
 * (cached per issuer until a token names a key id it lacks: then fetched
 * again, once per token), and the code exchange at the token endpoint.
 * The caches are per process and guarded by a mutex.
 */
#ifndef PULSE_OIDC_FETCH_H
#define PULSE_OIDC_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

struct conf;

struct oidc_meta {
	char authorization_endpoint[512];
	char token_endpoint[512];
	char jwks_uri[512];
};

/* The provider's endpoints, from the cache or discovery (whose "issuer"
 * must equal issuer exactly). 0, or -1 with err. */
int oidc_discover(const struct conf *conf, int64_t tenant, const char *issuer,
		  struct oidc_meta *m, char *err, size_t errlen);

/* The JWKS of jwks_uri (new reference), from the cache unless refresh.
 * NULL with err. */
json_object *oidc_jwks(const struct conf *conf, int64_t tenant,
		       const char *jwks_uri, int refresh, char *err,
		       size_t errlen);

struct oidc_client_auth {
	const char *client_id;
	const char *client_secret; /* NULL: a public client */
	int post;                  /* client_secret_post, else _basic */
};

/*
 * Exchange code at token_endpoint (authorization_code grant with the
 * PKCE verifier). The token response (new reference) on 200, else NULL
 * with err quoting the provider's error and error_description.
 */
json_object *oidc_exchange_code(const struct conf *conf, int64_t tenant,
				const char *token_endpoint,
				const struct oidc_client_auth *ca,
				const char *code, const char *redirect_uri,
				const char *verifier, char *err, size_t errlen);

/* Append key=value, form-urlencoded, to a NUL-terminated buffer of cap
 * bytes ('&' first unless it is empty or ends in '?'). 0, or -1 when it
 * does not fit. */
int oidc_form_add(char *buf, size_t cap, const char *key, const char *value);

#endif
