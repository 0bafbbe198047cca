/*
 * digest.c: checks the weights against the sha256 an operator configured
 * (libgcrypt, as the host uses).
 */
#include "embed.h"

#include <ctype.h>
#include <gcrypt.h>
#include <stdio.h>
#include <string.h>

int emb_verify_sha256(const void *buf, size_t len, const char *want_hex,
		      const char *name, char *err, size_t errlen)
{
	unsigned char d[32];
	char hex[65];

	if (strlen(want_hex) != 64) {
		snprintf(err, errlen, "sha256 setting has %zu characters; a SHA-256 "
			 "digest is 64 hexadecimal digits", strlen(want_hex));
		return -1;
	}
	if (!gcry_check_version(NULL)) {
		snprintf(err, errlen, "%s: libgcrypt failed to initialise", name);
		return -1;
	}
	gcry_md_hash_buffer(GCRY_MD_SHA256, d, buf, len);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	for (int i = 0; i < 64; i++) {
		if (tolower((unsigned char)want_hex[i]) != hex[i]) {
			snprintf(err, errlen, "%s: sha256 is %s, the setting says %.64s: "
				 "the file is damaged or another model; copy it again "
				 "(docs/embeddings.md)", name, hex, want_hex);
			return -1;
		}
	}
	return 0;
}
