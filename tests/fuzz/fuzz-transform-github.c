/* Fuzz target: the GitHub source's transform (GraphQL and REST pages)
 * over raw page bodies (tests/fuzz/transform.c says how the input is read:
 * byte 0 picks the page kind, then "PARAMS\0BODY" or BODY). The oracle:
 * no crash, leak or UB, every record finished, every refusal explained. */
#include "config.h"

#include "fuzz.h"
#include "plugins.h"
#include "transform.h"

/* The raw page kinds the plugin's extract stores. */
static const char *const kinds[] = {"repositories", "pull_requests", "pull_request_children",
				    "deployments", "deployment_statuses",
				    "deployment_compare", "releases"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_transform(fuzz_plugin("github", "source-github", "github.so"),
		       "{\"tokens\": \"fuzz-token\", \"releases_as_deployments\": true}",
		       kinds, sizeof(kinds) / sizeof(kinds[0]), data, size);
	return 0;
}
