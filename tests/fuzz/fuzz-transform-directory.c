/* Fuzz target: the directory sources' transforms, Entra ID (Graph pages)
 * and Active Directory (LDAP search results as the plugin stores them),
 * over raw page bodies. Byte 0's top bit picks the plugin, the rest of
 * the input is read as tests/fuzz/transform.c says (byte 0 also picks the
 * page kind). The oracle: no crash, leak or UB, every record finished,
 * every refusal explained. */
#include "config.h"

#include "fuzz.h"
#include "plugins.h"
#include "transform.h"

/* The raw page kinds each plugin's extract stores. */
static const char *const entra_kinds[] = {"users", "groups"};
static const char *const ad_kinds[] = {"org_units", "users", "groups",
				       "deletes"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 0x80)
		fuzz_transform(fuzz_plugin("ad", "source-ad", "ad.so"),
			       "{\"url\": \"ldap://127.0.0.1\", \"bind_dn\": "
			       "\"cn=fuzz\", \"bind_password\": \"fuzz\"}",
			       ad_kinds, 4, data, size);
	else
		fuzz_transform(fuzz_plugin("entra", "source-entra", "entra.so"),
			       "{\"tenant\": \"fuzz-tenant\", \"client_id\": "
			       "\"fuzz-client\", \"client_secret\": \"fuzz\"}",
			       entra_kinds, 2, data, size);
	return 0;
}
