/*
 * source-github extract internals, shared by the extract's files:
 *   client.c       REST and GraphQL requests, state keys, error texts
 *   repos.c        which repositories: the org's listing, `repos`
 *   prs.c          pull requests (GraphQL) with their nested pages
 *   deployments.c  deployments, statuses, compares; releases
 *   extract.c      the driver
 */
#ifndef GH_EXTRACT_H
#define GH_EXTRACT_H

#include <stddef.h>
#include <stdint.h>

#include "github.h"
#include "kit.h"

struct json_object;

/* One extract run. */
struct gh {
	pulse_job *job;
	struct kt_sink pages;   /* where responses are stored, and how many */
	char *rest;
	char *graphql;
	const char *env_re;
	int64_t since;          /* -1: none */
	int releases;
	int64_t last_reset;     /* GraphQL resetAt from the last rateLimit */
};

/* A repository in the sync's scope. */
struct repo {
	char *full;             /* as GitHub spells it */
	char id[256];           /* lower case */
	char *owner, *name;
	int configured;         /* named in `repos`: missing is an error */
};

/* client.c */
int32_t gh_oom(struct gh *g);
/* State value of prefix+repo, with "" meaning absent (state keys are
 * cleared that way). The caller frees with gh_api->free. */
char *gh_state(struct gh *g, const char *prefix, const char *repo);
int32_t gh_state_put(struct gh *g, const char *prefix, const char *repo,
		     const char *value);
/* GET with the integration's token; on PULSE_OK *resp is the caller's. */
int32_t gh_rest_get(struct gh *g, const char *url, int conditional,
		    pulse_http_response **resp);
/* The "message" of an error body, for error texts, into out. */
void gh_body_msg(const pulse_http_response *r, char *out, size_t n);
/* The rel="next" URL of r's Link header, or NULL; the caller frees. */
char *gh_next_url(const pulse_http_response *r);
/* Every page of a REST listing from url (taken over), stored as entity
 * with params; an answer other than 200 ends it with a warning naming
 * repo and what. Pages go to fn (may be NULL) before they are stored. */
typedef void (*gh_page_fn)(struct json_object *body, void *arg);
int32_t gh_rest_pages(struct gh *g, char *url, const char *entity,
		      const char *params, const char *params_more,
		      const char *repo, const char *what, gh_page_fn fn,
		      void *arg);
/* Find an error of one of the given types (NULL-terminated) in a
 * GraphQL answer; borrowed from doc. */
struct json_object *gh_gql_error(struct json_object *doc,
				 const char *const *types);
/* POST one GraphQL query; see client.c. */
int32_t gh_gql(struct gh *g, const char *query, struct json_object *vars,
	       pulse_http_response **resp, struct json_object **doc);

/* repos.c */
void gh_repo_free(struct repo *r);
/* Add owner/name (not owner/name: ignored) unless there; -1 no memory. */
int gh_repo_add(struct repo **v, size_t *n, const char *full, int configured);
int32_t gh_list_org(struct gh *g, const char *org, struct repo **v, size_t *n);
int32_t gh_get_repo(struct gh *g, const char *full);

/* prs.c: 1 = the repository vanished since listed (skip it). */
int32_t gh_sync_prs(struct gh *g, struct repo *repo);

/* deployments.c */
int32_t gh_sync_deployments(struct gh *g, struct repo *repo);
int32_t gh_sync_releases(struct gh *g, struct repo *repo);

#endif
