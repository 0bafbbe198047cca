/*
 * route_fixture: what test-route and test-route-policy share - a private
 * database (PULSE_TEST_PG_ADMIN_URL), two OpenAI sandboxes, the gateway
 * plugins and the test-only lexical-local embedder, and a test clock whose
 * waits the asserts read (nothing sleeps).
 */
#ifndef PULSE_TEST_ROUTE_FIXTURE_H
#define PULSE_TEST_ROUTE_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "ai/route.h"
#include "ai/route_int.h"
#include "base/conf.h"
#include "base/crypto.h"
#include "db/db.h"
#include "plugin/loader.h"

/* The gateways' API key, as integration secrets. */
#define KEY "{\"api_key\": \"sk-test-SECRET-0123456789\"}"

extern PGconn *rt_admin, *rt_app;
extern struct loader rt_ld;
extern struct crypto_key rt_key;
extern char rt_sb_url[2][64];
extern int64_t rt_tenant_a, rt_tenant_b;
extern struct ai_ctx rt_actx;

/* The test clock: every wait the router asked for, in order. */
extern uint64_t rt_clk_now;
extern uint64_t rt_waits[64];
extern size_t rt_nwaits;

/* cmocka group set-up, tear-down and per-test reset (rt_reset_state:
 * the waits and the router's cooldowns only). */
void rt_reset_state(void);
int rt_setup(void **state);
int rt_teardown(void **state);
int rt_each(void **state);

/* The first value of sql's first row; the caller frees it. */
char *rt_sql1(PGconn *c, const char *sql);
long rt_count(const char *sql);
/* A shell command's stdout; the caller frees it. */
char *rt_run(const char *fmt, ...);

void rt_sb_post(int s, const char *path, const char *json);
void rt_sb_reset(int s);
void rt_fault(int s, const char *json);
/* A value of sandbox s's stats by a JS expression over d (text: caller frees). */
long rt_sb_stat(int s, const char *expr);
char *rt_sb_stat_text(int s, const char *expr);

int64_t rt_add_integration(int64_t tenant, const char *name,
			   const char *type, const char *plugin,
			   const char *settings, const char *secrets);
void rt_drop_integrations(void);
/* "outcome,outcome,..." of tenant's usage rows, oldest first; caller frees. */
char *rt_outcomes(int64_t tenant);
void rt_assert_outcomes(const char *want);
void rt_clear_usage(void);

/* Gateway settings for sandbox s into buf (returned). */
const char *rt_gw(int s, const char *extra, char *buf, size_t len);
int rt_chat1(int64_t tenant, const char *text, struct ai_chat_reply *out,
	     char *err, size_t errlen);
/* gw-a (sandbox 0) then gw-b (sandbox 1) on tenant a's query route. */
void rt_two_gateways(const char *a_extra);
/* gateway-embed on sandbox 0 plus lexical-local, routed as route says. */
void rt_gw_embed_pair(const char *a_extra, const char *route);

#endif
