/*
 * oidc_claims: the claims of a verified ID token (OpenID Connect Core
 * 3.1.3.7): iss, aud (and azp), exp, nbf, iat with a small clock skew,
 * and sub; and the role a tenant gives the person from a claim (such as
 * "groups") through its role map. Pure functions of their inputs, no
 * I/O: the sign-in route (host/server/api_oidc.c) checks the nonce
 * against the pending sign-in itself.
 */
#ifndef PULSE_OIDC_CLAIMS_H
#define PULSE_OIDC_CLAIMS_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#define OIDC_SKEW_S 60

struct oidc_expect {
	const char *issuer;    /* exact "iss" */
	const char *client_id; /* in "aud" */
	int64_t now;
	int skew_s;
};

/*
 * 0 if claims pass, else -1 with *code ("wrong_issuer",
 * "wrong_audience", "token_expired", "token_not_yet_valid",
 * "bad_claims") and err saying what was found and expected.
 */
int oidc_claims_check(json_object *claims, const struct oidc_expect *e,
		      const char **code, char *err, size_t errlen);

/* claims[k] when it is a string (borrowed), else NULL. */
const char *oidc_claim_str(json_object *claims, const char *k);

/*
 * The role for claims: every value of claims[role_claim] (a string or
 * an array of strings) is looked up in role_map ({"value": "admin"|
 * "user"|"view"}); the strongest role found wins; none found gives
 * default_role (NULL or "": refused). The role (static string), or NULL
 * with err naming the claim and its values.
 */
const char *oidc_claims_role(json_object *claims, const char *role_claim,
			     json_object *role_map, const char *default_role,
			     char *err, size_t errlen);

#endif
