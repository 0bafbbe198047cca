/* oidc_claims: ID token claims and the role mapping (see oidc_claims.h). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "auth/oidc_claims.h"

const char *oidc_claim_str(json_object *claims, const char *k)
{
	json_object *v;

	if (!json_object_object_get_ex(claims, k, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* claims[k] as whole seconds: 1 and *out, 0 absent, -1 not a number. */
static int claim_time(json_object *claims, const char *k, int64_t *out)
{
	json_object *v;

	if (!json_object_object_get_ex(claims, k, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int) &&
	    !json_object_is_type(v, json_type_double))
		return -1;
	*out = json_object_get_int64(v);
	return 1;
}

static int aud_has(json_object *claims, const char *client_id, int *multi)
{
	json_object *a, *v;
	size_t i, n;

	*multi = 0;
	if (!json_object_object_get_ex(claims, "aud", &a))
		return 0;
	if (json_object_is_type(a, json_type_string))
		return strcmp(json_object_get_string(a), client_id) == 0;
	if (!json_object_is_type(a, json_type_array))
		return 0;
	n = json_object_array_length(a);
	*multi = n > 1;
	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(a, i);
		if (json_object_is_type(v, json_type_string) &&
		    strcmp(json_object_get_string(v), client_id) == 0)
			return 1;
	}
	return 0;
}

int oidc_claims_check(json_object *claims, const struct oidc_expect *e,
		      const char **code, char *err, size_t errlen)
{
	const char *iss = oidc_claim_str(claims, "iss");
	const char *azp = oidc_claim_str(claims, "azp");
	int64_t exp = 0, nbf = 0, iat = 0;
	int multi, hexp, hnbf, hiat;

	*code = "bad_claims";
	if (!iss || strcmp(iss, e->issuer) != 0) {
		*code = "wrong_issuer";
		snprintf(err, errlen, "the ID token's issuer is '%s', not the "
			 "configured '%s'", iss ? iss : "(none)", e->issuer);
		return -1;
	}
	if (!aud_has(claims, e->client_id, &multi) ||
	    (azp && strcmp(azp, e->client_id) != 0)) {
		json_object *a = NULL;

		json_object_object_get_ex(claims, "aud", &a);
		*code = "wrong_audience";
		snprintf(err, errlen, "the ID token is for audience %s%s%s, not "
			 "for this client '%s'", a ? json_object_to_json_string(a) :
			 "(none)", azp ? " with azp " : "", azp ? azp : "",
			 e->client_id);
		return -1;
	}
	(void)multi;
	hexp = claim_time(claims, "exp", &exp);
	hnbf = claim_time(claims, "nbf", &nbf);
	hiat = claim_time(claims, "iat", &iat);
	if (hexp != 1 || hiat != 1 || hnbf < 0 || !oidc_claim_str(claims, "sub")) {
		snprintf(err, errlen, "the ID token lacks a numeric exp or iat, or "
			 "a sub (or nbf is not a number)");
		return -1;
	}
	if (e->now > exp + e->skew_s) {
		*code = "token_expired";
		snprintf(err, errlen, "the ID token expired %" PRId64 " s ago "
			 "(exp %" PRId64 ", allowed clock skew %d s)",
			 e->now - exp, exp, e->skew_s);
		return -1;
	}
	if (hnbf && nbf > e->now + e->skew_s) {
		*code = "token_not_yet_valid";
		snprintf(err, errlen, "the ID token is not valid before %" PRId64
			 " (%" PRId64 " s from now)", nbf, nbf - e->now);
		return -1;
	}
	if (iat > e->now + e->skew_s) {
		*code = "token_not_yet_valid";
		snprintf(err, errlen, "the ID token was issued %" PRId64 " s in "
			 "the future (check the clocks)", iat - e->now);
		return -1;
	}
	return 0;
}

static int role_rank(const char *r)
{
	return !r ? 0 : strcmp(r, "admin") == 0 ? 3 : strcmp(r, "user") == 0 ?
		2 : strcmp(r, "view") == 0 ? 1 : 0;
}

static const char *const role_names[] = {NULL, "view", "user", "admin"};

/* The rank role_map gives value (0: none). */
static int map_one(json_object *role_map, json_object *v)
{
	json_object *r;

	if (!json_object_is_type(v, json_type_string) ||
	    !json_object_object_get_ex(role_map, json_object_get_string(v), &r) ||
	    !json_object_is_type(r, json_type_string))
		return 0;
	return role_rank(json_object_get_string(r));
}

const char *oidc_claims_role(json_object *claims, const char *role_claim,
			     json_object *role_map, const char *default_role,
			     char *err, size_t errlen)
{
	json_object *v = NULL;
	size_t i, n;
	int best = 0, r;

	if (role_claim && *role_claim &&
	    json_object_object_get_ex(claims, role_claim, &v) && role_map) {
		if (json_object_is_type(v, json_type_array)) {
			n = json_object_array_length(v);
			for (i = 0; i < n; i++)
				if ((r = map_one(role_map, json_object_array_get_idx(v, i))) > best)
					best = r;
		} else {
			best = map_one(role_map, v);
		}
	}
	if (best)
		return role_names[best];
	if (role_rank(default_role))
		return role_names[role_rank(default_role)];
	if (!role_claim || !*role_claim)
		snprintf(err, errlen, "no role claim is configured and there is "
			 "no default role: nobody may sign in (set --role-claim "
			 "and --role-map, or --default-role)");
	else
		snprintf(err, errlen, "the claim '%s' (%s) maps to no role and "
			 "there is no default role; ask an admin to map one of "
			 "your groups", role_claim, v ? json_object_to_json_string_ext(
			 v, JSON_C_TO_STRING_PLAIN) : "absent from the ID token");
	return NULL;
}
