/* crypto: AES-256-GCM for integration credentials at rest (libgcrypt). */
#ifndef PULSE_CRYPTO_H
#define PULSE_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define CRYPTO_KEY_LEN 32

struct crypto_key {
	unsigned char k[CRYPTO_KEY_LEN];
};

/* Initialise libgcrypt once (safe to call repeatedly). 0 or -1. */
int crypto_init(char *err, size_t errlen);

/*
 * Read the key file at path. If it does not exist and create is set, make
 * it (O_CREAT|O_EXCL, mode 0600, 32 strong random bytes). A file readable
 * by group or others, or of the wrong size, is refused with a message that
 * says how to fix it. Returns 0, or -1 with err set. Wipe the key with
 * crypto_wipe when done.
 */
int crypto_key_load(const char *path, int create, struct crypto_key *key,
		    char *err, size_t errlen);

/*
 * Encrypt n bytes. The blob is version(1) || nonce(12) || tag(16) ||
 * ciphertext, and is bound to (tenant_id, integration_id) as associated
 * data, so a blob copied to another integration does not decrypt.
 * *out is malloc'd (caller frees), *outlen its size. 0 or -1.
 */
int crypto_seal(const struct crypto_key *key, int64_t tenant_id,
		int64_t integration_id, const void *plain, size_t n,
		unsigned char **out, size_t *outlen, char *err, size_t errlen);

/*
 * Decrypt a blob from crypto_seal. *plain is malloc'd and NUL-terminated
 * (caller wipes it with crypto_free_secret), *n its length. Fails with a
 * clear message for a wrong key, a tampered blob or another integration's
 * blob. 0 or -1.
 */
int crypto_open(const struct crypto_key *key, int64_t tenant_id,
		int64_t integration_id, const unsigned char *blob, size_t len,
		char **plain, size_t *n, char *err, size_t errlen);

/*
 * Refuse a key file (or its directory) not owned by this user or root, or
 * writable by group or others, or a key file readable by them. A missing
 * file is fine (created on first use). 0, or -1 with err saying how to
 * fix it. crypto_key_load applies it; `config check` too.
 */
int crypto_key_file_check(const char *path, char *err, size_t errlen);

/* Make this process (and the job processes it forks) non-dumpable: no
 * core file and no ptrace by other processes of the user, so decrypted
 * secrets never reach a dump. */
void crypto_harden_process(void);

/*
 * Keep [p, p + n) out of core dumps (MADV_DONTDUMP on the pages holding
 * it; the rest of those pages goes with it, which costs a dump nothing
 * that matters). For secrets that live long: the credentials of a running
 * job, the JWT key of the server. 0, or -1 when madvise refused.
 */
int crypto_dontdump(const void *p, size_t n);

/*
 * n zeroed bytes on pages of their own, kept out of core dumps, for a
 * secret held for the life of a process (the JWT key). NULL when out of
 * memory. Release with crypto_secret_free(p, n), which wipes them.
 */
void *crypto_secret_alloc(size_t n);
void crypto_secret_free(void *p, size_t n);

/* Zero memory the compiler may not optimise away. */
void crypto_wipe(void *p, size_t n);
/* Wipe a NUL-terminated secret and free it (NULL is fine). */
void crypto_free_secret(char *s);

#endif
