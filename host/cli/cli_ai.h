/* cli_ai: what `vectorize` and `search` need to reach the AI router. */
#ifndef PULSE_CLI_AI_H
#define PULSE_CLI_AI_H

#include <stdint.h>

#include "ai/route.h"
#include "base/crypto.h"
struct conf;
struct loader;

struct cli_ai {
	PGconn *db;
	struct crypto_key key;
	struct ai_ctx ctx;
	int64_t tenant;
};

/* Connect, resolve tenant (may be NULL: no tenant), load the key, fill
 * a->ctx with conf and ld (scanned plugins; borrowed). cmd names the
 * command in messages. 0, or -1 after printing why. Release with
 * cli_ai_close. */
int cli_ai_open(const struct conf *conf, struct loader *ld, const char *cmd,
		const char *tenant, struct cli_ai *a);
void cli_ai_close(struct cli_ai *a);

#endif
