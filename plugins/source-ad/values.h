/*
 * source-ad values: Active Directory attribute values as the warehouse
 * keeps them. Pure functions (no LDAP, no host), so the unit test
 * (tests/unit/test-ad-values.c) checks them against known vectors.
 */
#ifndef AD_VALUES_H
#define AD_VALUES_H

#include <stddef.h>
#include <stdint.h>

/* KT_NO_TIME-like marker for "no time" (never / absent). */
#define AD_NO_TIME INT64_MIN

/* objectGUID (16 bytes, first three fields little-endian) as a UUID
 * string into out (>= 37 bytes). -1 if len is not 16. */
int ad_guid_uuid(const unsigned char *b, size_t len, char *out, size_t n);
/* The same 16 bytes as base64 (Entra's onPremisesImmutableId), into out
 * (>= 25 bytes). -1 if len is not 16. */
int ad_guid_base64(const unsigned char *b, size_t len, char *out, size_t n);
/* Back from the UUID string to the 16 wire bytes; -1 if malformed. */
int ad_uuid_guid(const char *uuid, unsigned char out[16]);

/* userAccountControl text: 1 disabled (bit 0x2), 0 enabled, -1 bad. */
int ad_uac_disabled(const char *uac);

/* FILETIME (100 ns ticks since 1601) text to unix seconds; AD_NO_TIME for
 * 0, "never" (9223372036854775807) or malformed text. */
int64_t ad_filetime_unix(const char *v);
/* GeneralizedTime ("20240102120000.0Z", fraction and zone optional, Z or
 * +hhmm) to unix seconds; AD_NO_TIME if malformed. */
int64_t ad_gentime_unix(const char *v);
/* unix seconds as ISO-8601 UTC ("2024-01-02T12:00:00Z") into out. */
void ad_iso(int64_t t, char *out, size_t n);

/* The parent of a DN (after its first unescaped comma), or "" if it has
 * none. Borrowed pointer into dn. */
const char *ad_dn_parent(const char *dn);
/* 1 if dn is nc or lies below it (whole components, case-insensitive). */
int ad_dn_within(const char *dn, const char *nc);

/* A `member;range=LO-HI` attribute description: 1 with *lo set and *hi
 * set (-1 for `*`, the end marker); 0 if desc is not a ranged `member`. */
int ad_range_parse(const char *desc, long *lo, long *hi);

#endif
