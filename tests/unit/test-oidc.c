/*
 * test-oidc: the local checks of single sign-on (host/auth/oidc_jws.c,
 * oidc_claims.c, oidc_fetch.c's form encoding) without a provider:
 * RS256 and ES256 tokens signed here with libgcrypt verify against their
 * JWK, and fail when one byte changes or the key differs; "none", HS256,
 * malformed tokens and a kid missing from the JWKS are told apart; iss,
 * aud/azp, exp, nbf and iat with the skew; the role from a group claim.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gcrypt.h>
#include <json-c/json.h>

#include "auth/oidc_claims.h"
#include "auth/oidc_fetch.h"
#include "auth/oidc_jws.h"
#include "server/auth.h"

/* base64url of an MPI's unsigned bytes, left-padded to pad bytes. */
static char *mpi_b64(gcry_mpi_t m, size_t pad)
{
	unsigned char buf[512] = {0};
	size_t n = 0;
	char *s;

	assert_int_equal(gcry_mpi_print(GCRYMPI_FMT_USG, buf, sizeof(buf), &n, m), 0);
	if (pad && n < pad) {
		memmove(buf + (pad - n), buf, n);
		memset(buf, 0, pad - n);
		n = pad;
	}
	s = auth_b64url_encode(buf, n);
	assert_non_null(s);
	return s;
}

static gcry_mpi_t sexp_mpi(gcry_sexp_t s, const char *name)
{
	gcry_sexp_t l = gcry_sexp_find_token(s, name, 0);
	gcry_mpi_t m;

	assert_non_null(l);
	m = gcry_sexp_nth_mpi(l, 1, GCRYMPI_FMT_USG);
	gcry_sexp_release(l);
	assert_non_null(m);
	return m;
}

struct key {
	gcry_sexp_t priv;
	json_object *jwk; /* public */
	int ec;
};

static void key_make(struct key *k, int ec, const char *kid)
{
	gcry_sexp_t parms, pair, pub;
	char *a, *b;

	k->ec = ec;
	assert_int_equal(gcry_sexp_build(&parms, NULL, ec ?
		"(genkey (ecc (curve \"NIST P-256\")))" :
		"(genkey (rsa (nbits 4:2048)))"), 0);
	assert_int_equal(gcry_pk_genkey(&pair, parms), 0);
	k->priv = gcry_sexp_find_token(pair, "private-key", 0);
	pub = gcry_sexp_find_token(pair, "public-key", 0);
	k->jwk = json_object_new_object();
	json_object_object_add(k->jwk, "kid", json_object_new_string(kid));
	json_object_object_add(k->jwk, "use", json_object_new_string("sig"));
	if (ec) {
		gcry_mpi_t q = sexp_mpi(pub, "q");
		unsigned char pt[65];
		size_t n;

		assert_int_equal(gcry_mpi_print(GCRYMPI_FMT_USG, pt, sizeof(pt), &n, q), 0);
		assert_int_equal(n, 65);
		a = auth_b64url_encode(pt + 1, 32);
		b = auth_b64url_encode(pt + 33, 32);
		json_object_object_add(k->jwk, "kty", json_object_new_string("EC"));
		json_object_object_add(k->jwk, "crv", json_object_new_string("P-256"));
		json_object_object_add(k->jwk, "x", json_object_new_string(a));
		json_object_object_add(k->jwk, "y", json_object_new_string(b));
		gcry_mpi_release(q);
	} else {
		gcry_mpi_t n = sexp_mpi(pub, "n"), e = sexp_mpi(pub, "e");

		a = mpi_b64(n, 0);
		b = mpi_b64(e, 0);
		json_object_object_add(k->jwk, "kty", json_object_new_string("RSA"));
		json_object_object_add(k->jwk, "n", json_object_new_string(a));
		json_object_object_add(k->jwk, "e", json_object_new_string(b));
		gcry_mpi_release(n);
		gcry_mpi_release(e);
	}
	free(a);
	free(b);
	gcry_sexp_release(pub);
	gcry_sexp_release(pair);
	gcry_sexp_release(parms);
}

/* A compact JWS of payload signed by k (kid and alg in the header). */
static char *sign(const struct key *k, const char *kid, const char *payload)
{
	char hdr[128], *h, *p, *s, *out;
	unsigned char d[32], sig[64];
	gcry_sexp_t data, res;
	size_t len;

	snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"kid\":\"%s\"}",
		 k->ec ? "ES256" : "RS256", kid);
	h = auth_b64url_encode((const unsigned char *)hdr, strlen(hdr));
	p = auth_b64url_encode((const unsigned char *)payload, strlen(payload));
	len = strlen(h) + strlen(p) + 2;
	out = malloc(len + 1024);
	snprintf(out, len, "%s.%s", h, p);
	gcry_md_hash_buffer(GCRY_MD_SHA256, d, out, strlen(out));
	assert_int_equal(gcry_sexp_build(&data, NULL, k->ec ?
		"(data (flags raw) (value %b))" :
		"(data (flags pkcs1) (hash sha256 %b))", 32, d), 0);
	assert_int_equal(gcry_pk_sign(&res, data, k->priv), 0);
	if (k->ec) {
		gcry_mpi_t r = sexp_mpi(res, "r"), sv = sexp_mpi(res, "s");
		char *rs = mpi_b64(r, 32), *ss = mpi_b64(sv, 32);
		unsigned char *rb, *sb;
		size_t rl, sl;

		rb = auth_b64url_decode(rs, strlen(rs), &rl);
		sb = auth_b64url_decode(ss, strlen(ss), &sl);
		memcpy(sig, rb, 32);
		memcpy(sig + 32, sb, 32);
		s = auth_b64url_encode(sig, 64);
		free(rb); free(sb); free(rs); free(ss);
		gcry_mpi_release(r);
		gcry_mpi_release(sv);
	} else {
		gcry_mpi_t sv = sexp_mpi(res, "s");

		s = mpi_b64(sv, 256);
		gcry_mpi_release(sv);
	}
	strcat(out, ".");
	strcat(out, s);
	free(h); free(p); free(s);
	gcry_sexp_release(data);
	gcry_sexp_release(res);
	return out;
}

static json_object *jwks_of(struct key *a, struct key *b)
{
	json_object *o = json_object_new_object(), *arr = json_object_new_array();

	json_object_array_add(arr, json_object_get(a->jwk));
	if (b)
		json_object_array_add(arr, json_object_get(b->jwk));
	json_object_object_add(o, "keys", arr);
	return o;
}

static void check_alg(int ec)
{
	struct key k, other;
	json_object *jwks, *claims = NULL;
	char err[512], kid[64], *tok;
	size_t n;

	key_make(&k, ec, "k1");
	key_make(&other, ec, "k2");
	jwks = jwks_of(&k, &other);
	tok = sign(&k, "k1", "{\"sub\":\"alice\"}");
	assert_int_equal(oidc_jws_verify(tok, jwks, &claims, kid, sizeof(kid),
					 err, sizeof(err)), OIDC_JWS_OK);
	assert_string_equal(kid, "k1");
	assert_string_equal(oidc_claim_str(claims, "sub"), "alice");
	json_object_put(claims);
	/* signed by k1, claimed as k2: the signature does not verify */
	free(tok);
	tok = sign(&k, "k2", "{\"sub\":\"alice\"}");
	assert_int_equal(oidc_jws_verify(tok, jwks, &claims, NULL, 0, err,
					 sizeof(err)), OIDC_JWS_BAD);
	assert_non_null(strstr(err, "does not verify"));
	assert_null(claims);
	/* one changed signature byte */
	free(tok);
	tok = sign(&k, "k1", "{\"sub\":\"alice\"}");
	n = strlen(tok);
	tok[n - 5] = tok[n - 5] == 'A' ? 'B' : 'A';
	assert_int_equal(oidc_jws_verify(tok, jwks, &claims, NULL, 0, err,
					 sizeof(err)), OIDC_JWS_BAD);
	/* a kid the JWKS lacks */
	free(tok);
	tok = sign(&k, "k9", "{\"sub\":\"alice\"}");
	assert_int_equal(oidc_jws_verify(tok, jwks, &claims, NULL, 0, err,
					 sizeof(err)), OIDC_JWS_NOKID);
	assert_non_null(strstr(err, "k9"));
	free(tok);
	json_object_put(jwks);
	json_object_put(k.jwk);
	json_object_put(other.jwk);
	gcry_sexp_release(k.priv);
	gcry_sexp_release(other.priv);
}

static void test_rs256(void **state)
{
	(void)state;
	check_alg(0);
}

static void test_es256(void **state)
{
	(void)state;
	check_alg(1);
}

static void test_refused_forms(void **state)
{
	static const char *const bad[] = {
		"eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.",          /* alg none */
		"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln",    /* HS256 */
		"not-a-jwt", "a.b", "a.b.c.d", NULL,
	};
	json_object *jwks = json_tokener_parse("{\"keys\":[]}"), *claims;
	char err[512];
	int i;

	(void)state;
	for (i = 0; bad[i]; i++) {
		assert_int_equal(oidc_jws_verify(bad[i], jwks, &claims, NULL, 0,
						 err, sizeof(err)), OIDC_JWS_BAD);
		assert_null(claims);
	}
	assert_int_equal(oidc_jws_verify(bad[0], jwks, &claims, NULL, 0, err,
					 sizeof(err)), OIDC_JWS_BAD);
	assert_non_null(strstr(err, "only RS256 and ES256"));
	json_object_put(jwks);
}

/* The code of claims (JSON text) at now 1000. */
static const char *verdict(const char *json)
{
	struct oidc_expect e = {"https://op", "client", 1000, 60};
	json_object *c = json_tokener_parse(json);
	const char *code = NULL;
	char err[512];
	int rc;

	assert_non_null(c);
	rc = oidc_claims_check(c, &e, &code, err, sizeof(err));
	json_object_put(c);
	return rc == 0 ? "ok" : code;
}

#define BASE "\"iss\":\"https://op\",\"sub\":\"a\""
static void test_claims(void **state)
{
	(void)state;
	assert_string_equal(verdict("{" BASE ",\"aud\":\"client\",\"exp\":2000,\"iat\":1000}"), "ok");
	assert_string_equal(verdict("{" BASE ",\"aud\":[\"x\",\"client\"],\"azp\":\"client\",\"exp\":2000,\"iat\":1000}"), "ok");
	assert_string_equal(verdict("{" BASE ",\"aud\":[\"x\",\"client\"],\"azp\":\"x\",\"exp\":2000,\"iat\":1000}"), "wrong_audience");
	assert_string_equal(verdict("{" BASE ",\"aud\":\"other\",\"exp\":2000,\"iat\":1000}"), "wrong_audience");
	assert_string_equal(verdict("{\"iss\":\"https://evil\",\"sub\":\"a\",\"aud\":\"client\",\"exp\":2000,\"iat\":1000}"), "wrong_issuer");
	/* exp within the skew passes, past it fails */
	assert_string_equal(verdict("{" BASE ",\"aud\":\"client\",\"exp\":950,\"iat\":900}"), "ok");
	assert_string_equal(verdict("{" BASE ",\"aud\":\"client\",\"exp\":939,\"iat\":900}"), "token_expired");
	assert_string_equal(verdict("{" BASE ",\"aud\":\"client\",\"exp\":2000,\"iat\":1000,\"nbf\":1100}"), "token_not_yet_valid");
	assert_string_equal(verdict("{" BASE ",\"aud\":\"client\",\"exp\":2000,\"iat\":1061}"), "token_not_yet_valid");
	assert_string_equal(verdict("{" BASE ",\"aud\":\"client\",\"iat\":1000}"), "bad_claims");
	assert_string_equal(verdict("{\"iss\":\"https://op\",\"aud\":\"client\",\"exp\":2000,\"iat\":1000}"), "bad_claims");
}

static void test_roles(void **state)
{
	json_object *map = json_tokener_parse("{\"admins\":\"admin\",\"eng\":\"user\"}");
	json_object *c1 = json_tokener_parse("{\"groups\":[\"eng\",\"admins\",\"x\"]}");
	json_object *c2 = json_tokener_parse("{\"groups\":\"eng\"}");
	json_object *c3 = json_tokener_parse("{\"groups\":[\"x\"]}");
	char err[512];

	(void)state;
	assert_string_equal(oidc_claims_role(c1, "groups", map, NULL, err, sizeof(err)), "admin");
	assert_string_equal(oidc_claims_role(c2, "groups", map, "", err, sizeof(err)), "user");
	assert_string_equal(oidc_claims_role(c3, "groups", map, "view", err, sizeof(err)), "view");
	assert_null(oidc_claims_role(c3, "groups", map, "", err, sizeof(err)));
	assert_non_null(strstr(err, "[\"x\"]"));
	json_object_put(map);
	json_object_put(c1);
	json_object_put(c2);
	json_object_put(c3);
}

static void test_form(void **state)
{
	char buf[128] = "https://op/auth?";

	(void)state;
	assert_int_equal(oidc_form_add(buf, sizeof(buf), "scope", "openid email"), 0);
	assert_int_equal(oidc_form_add(buf, sizeof(buf), "r", "http://a/b?c=d&e"), 0);
	assert_string_equal(buf, "https://op/auth?scope=openid%20email&r=http%3A%2F%2Fa%2Fb%3Fc%3Dd%26e");
	assert_int_equal(oidc_form_add(buf, 40, "x", "y"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rs256),
		cmocka_unit_test(test_es256),
		cmocka_unit_test(test_refused_forms),
		cmocka_unit_test(test_claims),
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_form),
	};

	gcry_check_version(NULL);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
