/* oidc_jws: RS256/ES256 signatures of ID tokens (see oidc_jws.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>

#include "auth/oidc_jws.h"
#include "server/auth.h"

#define MIN_RSA_BITS 2048

/* base64url field f of key as an unsigned MPI (caller releases), or
 * NULL. *len gets the decoded length. */
static gcry_mpi_t jwk_mpi(json_object *key, const char *f, size_t *len)
{
	json_object *v;
	unsigned char *b;
	gcry_mpi_t m = NULL;
	size_t n;

	if (!json_object_object_get_ex(key, f, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	b = auth_b64url_decode(json_object_get_string(v),
			       (size_t)json_object_get_string_len(v), &n);
	if (!b)
		return NULL;
	if (n && gcry_mpi_scan(&m, GCRYMPI_FMT_USG, b, n, NULL) != 0)
		m = NULL;
	if (len)
		*len = n;
	free(b);
	return m;
}

static const char *jstr(json_object *o, const char *k)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* The key of jwks for kid (NULL: the only key of kty), borrowed. */
static json_object *find_key(json_object *jwks, const char *kid,
			     const char *kty, const char *alg)
{
	json_object *keys, *k, *found = NULL;
	size_t i, n;
	const char *use, *kalg;

	if (!json_object_object_get_ex(jwks, "keys", &keys) ||
	    !json_object_is_type(keys, json_type_array))
		return NULL;
	n = json_object_array_length(keys);
	for (i = 0; i < n; i++) {
		k = json_object_array_get_idx(keys, i);
		if (!jstr(k, "kty") || strcmp(jstr(k, "kty"), kty) != 0)
			continue;
		if ((use = jstr(k, "use")) && strcmp(use, "sig") != 0)
			continue;
		if ((kalg = jstr(k, "alg")) && strcmp(kalg, alg) != 0)
			continue;
		if (kid) {
			if (jstr(k, "kid") && strcmp(jstr(k, "kid"), kid) == 0)
				return k;
			continue;
		}
		if (found)
			return NULL; /* no kid and several candidates */
		found = k;
	}
	return found;
}

/* The public key S-expression of an RSA or EC JWK; NULL with err. */
static gcry_sexp_t jwk_public(json_object *key, int ec, char *err,
			      size_t errlen)
{
	gcry_sexp_t pub = NULL;
	gcry_mpi_t n = NULL, e = NULL;
	unsigned char q[65], *xb = NULL, *yb = NULL;
	size_t nl = 0, xl = 0, yl = 0;

	if (!ec) {
		n = jwk_mpi(key, "n", &nl);
		e = jwk_mpi(key, "e", NULL);
		if (!n || !e)
			snprintf(err, errlen, "the RSA key has no valid n/e");
		else if (gcry_mpi_get_nbits(n) < MIN_RSA_BITS)
			snprintf(err, errlen, "the RSA key has %u bits (at least "
				 "%d are required)", gcry_mpi_get_nbits(n),
				 MIN_RSA_BITS);
		else if (gcry_sexp_build(&pub, NULL, "(public-key (rsa (n %m) "
					 "(e %m)))", n, e) != 0)
			snprintf(err, errlen, "the RSA key cannot be used");
		goto out;
	}
	if (!jstr(key, "crv") || strcmp(jstr(key, "crv"), "P-256") != 0) {
		snprintf(err, errlen, "the EC key is not on curve P-256");
		goto out;
	}
	/* the uncompressed point 04 || x || y, each exactly 32 bytes */
	xb = jstr(key, "x") ? auth_b64url_decode(jstr(key, "x"),
						strlen(jstr(key, "x")), &xl) : NULL;
	yb = jstr(key, "y") ? auth_b64url_decode(jstr(key, "y"),
						strlen(jstr(key, "y")), &yl) : NULL;
	if (!xb || !yb || xl != 32 || yl != 32) {
		snprintf(err, errlen, "the EC key has no valid x/y");
		goto out;
	}
	q[0] = 0x04;
	memcpy(q + 1, xb, 32);
	memcpy(q + 33, yb, 32);
	if (gcry_sexp_build(&pub, NULL, "(public-key (ecc (curve \"NIST P-256\") "
			    "(q %b)))", (int)sizeof(q), q) != 0) {
		snprintf(err, errlen, "the EC key cannot be used");
		pub = NULL;
	}
out:
	gcry_mpi_release(n);
	gcry_mpi_release(e);
	free(xb);
	free(yb);
	return pub;
}

/* Check sig (siglen bytes) over digest with pub. 0 good, -1 bad. */
static int check_sig(gcry_sexp_t pub, int ec, const unsigned char *digest,
		     const unsigned char *sig, size_t siglen)
{
	gcry_sexp_t data = NULL, sv = NULL;
	gcry_mpi_t r = NULL, s = NULL;
	int rc = -1;

	if (ec) {
		if (siglen != 64 ||
		    gcry_mpi_scan(&r, GCRYMPI_FMT_USG, sig, 32, NULL) != 0 ||
		    gcry_mpi_scan(&s, GCRYMPI_FMT_USG, sig + 32, 32, NULL) != 0 ||
		    gcry_sexp_build(&sv, NULL, "(sig-val (ecdsa (r %m) (s %m)))",
				    r, s) != 0 ||
		    gcry_sexp_build(&data, NULL, "(data (flags raw) (value %b))",
				    32, digest) != 0)
			goto out;
	} else {
		if (!siglen ||
		    gcry_mpi_scan(&s, GCRYMPI_FMT_USG, sig, siglen, NULL) != 0 ||
		    gcry_sexp_build(&sv, NULL, "(sig-val (rsa (s %m)))", s) != 0 ||
		    gcry_sexp_build(&data, NULL, "(data (flags pkcs1) (hash sha256 "
				    "%b))", 32, digest) != 0)
			goto out;
	}
	rc = gcry_pk_verify(sv, data, pub) == 0 ? 0 : -1;
out:
	gcry_sexp_release(data);
	gcry_sexp_release(sv);
	gcry_mpi_release(r);
	gcry_mpi_release(s);
	return rc;
}

/* base64url text [p, p + n) as JSON (new reference) or NULL. */
static json_object *b64_json(const char *p, size_t n)
{
	unsigned char *b;
	json_object *o;
	size_t l;

	if (!(b = auth_b64url_decode(p, n, &l)))
		return NULL;
	o = json_tokener_parse((const char *)b);
	free(b);
	if (o && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	return o;
}

int oidc_jws_verify(const char *token, json_object *jwks,
		    json_object **claims, char *kid, size_t kidlen,
		    char *err, size_t errlen)
{
	const char *d1, *d2, *alg, *k;
	json_object *hdr = NULL, *key, *payload = NULL;
	unsigned char digest[32], *sig = NULL;
	gcry_sexp_t pub = NULL;
	size_t siglen = 0;
	int ec, rc = OIDC_JWS_BAD;

	*claims = NULL;
	if (kid && kidlen)
		kid[0] = '\0';
	if (!token || !(d1 = strchr(token, '.')) || !(d2 = strchr(d1 + 1, '.')) ||
	    strchr(d2 + 1, '.')) {
		snprintf(err, errlen, "the ID token is not a signed JWT (three "
			 "dot-separated parts)");
		goto out;
	}
	if (!(hdr = b64_json(token, (size_t)(d1 - token)))) {
		snprintf(err, errlen, "the ID token's header is not base64url JSON");
		goto out;
	}
	alg = jstr(hdr, "alg");
	if (!alg || (strcmp(alg, "RS256") != 0 && strcmp(alg, "ES256") != 0)) {
		snprintf(err, errlen, "the ID token is signed with '%s'; only "
			 "RS256 and ES256 are accepted", alg ? alg : "(no alg)");
		goto out;
	}
	ec = alg[0] == 'E';
	k = jstr(hdr, "kid");
	if (kid && k)
		snprintf(kid, kidlen, "%s", k);
	if (!(key = find_key(jwks, k, ec ? "EC" : "RSA", alg))) {
		snprintf(err, errlen, "no %s key with kid '%s' in the provider's "
			 "JWKS", alg, k ? k : "(none)");
		rc = OIDC_JWS_NOKID;
		goto out;
	}
	if (!(pub = jwk_public(key, ec, err, errlen)))
		goto out;
	if (!(sig = auth_b64url_decode(d2 + 1, strlen(d2 + 1), &siglen))) {
		snprintf(err, errlen, "the ID token's signature is not base64url");
		goto out;
	}
	gcry_md_hash_buffer(GCRY_MD_SHA256, digest, token, (size_t)(d2 - token));
	if (check_sig(pub, ec, digest, sig, siglen) < 0) {
		snprintf(err, errlen, "the ID token's %s signature does not verify "
			 "with the provider's key '%s' (tampered or not signed by "
			 "the provider)", alg, k ? k : "(no kid)");
		goto out;
	}
	if (!(payload = b64_json(d1 + 1, (size_t)(d2 - d1 - 1)))) {
		snprintf(err, errlen, "the ID token's payload is not a JSON object");
		goto out;
	}
	*claims = payload;
	rc = OIDC_JWS_OK;
out:
	gcry_sexp_release(pub);
	free(sig);
	json_object_put(hdr);
	return rc;
}
