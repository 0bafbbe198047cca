/*
 * oidc_jws: the signature of an OpenID Connect ID token (a JWS in
 * compact form), checked locally against the provider's JWKS with
 * libgcrypt: RS256 (RSASSA-PKCS1-v1_5 over SHA-256, keys of at least
 * 2048 bits) and ES256 (ECDSA on P-256 over SHA-256). Every other
 * algorithm, "none" and the HMAC ones included, is refused.
 */
#ifndef PULSE_OIDC_JWS_H
#define PULSE_OIDC_JWS_H

#include <stddef.h>

#include <json-c/json.h>

#define OIDC_JWS_OK 0
#define OIDC_JWS_BAD (-1)   /* malformed, wrong algorithm or signature */
#define OIDC_JWS_NOKID 1    /* no key of the JWKS has the token's kid */

/*
 * Verify token against jwks ({"keys":[...]}, borrowed). OIDC_JWS_OK and
 * *claims (the payload, a new reference the caller puts), or
 * OIDC_JWS_NOKID / OIDC_JWS_BAD with err saying why; kid (may be NULL)
 * gets the token's key id for messages.
 */
int oidc_jws_verify(const char *token, json_object *jwks,
		    json_object **claims, char *kid, size_t kidlen,
		    char *err, size_t errlen);

#endif
