/*
 * test-ad-values: the AD value conversions of plugins/source-ad/values.c
 * against published vectors: objectGUID <-> UUID and base64
 * (onPremisesImmutableId), userAccountControl, FILETIME, GeneralizedTime,
 * DN parents and `member;range=` descriptions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "values.h"

/* 1wfM9xV8fUSHbcAbDlqeOA== decoded */
static const unsigned char guid[16] = {0xd7, 0x07, 0xcc, 0xf7, 0x15, 0x7c,
	0x7d, 0x44, 0x87, 0x6d, 0xc0, 0x1b, 0x0e, 0x5a, 0x9e, 0x38};

static void guid_uuid(void **st)
{
	char out[40];
	unsigned char back[16];

	(void)st;
	assert_int_equal(ad_guid_uuid(guid, 16, out, sizeof(out)), 0);
	assert_string_equal(out, "f7cc07d7-7c15-447d-876d-c01b0e5a9e38");
	assert_int_equal(ad_uuid_guid(out, back), 0);
	assert_memory_equal(back, guid, 16);
	assert_int_equal(ad_uuid_guid("F7CC07D7-7C15-447D-876D-C01B0E5A9E38", back), 0);
	assert_memory_equal(back, guid, 16);
	assert_int_equal(ad_guid_uuid(guid, 15, out, sizeof(out)), -1);
	assert_int_equal(ad_uuid_guid("f7cc07d7-7c15-447d-876d-c01b0e5a9e3", back), -1);
	assert_int_equal(ad_uuid_guid("f7cc07d77c15-447d-876d-c01b0e5a9e38x", back), -1);
}

static void guid_base64(void **st)
{
	char out[32];
	unsigned char z[16] = {0};

	(void)st;
	assert_int_equal(ad_guid_base64(guid, 16, out, sizeof(out)), 0);
	assert_string_equal(out, "1wfM9xV8fUSHbcAbDlqeOA==");
	assert_int_equal(ad_guid_base64(z, 16, out, sizeof(out)), 0);
	assert_string_equal(out, "AAAAAAAAAAAAAAAAAAAAAA==");
	assert_int_equal(ad_guid_base64(guid, 3, out, sizeof(out)), -1);
}

static void uac(void **st)
{
	(void)st;
	assert_int_equal(ad_uac_disabled("512"), 0);      /* normal account */
	assert_int_equal(ad_uac_disabled("514"), 1);      /* + disabled */
	assert_int_equal(ad_uac_disabled("66050"), 1);    /* + pwd never expires */
	assert_int_equal(ad_uac_disabled("66048"), 0);
	assert_int_equal(ad_uac_disabled(""), -1);
	assert_int_equal(ad_uac_disabled("51x"), -1);
	assert_int_equal(ad_uac_disabled(NULL), -1);
}

static void filetime(void **st)
{
	char iso[40];

	(void)st;
	/* 133500000000000000 -> 2024-01-17 21:20 UTC */
	assert_int_equal(ad_filetime_unix("133500000000000000"), 1705526400);
	ad_iso(ad_filetime_unix("133500000000000000"), iso, sizeof(iso));
	assert_string_equal(iso, "2024-01-17T21:20:00Z");
	assert_int_equal(ad_filetime_unix("116444736000000000"), 0);
	assert_true(ad_filetime_unix("0") == AD_NO_TIME);
	assert_true(ad_filetime_unix("9223372036854775807") == AD_NO_TIME);
	assert_true(ad_filetime_unix("12a") == AD_NO_TIME);
}

static void gentime(void **st)
{
	(void)st;
	assert_int_equal(ad_gentime_unix("20240102120000.0Z"), 1704196800);
	assert_int_equal(ad_gentime_unix("20240102120000Z"), 1704196800);
	assert_int_equal(ad_gentime_unix("20240102130000+0100"), 1704196800);
	assert_int_equal(ad_gentime_unix("202401021200Z"), 1704196800);
	assert_true(ad_gentime_unix("20240102120000") == AD_NO_TIME);
	assert_true(ad_gentime_unix("20241302120000Z") == AD_NO_TIME);
	assert_true(ad_gentime_unix("2024") == AD_NO_TIME);
}

static void dn_parent(void **st)
{
	(void)st;
	assert_string_equal(ad_dn_parent("CN=Ann,OU=Eng,DC=corp,DC=example"),
			    "OU=Eng,DC=corp,DC=example");
	assert_string_equal(ad_dn_parent("CN=Smith\\, Ann,OU=Eng,DC=x"),
			    "OU=Eng,DC=x");
	assert_string_equal(ad_dn_parent("DC=x"), "");
}

static void dn_within(void **st)
{
	(void)st;
	assert_int_equal(ad_dn_within("OU=Pulse,DC=corp,DC=example",
				      "dc=corp,dc=example"), 1);
	assert_int_equal(ad_dn_within("DC=corp,DC=example", "DC=corp,DC=example"), 1);
	assert_int_equal(ad_dn_within("OU=a\\,DC=corp,DC=example,DC=x",
				      "DC=corp,DC=example"), 0);
	assert_int_equal(ad_dn_within("OU=x,DC=notcorp,DC=example",
				      "DC=corp,DC=example"), 0);
	assert_int_equal(ad_dn_within("DC=corp,DC=example", ""), 0);
}

static void range(void **st)
{
	long lo, hi;

	(void)st;
	assert_int_equal(ad_range_parse("member;range=0-1499", &lo, &hi), 1);
	assert_int_equal(lo, 0);
	assert_int_equal(hi, 1499);
	assert_int_equal(ad_range_parse("Member;Range=1500-*", &lo, &hi), 1);
	assert_int_equal(lo, 1500);
	assert_int_equal(hi, -1);
	assert_int_equal(ad_range_parse("member", &lo, &hi), 0);
	assert_int_equal(ad_range_parse("member;range=5-2", &lo, &hi), 0);
	assert_int_equal(ad_range_parse("member;range=x-*", &lo, &hi), 0);
	assert_int_equal(ad_range_parse("memberOf;range=0-*", &lo, &hi), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(guid_uuid),
		cmocka_unit_test(guid_base64),
		cmocka_unit_test(uac),
		cmocka_unit_test(filetime),
		cmocka_unit_test(gentime),
		cmocka_unit_test(dn_parent),
		cmocka_unit_test(dn_within),
		cmocka_unit_test(range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
