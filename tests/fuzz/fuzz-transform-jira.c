/* Fuzz target: the Jira source's transform (REST pages)
 * over raw page bodies (tests/fuzz/transform.c says how the input is read:
 * byte 0 picks the page kind, then "PARAMS\0BODY" or BODY). The oracle:
 * no crash, leak or UB, every record finished, every refusal explained. */
#include "config.h"

#include "fuzz.h"
#include "plugins.h"
#include "transform.h"

/* The raw page kinds the plugin's extract stores. */
static const char *const kinds[] = {"projects", "statuses", "issue_types", "workflows",
				    "sprints", "issues", "changelogs",
				    "issue_changelog", "dev_status", "issue_ids"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_transform(fuzz_plugin("jira", "source-jira", "jira.so"),
		       "{\"base_url\": \"https://jira.example.com\", \"email\": \"fuzz@example.com\", \"api_token\": \"fuzz-token\"}",
		       kinds, sizeof(kinds) / sizeof(kinds[0]), data, size);
	return 0;
}
