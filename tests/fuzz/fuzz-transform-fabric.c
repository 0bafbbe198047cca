/* Fuzz target: the Fabric source's transform (REST and GraphQL pages)
 * over raw page bodies (tests/fuzz/transform.c says how the input is read:
 * byte 0 picks the page kind, then "PARAMS\0BODY" or BODY). The oracle:
 * no crash, leak or UB, every record finished, every refusal explained. */
#include "config.h"

#include "fuzz.h"
#include "plugins.h"
#include "transform.h"

/* The raw page kinds the plugin's extract stores. */
static const char *const kinds[] = {"items", "workspace", "runs", "deploys", "gql"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_transform(fuzz_plugin("fabric", "source-fabric", "fabric.so"),
		       "{\"tenant_id\": \"fuzz-tenant\", \"client_id\": \"fuzz-client\", \"client_secret\": \"fuzz-secret\", \"since\": \"2026-01-01\"}",
		       kinds, sizeof(kinds) / sizeof(kinds[0]), data, size);
	return 0;
}
