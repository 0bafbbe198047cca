/*
 * source-github repositories: the sync's scope, from the org's listing
 * (page 1 conditional; on 304 the list saved by the last complete
 * listing, state key repo_list) and the repositories named in `repos`.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extract.h"

void gh_repo_free(struct repo *r)
{
	free(r->full);
	free(r->owner);
	free(r->name);
}

int gh_repo_add(struct repo **v, size_t *n, const char *full, int configured)
{
	struct repo *nv, *r;
	char id[256];
	const char *slash;
	size_t i;

	if (gh_repo_id(full, id, sizeof(id)) < 0)
		return 0; /* not owner/name: ignore */
	for (i = 0; i < *n; i++)
		if (strcmp((*v)[i].id, id) == 0) {
			(*v)[i].configured |= configured;
			return 0;
		}
	nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (!nv)
		return -1;
	*v = nv;
	r = &nv[*n];
	memset(r, 0, sizeof(*r));
	slash = strchr(full, '/');
	r->full = strdup(full);
	r->owner = strndup(full, (size_t)(slash - full));
	r->name = strdup(slash + 1);
	memcpy(r->id, id, sizeof(id));
	r->configured = configured;
	if (!r->full || !r->owner || !r->name) {
		gh_repo_free(r);
		return -1;
	}
	(*n)++;
	return 0;
}

/* Collect "full_name"s of a JSON array (a repos page or a stored list). */
static int repo_add_all(struct repo **v, size_t *n, struct json_object *arr,
			struct json_object *names)
{
	size_t i;

	for (i = 0; arr && json_object_is_type(arr, json_type_array) &&
	     i < json_object_array_length(arr); i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);
		const char *f = json_object_is_type(e, json_type_string) ?
			json_object_get_string(e) : pj_str(e, "full_name");

		if (!f)
			continue;
		if (gh_repo_add(v, n, f, 0) < 0)
			return -1;
		if (names)
			json_object_array_add(names, json_object_new_string(f));
	}
	return 0;
}

/* The org's repositories: page 1 conditionally; on 304 the list saved by
 * the last complete listing. */
int32_t gh_list_org(struct gh *g, const char *org, struct repo **v, size_t *n)
{
	char *url = NULL, *saved = gh_state(g, "repo_list", "");
	struct json_object *names = json_object_new_array(), *stored;
	pulse_http_response *r = NULL;
	int cond = 1, page = 0;
	int32_t rc = PULSE_ERR;

	url = kt_asprintf("%s/orgs/%s/repos?type=all&sort=pushed&direction=desc"
			"&per_page=100", g->rest, org);
	if (!url || !names) {
		rc = gh_oom(g);
		goto out;
	}
	while (url) {
		struct json_object *arr;
		char *next;

		rc = gh_rest_get(g, url, cond && page == 0, &r);
		if (rc != PULSE_OK)
			goto out;
		if (gh_api->http_status(r) == 304) {
			gh_api->http_release(r);
			r = NULL;
			if (!saved) {
				cond = 0; /* the list is gone from state: fetch it */
				continue;
			}
			stored = json_tokener_parse(saved);
			rc = repo_add_all(v, n, stored, NULL) < 0 ? gh_oom(g) : PULSE_OK;
			json_object_put(stored);
			json_object_put(names);
			names = NULL; /* keep the saved list */
			gh_api->log(gh_host, PULSE_LOG_DEBUG, "org=%s repos=not_modified", org);
			break;
		}
		if (gh_api->http_status(r) != 200) {
			char msg[200];

			gh_body_msg(r, msg, sizeof(msg));
			rc = gh_api->fail(g->job, PULSE_ERR_PERMANENT,
					  "organization \"%s\" could not be listed (%u %s); "
					  "check `org` and the token's access", org,
					  gh_api->http_status(r), msg);
			goto out;
		}
		if ((rc = kt_page_store(&g->pages, GH_RAW_REPOS, "GET", url, NULL, r,
					NULL, NULL)) != PULSE_OK)
			goto out;
		arr = kt_page_json(gh_api, r);
		if (repo_add_all(v, n, arr, names) < 0) {
			json_object_put(arr);
			rc = gh_oom(g);
			goto out;
		}
		json_object_put(arr);
		next = gh_next_url(r);
		gh_api->http_release(r);
		r = NULL;
		free(url);
		url = next;
		page++;
	}
	if (names)
		rc = gh_state_put(g, "repo_list", "", json_object_to_json_string_ext(
				       names, JSON_C_TO_STRING_PLAIN));
out:
	gh_api->http_release(r);
	json_object_put(names);
	gh_api->free(saved);
	free(url);
	return rc;
}

/* A repository named in `repos`: it must exist. */
int32_t gh_get_repo(struct gh *g, const char *full)
{
	char *url = kt_asprintf("%s/repos/%s", g->rest, full);
	pulse_http_response *r = NULL;
	int32_t rc;
	uint32_t st;

	if (!url)
		return gh_oom(g);
	rc = gh_rest_get(g, url, 1, &r);
	if (rc != PULSE_OK)
		goto out;
	st = gh_api->http_status(r);
	if (st == 404) {
		rc = gh_api->fail(g->job, PULSE_ERR_PERMANENT,
				  "repository %s not found (404); check `repos` and "
				  "that the token can read it", full);
	} else if (st == 200) {
		rc = kt_page_store(&g->pages, GH_RAW_REPOS, "GET", url, NULL, r,
				   NULL, NULL);
	} else if (st != 304) {
		char msg[200];

		gh_body_msg(r, msg, sizeof(msg));
		rc = gh_api->fail(g->job, PULSE_ERR_PERMANENT, "repository %s: "
				  "GitHub answered %u %s", full, st, msg);
	}
out:
	gh_api->http_release(r);
	free(url);
	return rc;
}
