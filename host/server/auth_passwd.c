/* auth_passwd: Argon2id password hashes and the password policy (see
 * auth_passwd.h). */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gcrypt.h>

#include "server/auth_passwd.h"
#include "base/strbuf.h"

#define SALT_LEN 16
#define TAG_LEN 32

int passwd_argon2id(const void *pw, size_t pwlen, const void *salt,
		    size_t saltlen, const void *secret, size_t secretlen,
		    const void *ad, size_t adlen, unsigned long t_cost,
		    unsigned long m_kib, unsigned long lanes, void *out,
		    size_t outlen, char *err, size_t errlen)
{
	unsigned long param[4] = {outlen, t_cost, m_kib, lanes};
	gcry_kdf_hd_t hd = NULL;
	gcry_error_t e;
	int rc = -1;

	e = gcry_kdf_open(&hd, GCRY_KDF_ARGON2, GCRY_KDF_ARGON2ID, param, 4,
			  pw, pwlen, salt, saltlen, secret, secretlen, ad,
			  adlen);
	if (e) {
		snprintf(err, errlen, "argon2id: cannot start (t=%lu m=%lu KiB "
			 "p=%lu): %s", t_cost, m_kib, lanes, gcry_strerror(e));
		hd = NULL;
		goto out;
	}
	/* No thread ops: lanes run one after the other on this thread. */
	if ((e = gcry_kdf_compute(hd, NULL)) ||
	    (e = gcry_kdf_final(hd, outlen, out))) {
		snprintf(err, errlen, "argon2id: %s", gcry_strerror(e));
		goto out;
	}
	rc = 0;
out:
	if (hd)
		gcry_kdf_close(hd);
	return rc;
}

/* ---- PHC strings: unpadded standard base64 ---------------------------- */

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_add(struct strbuf *sb, const unsigned char *p, size_t n)
{
	uint32_t acc = 0;
	size_t i;
	int bits = 0;

	for (i = 0; i < n; i++) {
		acc = acc << 8 | p[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			if (sb_addf(sb, "%c", b64[acc >> bits & 63]) < 0)
				return -1;
		}
	}
	if (bits > 0 && sb_addf(sb, "%c", b64[acc << (6 - bits) & 63]) < 0)
		return -1;
	return 0;
}

/* Decode [s, s+len) into out (at most cap bytes): the length or -1. */
static long b64_get(const char *s, size_t len, unsigned char *out, size_t cap)
{
	uint32_t acc = 0;
	size_t i, o = 0;
	int bits = 0;

	for (i = 0; i < len; i++) {
		const char *p = s[i] ? strchr(b64, s[i]) : NULL;

		if (!p)
			return -1;
		acc = acc << 6 | (uint32_t)(p - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= cap)
				return -1;
			out[o++] = (unsigned char)(acc >> bits & 0xff);
		}
	}
	return (long)o;
}

char *passwd_hash(const char *pw, const struct passwd_params *pp, char *err,
		  size_t errlen)
{
	static const struct passwd_params defaults = {PASSWD_DEFAULT_T,
		PASSWD_DEFAULT_M_KIB, PASSWD_DEFAULT_LANES};
	unsigned char salt[SALT_LEN], tag[TAG_LEN];
	struct strbuf sb = STRBUF_INIT;
	char *out = NULL;

	if (!pp)
		pp = &defaults;
	gcry_randomize(salt, sizeof(salt), GCRY_STRONG_RANDOM);
	if (passwd_argon2id(pw, strlen(pw), salt, sizeof(salt), NULL, 0, NULL,
			    0, pp->t_cost, pp->m_kib, pp->lanes, tag,
			    sizeof(tag), err, errlen) < 0)
		goto out;
	if (sb_addf(&sb, "$argon2id$v=19$m=%lu,t=%lu,p=%lu$", pp->m_kib,
		    pp->t_cost, pp->lanes) < 0 || b64_add(&sb, salt, sizeof(salt)) < 0 ||
	    sb_adds(&sb, "$") < 0 || b64_add(&sb, tag, sizeof(tag)) < 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	out = sb_detach(&sb);
out:
	sb_free(&sb);
	gcry_create_nonce(tag, sizeof(tag)); /* overwrite the tag */
	return out;
}

/* A hash of a password nobody has, with the default cost: what a sign-in
 * for an unknown account is checked against. */
static const char dummy_phc[] =
	"$argon2id$v=19$m=20480,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$"
	"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

int passwd_verify(const char *pw, const char *phc, char *err, size_t errlen)
{
	unsigned char salt[64], want[64], got[64], diff = 0;
	unsigned long m, t, p;
	const char *s, *h;
	long saltlen, taglen;
	int n = 0, dummy = !phc;
	size_t i;

	if (dummy)
		phc = dummy_phc;
	/* libgcrypt refuses an empty passphrase: never a match, same cost */
	if (!*pw)
		return passwd_verify("\x01", phc, err, errlen) < 0 ? -1 : 0;
	if (sscanf(phc, "$argon2id$v=19$m=%lu,t=%lu,p=%lu$%n", &m, &t, &p,
		   &n) != 3 || !n) {
		snprintf(err, errlen, "password hash is not an argon2id v=19 "
			 "PHC string");
		return -1;
	}
	s = phc + n;
	h = strchr(s, '$');
	if (!h || (saltlen = b64_get(s, (size_t)(h - s), salt, sizeof(salt))) < 8 ||
	    (taglen = b64_get(h + 1, strlen(h + 1), want, sizeof(want))) < 16 ||
	    t < 1 || t > 100 || m < 8 || m > 4UL * 1024 * 1024 || p < 1 || p > 64) {
		snprintf(err, errlen, "password hash has a bad salt, tag or "
			 "cost");
		return -1;
	}
	if (passwd_argon2id(pw, strlen(pw), salt, (size_t)saltlen, NULL, 0,
			    NULL, 0, t, m, p, got, (size_t)taglen, err,
			    errlen) < 0)
		return -1;
	for (i = 0; i < (size_t)taglen; i++)
		diff |= (unsigned char)(got[i] ^ want[i]);
	gcry_create_nonce(got, sizeof(got));
	return !dummy && diff == 0;
}

/* Well-known weak passwords (what people pick first); a longer one still
 * passes the length rule, so they are refused by name. */
static const char *const common[] = {
	"password", "password1", "password12", "password123", "password1234",
	"passw0rd", "p@ssw0rd", "p@ssword", "123456", "1234567", "12345678",
	"123456789", "1234567890", "12345678910", "123456789012", "111111",
	"000000", "qwerty", "qwerty123", "qwertyuiop", "qwertyuiop123",
	"1q2w3e4r", "1q2w3e4r5t6y", "abc123", "abcdef", "abcdefgh",
	"abcdefghijkl", "letmein", "letmein12345", "welcome", "welcome1",
	"welcome12345", "iloveyou", "admin", "admin123", "administrator",
	"changeme", "changeme123", "secret", "trustno1", "monkey", "dragon",
	"football", "baseball", "sunshine", "princess", "superman", "master",
	"starwars", "whatever", "passwordpassword", "correcthorsebatterystaple",
	"aaaaaaaaaaaa", "zaq12wsx", "asdfghjkl", "asdfghjkl123", NULL,
};

int passwd_policy_check(const char *pw, int min_len, char *err,
			size_t errlen)
{
	size_t i, n = 0;

	for (i = 0; pw[i]; i++)
		if (((unsigned char)pw[i] & 0xc0) != 0x80)
			n++;
	if (i > 1024) {
		snprintf(err, errlen, "the password is longer than 1024 bytes");
		return -1;
	}
	if (n < (size_t)min_len) {
		snprintf(err, errlen, "the password has %zu characters; at least "
			 "%d are required (auth.min_password_length)", n, min_len);
		return -1;
	}
	for (i = 0; common[i]; i++)
		if (strcasecmp(pw, common[i]) == 0) {
			snprintf(err, errlen, "the password is on the list of the "
				 "most common passwords; choose another");
			return -1;
		}
	return 0;
}
