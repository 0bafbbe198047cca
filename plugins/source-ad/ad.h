/*
 * source-ad: internal declarations shared by the plugin's files. Nothing
 * here is exported; the only public symbol is pulse_plugin_entry_v1 (ad.c).
 *
 *   ad.c         config table, validation, plugin info
 *   conn.c       connect, TLS, bind, errors with their remedies
 *   search.c     paged searches, ranged `member` retrieval, entries -> JSON
 *   index.c      what the last sync saw (state): DN <-> GUID, members
 *   extract.c    the driver: full or incremental, deletions, pages
 *   emit.c       raw pages filled as entries arrive; entries set aside
 *   transform.c  pages -> directory_* records
 *   values.c     AD value conversions (values.h)
 */
#ifndef AD_AD_H
#define AD_AD_H

#include <stddef.h>
#include <stdint.h>

#include <pulse-host/plugin.h>

#include "kit.h"
#include "values.h"

struct json_object;
struct ldap;

PULSE_PLUGIN_EXTERN(ad_api, ad_host);

/* Raw page entities. */
#define AD_RAW_OUS "org_units"
#define AD_RAW_USERS "users"
#define AD_RAW_GROUPS "groups"
#define AD_RAW_DELETES "deletes"

/* State keys. */
#define AD_ST_USN "usn"               /* highestCommittedUSN before the sync */
#define AD_ST_INVOCATION "invocation" /* the DC's invocationID */
#define AD_ST_DSA "dsa"               /* the DC's dsServiceName */
#define AD_ST_INDEX "index"           /* index.c's JSON */
#define AD_ST_SINCE "since_reconcile" /* incrementals since a key-set scan */

#define AD_DEFAULT_USER_FILTER "(&(objectCategory=person)(objectClass=user))"
#define AD_DEFAULT_GROUP_FILTER "(objectClass=group)"
#define AD_DEFAULT_OU_FILTER "(objectClass=organizationalUnit)"
#define AD_DEFAULT_PAGE_SIZE 500
#define AD_DEFAULT_RECONCILE_EVERY 24
/* Entries per stored raw page: LDAP pages are re-cut to this. */
#define AD_ENTRIES_PER_RAW 500
/* Groups per raw page are also cut by their member count. */
#define AD_MEMBERS_PER_RAW 20000

/* The DC as the rootDSE describes it. */
struct ad_dsa {
	char *naming_context;   /* defaultNamingContext */
	char *service;          /* dsServiceName (DN of the DC's NTDS Settings) */
	char *invocation;       /* its invocationId, as a UUID or text */
	int64_t usn;            /* highestCommittedUSN; -1 unknown */
	int show_deleted;       /* 1.2.840.113556.1.4.417 listed */
};

/* One extract run. */
struct ad {
	pulse_job *job;
	struct ldap *ld;
	const char *url, *base, *bind_dn;   /* borrowed from the config */
	const char *user_filter, *group_filter, *ou_filter;
	int page_size;
	uint64_t round_trips;               /* LDAP requests answered */
	uint64_t users, groups, ous, member_links, lookups;
	struct kt_sink pages;
	struct ad_dsa dsa;
};

/* conn.c: connect and bind (g->ld set), or fail the job with a remedy. */
int32_t ad_connect(struct ad *g);
void ad_disconnect(struct ad *g);
/* An LDAP error as a failure of the job: what, where, and what to do. */
int32_t ad_fail_ldap(struct ad *g, int rc, const char *what);
int32_t ad_oom(struct ad *g);

/* search.c */
/* Read the rootDSE and the DC's invocationId into g->dsa. */
int32_t ad_read_dsa(struct ad *g);
void ad_dsa_free(struct ad_dsa *d);
/* Kinds of entries, for the conversion. */
#define AD_KIND_USER 1
#define AD_KIND_GROUP 2
#define AD_KIND_OU 3
#define AD_KIND_KEY 4     /* only the objectGUID (key-set scans) */
/* A paged subtree search of base for filter; each entry converted to
 * JSON is handed to cb (which takes ownership). Groups get their complete
 * `member` list (ranged retrieval). extra_ctrl (may be NULL) is added to
 * the paged control, e.g. show-deleted. */
typedef int32_t (*ad_entry_cb)(struct ad *g, struct json_object *e, void *arg);
int32_t ad_search(struct ad *g, const char *filter, int kind,
		  const char *extra_ctrl, ad_entry_cb cb, void *arg);
/* The same below base instead of the configured base_dn. */
int32_t ad_search_in(struct ad *g, const char *base, const char *filter,
		     int kind, const char *extra_ctrl, ad_entry_cb cb, void *arg);
/* The objectGUID (UUID) and kind of one DN (base search); 1 found, 0
 * not, or a failure class. */
int32_t ad_lookup_dn(struct ad *g, const char *dn, char *uuid, size_t n,
		     const char **kind);

/* index.c: what the last sync saw, saved in state between syncs.
 *   {"u": {guid: dn}, "g": {guid: {"dn": dn, "m": [member guids]}},
 *    "o": {guid: dn}}
 * plus an in-memory map of lower-cased DN -> guid for resolution. */
struct ad_index {
	struct json_object *root;
	struct json_object *by_dn;   /* lower(dn) -> guid */
};
int ad_index_load(struct ad_index *x, const char *text);   /* 0, -1 bad */
void ad_index_init_empty(struct ad_index *x);
void ad_index_free(struct ad_index *x);
/* section "u", "g" or "o" */
struct json_object *ad_index_section(struct ad_index *x, const char *sec);
void ad_index_put(struct ad_index *x, const char *sec, const char *guid,
		  const char *dn);
void ad_index_remove(struct ad_index *x, const char *sec, const char *guid);
/* guid of dn (any section), or NULL; borrowed. */
const char *ad_index_find_dn(struct ad_index *x, const char *dn);
/* Free the DN -> guid map (ad_index_find_dn finds nothing after). */
void ad_index_drop_dns(struct ad_index *x);
/* The member list of a group (json array) or NULL; borrowed. */
struct json_object *ad_index_members(struct ad_index *x, const char *guid);
/* Replace a group's member list (takes the array). */
void ad_index_set_members(struct ad_index *x, const char *guid,
			  struct json_object *arr);

/* emit.c: a raw page of one entity being filled; stored when it holds
 * AD_ENTRIES_PER_RAW entries or AD_MEMBERS_PER_RAW member links. entity
 * and params are borrowed; chunk is owned. */
struct ad_pager {
	const char *entity, *params;
	struct json_object *chunk;
	size_t members;
};
void ad_pager_init(struct ad_pager *p, const char *entity, const char *params);
/* Takes e (also on failure). */
int32_t ad_pager_add(struct ad *g, struct ad_pager *p, struct json_object *e);
int32_t ad_pager_flush(struct ad *g, struct ad_pager *p);
void ad_pager_free(struct ad_pager *p);
/* Entries set aside as JSON text (owned) until the DNs they name are
 * known. ad_defer takes e: 0, -1 no memory. ad_deferred_take returns
 * entry i parsed (the caller puts it; NULL if no memory). */
struct ad_deferred {
	char **text;
	size_t n, cap;
};
int ad_defer(struct ad_deferred *d, struct json_object *e);
struct json_object *ad_deferred_take(struct ad_deferred *d, size_t i);
void ad_deferred_free(struct ad_deferred *d);

int32_t ad_extract(void *state, pulse_job *job);
int32_t ad_transform(void *state, pulse_job *job, const pulse_raw_page *page);

#endif
