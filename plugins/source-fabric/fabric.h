/*
 * source-fabric: internal declarations shared by the plugin's files.
 * Nothing here is exported; the only public symbol is
 * pulse_plugin_entry_v1 (fabric.c).
 */
#ifndef FB_FABRIC_H
#define FB_FABRIC_H

#include <stddef.h>
#include <stdint.h>

#include <pulse-host/plugin.h>

#include "kit.h"

PULSE_PLUGIN_EXTERN(fb_api, fb_host);

/* Raw page entities. */
#define FB_RAW_ITEMS "items"       /* a page of a workspace's items */
#define FB_RAW_WORKSPACE "workspace" /* a workspace's git connection */
#define FB_RAW_RUNS "runs"         /* a page of an item's job instances */
#define FB_RAW_DEPLOYS "deploys"   /* a pipeline's deploy operations */
#define FB_RAW_GQL "gql"           /* a page of a GraphQL entity */

#define FB_DEFAULT_AUTHORITY "https://login.microsoftonline.com"
#define FB_DEFAULT_API "https://api.fabric.microsoft.com"
/* The token audience is always Fabric's, also when api_url points to a
 * stand-in: Entra issues one token per resource. */
#define FB_SCOPE "https://api.fabric.microsoft.com/.default"
/* Waits on 429 and retries of retriable errors, per request. */
#define FB_MAX_TRIES 6
/* GraphQL incrementals re-read this much before the watermark, for rows
 * committed late with an older `updated` value. */
#define FB_GQL_OVERLAP_S 300
#define FB_GQL_PAGE 500

struct fb {
	pulse_job *job;
	pulse_oauth2_client cred;
	char *api;                /* REST base, no trailing slash; owned */
	struct kt_sink pages;
	uint64_t calls, waits, warnings, runs_pages, deploy_pages, gql_pages;
	char fetched_at[32];
};

/* client.c: one Fabric request with the service principal's token.
 * 429 waits Retry-After; 5xx and errors with isRetriable: true are
 * retried; isRetriable: false and other statuses come back to the caller
 * (*resp set, release it). body: NULL for GET. */
int32_t fb_call(struct fb *g, const char *method, const char *url,
		const char *body, uint32_t timeout_ms,
		pulse_http_response **resp);
/* The errorCode and message of a Fabric error body, for messages. */
void fb_error_text(const pulse_http_response *r, char *out, size_t n);
int32_t fb_oom(struct fb *g);

int32_t fb_extract(void *state, pulse_job *job);
int32_t fb_graphql(struct fb *g); /* graphql.c: every configured entity */
int32_t fb_transform(void *state, pulse_job *job, const pulse_raw_page *page);

#endif
