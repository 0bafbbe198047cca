/* test-passwd: Argon2id (libgcrypt) against the RFC 9106 test vector,
 * the PHC strings we store, and the password policy (issue 18). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gcrypt.h>

#include "base/crypto.h"
#include "server/auth_limit.h"
#include "server/auth_passwd.h"

/* RFC 9106, section 5.3 (Argon2id): password 32 x 0x01, salt 16 x 0x02,
 * secret 8 x 0x03, associated data 12 x 0x04, t=3, m=32 KiB, p=4,
 * 32-byte tag. The expected tag is the RFC's, written out here. */
static void test_rfc9106_argon2id(void **state)
{
	static const unsigned char want[32] = {
		0x0d, 0x64, 0x0d, 0xf5, 0x8d, 0x78, 0x76, 0x6c,
		0x08, 0xc0, 0x37, 0xa3, 0x4a, 0x8b, 0x53, 0xc9,
		0xd0, 0x1e, 0xf0, 0x45, 0x2d, 0x75, 0xb6, 0x5e,
		0xb5, 0x25, 0x20, 0xe9, 0x6b, 0x01, 0xe6, 0x59,
	};
	unsigned char pw[32], salt[16], secret[8], ad[12], got[32];
	char err[256] = "";

	(void)state;
	memset(pw, 1, sizeof(pw));
	memset(salt, 2, sizeof(salt));
	memset(secret, 3, sizeof(secret));
	memset(ad, 4, sizeof(ad));
	assert_int_equal(passwd_argon2id(pw, sizeof(pw), salt, sizeof(salt),
					 secret, sizeof(secret), ad, sizeof(ad),
					 3, 32, 4, got, sizeof(got), err,
					 sizeof(err)), 0);
	assert_memory_equal(got, want, sizeof(want));
	/* The secret and the associated data are part of the result. */
	assert_int_equal(passwd_argon2id(pw, sizeof(pw), salt, sizeof(salt),
					 NULL, 0, ad, sizeof(ad), 3, 32, 4,
					 got, sizeof(got), err, sizeof(err)), 0);
	assert_memory_not_equal(got, want, sizeof(want));
}

static void test_phc_roundtrip(void **state)
{
	struct passwd_params pp = {1, 64, 1}; /* cheap: the format is tested */
	char err[256] = "", *h, *h2;

	(void)state;
	h = passwd_hash("correct horse battery", &pp, err, sizeof(err));
	assert_non_null(h);
	assert_int_equal(strncmp(h, "$argon2id$v=19$m=64,t=1,p=1$", 28), 0);
	assert_int_equal(passwd_verify("correct horse battery", h, err, sizeof(err)), 1);
	assert_int_equal(passwd_verify("correct horse batterz", h, err, sizeof(err)), 0);
	assert_int_equal(passwd_verify("", h, err, sizeof(err)), 0);
	/* a fresh salt every time */
	h2 = passwd_hash("correct horse battery", &pp, err, sizeof(err));
	assert_non_null(h2);
	assert_string_not_equal(h, h2);
	/* garbage is an error, not a match */
	assert_int_equal(passwd_verify("x", "$argon2i$v=19$m=64,t=1,p=1$AAAA$AAAA",
				       err, sizeof(err)), -1);
	assert_int_equal(passwd_verify("x", "plain", err, sizeof(err)), -1);
	/* no account: the dummy never matches */
	assert_int_equal(passwd_verify("anything", NULL, err, sizeof(err)), 0);
	free(h);
	free(h2);
}

static void test_policy(void **state)
{
	char err[256] = "";

	(void)state;
	assert_int_equal(passwd_policy_check("short", 12, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "at least 12"));
	assert_int_equal(passwd_policy_check("Password1234", 12, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "most common"));
	assert_int_equal(passwd_policy_check("qwertyuiop123", 8, err, sizeof(err)), -1);
	assert_int_equal(passwd_policy_check("plum-kettle-orbit-9", 12, err, sizeof(err)), 0);
	/* characters, not bytes: 12 two-byte letters */
	assert_int_equal(passwd_policy_check("éééééééééééé", 12, err, sizeof(err)), 0);
	assert_int_equal(passwd_policy_check("ééééé", 6, err, sizeof(err)), -1);
}

/* Lock-out after 3 failures within the window, for lock_s seconds; a
 * success clears the count; other keys are not affected. */
static void test_limit(void **state)
{
	struct authlimit *l = authlimit_new();

	(void)state;
	assert_non_null(l);
	assert_int_equal(authlimit_fail(l, "account:a", 3, 600, 6, 1000), 0);
	assert_int_equal(authlimit_fail(l, "addr:x", 3, 600, 6, 1000), 0);
	assert_int_equal(authlimit_fail(l, "account:a", 3, 600, 6, 1001), 0);
	assert_int_equal(authlimit_locked(l, "account:a", 1001), 0);
	assert_int_equal(authlimit_fail(l, "account:a", 3, 600, 6, 1002), 6);
	assert_int_equal(authlimit_locked(l, "account:a", 1003), 5);
	assert_int_equal(authlimit_locked(l, "addr:x", 1003), 0);
	assert_int_equal(authlimit_locked(l, "account:a", 1008), 0);
	/* failures older than the window are forgotten */
	assert_int_equal(authlimit_fail(l, "account:b", 2, 10, 6, 2000), 0);
	assert_int_equal(authlimit_fail(l, "account:b", 2, 10, 6, 2011), 0);
	assert_int_equal(authlimit_fail(l, "account:b", 2, 10, 6, 2012), 6);
	authlimit_ok(l, "account:b");
	assert_int_equal(authlimit_locked(l, "account:b", 2013), 0);
	authlimit_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc9106_argon2id),
		cmocka_unit_test(test_phc_roundtrip),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_limit),
	};
	char err[256];

	if (crypto_init(err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
