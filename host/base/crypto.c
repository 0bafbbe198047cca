/* crypto: AES-256-GCM sealing of integration credentials (libgcrypt). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gcrypt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/crypto.h"

#define BLOB_VERSION 1
#define NONCE_LEN 12
#define TAG_LEN 16
#define HDR_LEN (1 + NONCE_LEN + TAG_LEN)

static int initialised;

int crypto_init(char *err, size_t errlen)
{
	if (initialised)
		return 0;
	if (!gcry_check_version(GCRYPT_VERSION)) {
		if (err)
			snprintf(err, errlen, "libgcrypt is older than %s, the "
				 "version pulse-host was built with",
				 GCRYPT_VERSION);
		return -1;
	}
	/* No secure memory pool: keys live briefly and are wiped by us. */
	gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	initialised = 1;
	return 0;
}

void crypto_wipe(void *p, size_t n)
{
	if (p && n)
		explicit_bzero(p, n);
}

void crypto_free_secret(char *s)
{
	if (!s)
		return;
	crypto_wipe(s, strlen(s));
	free(s);
}

int crypto_dontdump(const void *p, size_t n)
{
	long pg = sysconf(_SC_PAGESIZE);
	uintptr_t lo, hi;

	if (!p || !n || pg <= 0)
		return 0;
	lo = (uintptr_t)p & ~((uintptr_t)pg - 1);
	hi = ((uintptr_t)p + n + (uintptr_t)pg - 1) & ~((uintptr_t)pg - 1);
	return madvise((void *)lo, hi - lo, MADV_DONTDUMP);
}

/* Whole pages for n bytes. */
static size_t secret_span(size_t n)
{
	long pg = sysconf(_SC_PAGESIZE);

	if (pg <= 0)
		pg = 4096;
	return (n + (size_t)pg - 1) / (size_t)pg * (size_t)pg;
}

void *crypto_secret_alloc(size_t n)
{
	void *p;

	if (!n)
		return NULL;
	p = mmap(NULL, secret_span(n), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	/* Best effort: a kernel without it still gets PR_SET_DUMPABLE. */
	(void)madvise(p, secret_span(n), MADV_DONTDUMP);
	return p;
}

void crypto_secret_free(void *p, size_t n)
{
	if (!p || !n)
		return;
	explicit_bzero(p, n);
	munmap(p, secret_span(n));
}

void crypto_harden_process(void)
{
	/* No core dump, no ptrace or /proc/PID/mem by other processes of
	 * the same user; inherited by every forked job process. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

/* The directory part of path into dir ("." when there is none). */
static void dir_of(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(dir, len, ".");
	else if (slash == path)
		snprintf(dir, len, "/");
	else
		snprintf(dir, len, "%.*s", (int)(slash - path), path);
}

/* Owned by us or root, and not writable by group or others. */
static int check_owner(const char *what, const char *path,
		       const struct stat *st, char *err, size_t errlen)
{
	if (st->st_uid != geteuid() && st->st_uid != 0) {
		snprintf(err, errlen, "%s %s is owned by uid %ld, not by this "
			 "user (uid %ld) or root: refusing it; run `chown %ld "
			 "%s`", what, path, (long)st->st_uid, (long)geteuid(),
			 (long)geteuid(), path);
		return -1;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, errlen, "%s %s is writable by group or others "
			 "(mode %04o): refusing it; run `chmod go-w %s`", what,
			 path, (unsigned)(st->st_mode & 07777), path);
		return -1;
	}
	return 0;
}

int crypto_key_file_check(const char *path, char *err, size_t errlen)
{
	char dir[4096];
	struct stat st;

	if (!path || !*path) {
		snprintf(err, errlen, "key file path is empty");
		return -1;
	}
	dir_of(path, dir, sizeof(dir));
	if (stat(dir, &st) == 0 &&
	    check_owner("key file directory", dir, &st, err, errlen) < 0)
		return -1;
	if (stat(path, &st) < 0)
		return 0; /* created on first use, 0600 */
	if (check_owner("key file", path, &st, err, errlen) < 0)
		return -1;
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen, "key file %s has mode %04o: group or "
			 "others may read it; run `chmod 600 %s`", path,
			 (unsigned)(st.st_mode & 07777), path);
		return -1;
	}
	return 0;
}

/* The key's directory, made 0700 when it is missing (a fresh install
 * whose packaging did not create it). One level only. */
static void make_key_dir(const char *path)
{
	char dir[4096];

	dir_of(path, dir, sizeof(dir));
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return; /* the open below reports the real problem */
}

static int create_key(const char *path, struct crypto_key *key, char *err,
		      size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ssize_t w;

	if (fd < 0) {
		snprintf(err, errlen, "cannot create key file %s: %s; create "
			 "its directory or set key_file in the configuration",
			 path, strerror(errno));
		return -1;
	}
	gcry_randomize(key->k, sizeof(key->k), GCRY_VERY_STRONG_RANDOM);
	w = write(fd, key->k, sizeof(key->k));
	if (w != (ssize_t)sizeof(key->k) || fsync(fd) < 0) {
		snprintf(err, errlen, "cannot write key file %s: %s", path,
			 w < 0 ? strerror(errno) : "short write");
		close(fd);
		unlink(path);
		crypto_wipe(key, sizeof(*key));
		return -1;
	}
	close(fd);
	return 0;
}

int crypto_key_load(const char *path, int create, struct crypto_key *key,
		    char *err, size_t errlen)
{
	struct stat st;
	ssize_t n;
	int fd = -1, rc = -1;

	if (crypto_init(err, errlen) < 0)
		return -1;
	if (!path || !*path) {
		snprintf(err, errlen, "key_file is not set in the configuration");
		return -1;
	}
	if (crypto_key_file_check(path, err, errlen) < 0)
		return -1;
	if (create)
		make_key_dir(path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		if (create_key(path, key, err, errlen) == 0)
			return 0;
		/* lost a race with another process creating it: read theirs */
		if (errno != EEXIST)
			return -1;
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0) {
		snprintf(err, errlen, "cannot open key file %s: %s%s", path,
			 strerror(errno), errno == ENOENT ?
			 "; it is created on the first `pulse-host integration "
			 "add`, or restore it from your backup" : "");
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "cannot stat key file %s: %s", path,
			 strerror(errno));
		goto out;
	}
	/* Checked again on the open file: the path may have changed. */
	if (check_owner("key file", path, &st, err, errlen) < 0)
		goto out;
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen, "key file %s has mode %04o: group or "
			 "others may read it; run `chmod 600 %s`", path,
			 (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	if (st.st_size != CRYPTO_KEY_LEN) {
		snprintf(err, errlen, "key file %s has %lld bytes, not %d: it "
			 "is not a pulse-host key (restore it from backup)",
			 path, (long long)st.st_size, CRYPTO_KEY_LEN);
		goto out;
	}
	n = read(fd, key->k, sizeof(key->k));
	if (n != (ssize_t)sizeof(key->k)) {
		snprintf(err, errlen, "cannot read key file %s: %s", path,
			 n < 0 ? strerror(errno) : "short read");
		crypto_wipe(key, sizeof(*key));
		goto out;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

/* Associated data: binds a blob to its tenant and integration. */
static size_t make_aad(char *buf, size_t len, int64_t tenant, int64_t integ)
{
	int n = snprintf(buf, len, "pulse-host/v1/tenant=%" PRId64
			 "/integration=%" PRId64, tenant, integ);

	return n > 0 ? (size_t)n : 0;
}

static int open_cipher(const struct crypto_key *key, gcry_cipher_hd_t *h,
		       char *err, size_t errlen)
{
	gcry_error_t e;

	e = gcry_cipher_open(h, GCRY_CIPHER_AES256, GCRY_CIPHER_MODE_GCM, 0);
	if (!e)
		e = gcry_cipher_setkey(*h, key->k, sizeof(key->k));
	if (e) {
		snprintf(err, errlen, "AES-256-GCM unavailable: %s",
			 gcry_strerror(e));
		return -1;
	}
	return 0;
}

int crypto_seal(const struct crypto_key *key, int64_t tenant_id,
		int64_t integration_id, const void *plain, size_t n,
		unsigned char **out, size_t *outlen, char *err, size_t errlen)
{
	gcry_cipher_hd_t h = NULL;
	unsigned char *blob = NULL;
	char aad[96];
	gcry_error_t e;
	int rc = -1;

	*out = NULL;
	*outlen = 0;
	if (crypto_init(err, errlen) < 0 || open_cipher(key, &h, err, errlen) < 0)
		goto out;
	blob = malloc(HDR_LEN + n + 1);
	if (!blob) {
		snprintf(err, errlen, "out of memory sealing credentials");
		goto out;
	}
	blob[0] = BLOB_VERSION;
	gcry_create_nonce(blob + 1, NONCE_LEN);
	e = gcry_cipher_setiv(h, blob + 1, NONCE_LEN);
	if (!e)
		e = gcry_cipher_authenticate(h, aad,
					     make_aad(aad, sizeof(aad), tenant_id,
						      integration_id));
	if (!e)
		e = gcry_cipher_encrypt(h, blob + HDR_LEN, n, plain, n);
	if (!e)
		e = gcry_cipher_gettag(h, blob + 1 + NONCE_LEN, TAG_LEN);
	if (e) {
		snprintf(err, errlen, "encryption failed: %s", gcry_strerror(e));
		goto out;
	}
	*out = blob;
	*outlen = HDR_LEN + n;
	blob = NULL;
	rc = 0;
out:
	free(blob);
	gcry_cipher_close(h);
	return rc;
}

int crypto_open(const struct crypto_key *key, int64_t tenant_id,
		int64_t integration_id, const unsigned char *blob, size_t len,
		char **plain, size_t *n, char *err, size_t errlen)
{
	gcry_cipher_hd_t h = NULL;
	char *buf = NULL, aad[96];
	size_t clen;
	gcry_error_t e;
	int rc = -1;

	*plain = NULL;
	*n = 0;
	if (len < HDR_LEN || blob[0] != BLOB_VERSION) {
		snprintf(err, errlen, "credentials of integration %" PRId64
			 " are not a pulse-host v%d blob (%zu bytes); set them "
			 "again with `pulse-host integration set-secret %" PRId64
			 " FIELD`", integration_id, BLOB_VERSION, len,
			 integration_id);
		return -1;
	}
	if (crypto_init(err, errlen) < 0 || open_cipher(key, &h, err, errlen) < 0)
		goto out;
	clen = len - HDR_LEN;
	buf = malloc(clen + 1);
	if (!buf) {
		snprintf(err, errlen, "out of memory opening credentials");
		goto out;
	}
	e = gcry_cipher_setiv(h, blob + 1, NONCE_LEN);
	if (!e)
		e = gcry_cipher_authenticate(h, aad,
					     make_aad(aad, sizeof(aad), tenant_id,
						      integration_id));
	if (!e)
		e = gcry_cipher_decrypt(h, buf, clen, blob + HDR_LEN, clen);
	if (!e)
		e = gcry_cipher_checktag(h, blob + 1 + NONCE_LEN, TAG_LEN);
	if (e) {
		snprintf(err, errlen, "cannot decrypt the credentials of "
			 "integration %" PRId64 ": %s; the key file is not the "
			 "one they were sealed with, or the blob belongs to "
			 "another integration. Restore the right key_file, or "
			 "set the secrets again with `pulse-host integration "
			 "set-secret %" PRId64 " FIELD`", integration_id,
			 gpg_err_code(e) == GPG_ERR_CHECKSUM ?
			 "authentication failed" : gcry_strerror(e),
			 integration_id);
		crypto_wipe(buf, clen);
		goto out;
	}
	buf[clen] = '\0';
	*plain = buf;
	*n = clen;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	gcry_cipher_close(h);
	return rc;
}
