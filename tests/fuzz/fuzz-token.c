/* Fuzz target: the API token a client sends (Authorization: Bearer, or
 * ?token= on the WebSocket handshake), verified with a fixed key. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "server/auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char key[32] = "fuzz-key-fuzz-key-fuzz-key-fuzz";
	struct auth_policy pol = {AUTH_DEFAULT_SKEW_S, 3600};
	struct auth_claims c;
	char err[512], *tok = malloc(size + 1);
	int rc;

	if (!tok)
		return 0;
	memcpy(tok, data, size);
	tok[size] = '\0';
	(void)auth_json_has_duplicate_key(tok, size);
	rc = auth_token_verify_ex(key, sizeof(key), tok, 1000000, &pol, &c, err,
				  sizeof(err));
	/* Accepted claims are always complete and within the policy. */
	if (rc == 0 && (c.tenant <= 0 || c.role < 1 || c.exp <= 1000000 ||
			c.exp > c.iat + 3600))
		abort();
	free(tok);
	return 0;
}
