/*
 * auth_passwd: password hashing for sign-in (issue 18): Argon2id from
 * libgcrypt 1.10 (gcry_kdf_open with GCRY_KDF_ARGON2 / GCRY_KDF_ARGON2ID),
 * stored as a PHC string "$argon2id$v=19$m=KIB,t=T,p=P$SALT$HASH" (SALT
 * and HASH in unpadded standard base64), compared in constant time; and
 * the password policy (minimum length, a built-in list of common
 * passwords).
 */
#ifndef PULSE_AUTH_PASSWD_H
#define PULSE_AUTH_PASSWD_H

#include <stddef.h>

struct passwd_params {
	unsigned long t_cost;  /* iterations */
	unsigned long m_kib;   /* memory in KiB */
	unsigned long lanes;   /* parallelism */
};

/* Defaults, tuned to about 100 ms on the 2-core build host
 * (tests/bench/passwd-bench.sh measures them). */
#define PASSWD_DEFAULT_T 2
#define PASSWD_DEFAULT_M_KIB 20480
#define PASSWD_DEFAULT_LANES 1

/*
 * Raw Argon2id (RFC 9106): tag of outlen bytes into out. secret and ad
 * may be NULL with length 0. 0, or -1 with err.
 */
int passwd_argon2id(const void *pw, size_t pwlen, const void *salt,
		    size_t saltlen, const void *secret, size_t secretlen,
		    const void *ad, size_t adlen, unsigned long t_cost,
		    unsigned long m_kib, unsigned long lanes, void *out,
		    size_t outlen, char *err, size_t errlen);

/* Hash pw with a fresh 16-byte salt: a malloc'd PHC string (caller
 * frees), or NULL with err. pp NULL: the defaults. */
char *passwd_hash(const char *pw, const struct passwd_params *pp, char *err,
		  size_t errlen);

/*
 * Does pw match the PHC string? 1 yes, 0 no, -1 the string is not an
 * argon2id PHC string we can read (err says why). The comparison of the
 * tags is constant-time. phc NULL: hashes pw against a dummy so a missing
 * account costs the same time as a wrong password, and returns 0.
 */
int passwd_verify(const char *pw, const char *phc, char *err, size_t errlen);

/* The policy: at least min_len characters (UTF-8 code points), at most
 * 1024 bytes, not on the built-in list of common passwords (compared
 * case-insensitively). 0, or -1 with err saying which rule failed. */
int passwd_policy_check(const char *pw, int min_len, char *err,
			size_t errlen);

#endif
