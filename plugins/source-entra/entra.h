/*
 * source-entra: internal declarations shared by the plugin's files.
 * Nothing here is exported; the only public symbol is
 * pulse_plugin_entry_v1 (entra.c).
 */
#ifndef EN_ENTRA_H
#define EN_ENTRA_H

#include <stddef.h>
#include <stdint.h>

#include <pulse-host/plugin.h>

#include "kit.h"

PULSE_PLUGIN_EXTERN(en_api, en_host);

/* Raw page entities: one Graph delta page each. */
#define EN_RAW_USERS "users"
#define EN_RAW_GROUPS "groups"

#define EN_DEFAULT_AUTHORITY "https://login.microsoftonline.com"
#define EN_DEFAULT_GRAPH "https://graph.microsoft.com"
#define EN_SCOPE_SUFFIX "/.default"

/* Pace when Graph says this much of the app+tenant budget is used. */
#define EN_PACE_PERCENT 80
/* Resyncs (410, syncStateNotFound, resyncRequired) allowed per walk. */
#define EN_MAX_RESYNC 2

/* A set of object ids (known.c). */
struct en_ids {
	char **v;
	size_t n, cap;
};
int en_ids_add(struct en_ids *s, const char *id); /* 0, -1 no memory */
void en_ids_sort(struct en_ids *s);                /* sort + unique */
int en_ids_has(const struct en_ids *s, const char *id); /* sorted only */
void en_ids_free(struct en_ids *s);
/* Comma-separated text <-> set: parse adds to s (0, -1 no memory); join
 * returns malloc'ed text (NULL: no memory). */
int en_ids_parse(struct en_ids *s, const char *text);
char *en_ids_join(const struct en_ids *s);
/* How en_ids_reconcile keeps one known set (state key `key`). drop (may
 * be NULL) leaves ids out of the new set; store writes the page of
 * removals for the known ids a complete full round did not see. */
struct en_reconcile {
	const char *key, *url;
	int reconcile;
	int (*drop)(const char *id, const void *arg);
	const void *drop_arg;
	int32_t (*store)(pulse_job *job, const char *url, const void *arg,
			 const struct en_ids *gone);
	const void *store_arg;
};
/* The one reconcile of known.c: with how->reconcile (and a known set),
 * store the known ids seen lacks; then save the new known set (seen, or
 * the old set plus seen minus removed, removed sorted). *vanished: how
 * many were stored as removed. */
int32_t en_ids_reconcile(pulse_job *job, const struct en_reconcile *how,
			 struct en_ids *seen, const struct en_ids *removed,
			 uint64_t *vanished);
/* At the end of a walk's round (url: its delta link): with reconcile (a
 * full round run from its first page in this process), store the known
 * ids it did not see as a page of removals; then save the new known set.
 * seen and removed: the ids of the round's objects (removed sorted).
 * *vanished: how many were removed by the reconcile. */
int32_t en_known_finish(pulse_job *job, const char *walk, const char *url,
			int reconcile, struct en_ids *seen,
			const struct en_ids *removed, uint64_t *vanished);

/* Membership links ("group|member") of the groups walk (links.c), the
 * same way for links: with reconcile, the known links a complete full
 * round did not list are stored as a page of removed members@delta
 * entries; then the new known set is saved (state "groups.links").
 * seen/removed: the round's links; removed_groups: the groups Graph
 * removed (sorted), whose links are dropped from the set. */
#define EN_ST_LINKS "groups.links"
int32_t en_links_finish(pulse_job *job, const char *url, int reconcile,
			struct en_ids *seen, struct en_ids *removed,
			const struct en_ids *removed_groups, uint64_t *vanished);

int32_t en_extract(void *state, pulse_job *job);
int32_t en_transform(void *state, pulse_job *job, const pulse_raw_page *page);

#endif
