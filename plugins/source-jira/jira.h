/*
 * source-jira: internal declarations shared by the plugin's files.
 * Nothing here is exported; the plugin's only public symbol is
 * pulse_plugin_entry_v1 (jira.c).
 */
#ifndef JR_JIRA_H
#define JR_JIRA_H

#include <stddef.h>
#include <stdint.h>

#include <pulse-host/plugin.h>

#include "pjson.h"

struct json_object;

/* The host API table and our handle, kept by init (read-only after). */
PULSE_PLUGIN_EXTERN(jr_api, jr_host);

/* Raw page entities (the plugin's own names, see docs/jira.md). */
#define JR_RAW_PROJECTS "projects"
#define JR_RAW_STATUSES "statuses"
#define JR_RAW_TYPES "issue_types"
#define JR_RAW_WORKFLOWS "workflows"
#define JR_RAW_SPRINTS "sprints"
#define JR_RAW_ISSUES "issues"
#define JR_RAW_CHANGELOGS "changelogs"          /* POST /changelog/bulkfetch */
#define JR_RAW_ISSUE_CHANGELOG "issue_changelog" /* GET /issue/{id}/changelog */
#define JR_RAW_DEV_STATUS "dev_status"
#define JR_RAW_ISSUE_IDS "issue_ids"            /* key-set reconciliation */

/* Incremental overlap: issues updated this long before the watermark are
 * fetched again (JQL compares to the minute; clocks and indexing lag). */
#define JR_OVERLAP_S (15 * 60)

/* Config defaults (also in the config table). */
#define JR_DEFAULT_RECONCILE_EVERY 8

/* "No time" for the time helpers. */
#define JR_NO_TIME INT64_MIN

/* ------------------------------------------------- extract.c, issues.c */

struct jr_tz;

/* A project in the sync's scope. */
struct jr_proj {
	char id[32];   /* numeric id: JQL, state keys, project_external_id */
	char key[80];
};

/* One extract run. */
struct jr {
	pulse_job *job;
	char *base;               /* the site, without a trailing slash */
	struct jr_tz *tz;         /* the API user's zone; NULL = not known */
	char tzname[80];
	int64_t since_ms;         /* `since`, or JR_NO_TIME */
	char sprint_field[80];    /* custom field ids found in /field, or "" */
	char points_field[80];
	struct jr_proj *proj;     /* the scope, in key order */
	size_t nproj;
	int dev_status;           /* 1: fetch links; 0: off or tripped */
	int dev_tripped;          /* stopped after DEV_TRIP failures */
	int dev_fail_run;         /* consecutive dev-status failures */
	uint64_t dev_failures, dev_pages;
	int bulk_unsupported;     /* /changelog/bulkfetch answered 404 */
	uint64_t stored, requests, issues;
	uint64_t prog_done, prog_total;
	char prog_step[120];
	int64_t near_logged;      /* requests count at the last NearLimit log */
};

extern const char *const jr_get_headers[];
extern const char *const jr_post_headers[];

/* GET (body NULL) or POST body to url with the integration's basic auth.
 * On PULSE_OK *resp is set (the caller releases it). */
int32_t jr_call(struct jr *g, const char *method, const char *url,
		struct json_object *body, uint32_t flags,
		pulse_http_response **resp);
/* Store resp as a raw page; ckey/cval are an optional checkpoint. */
int32_t jr_store(struct jr *g, const char *entity, const char *method,
		 const char *url, const char *params,
		 const pulse_http_response *resp, const char *ckey,
		 const char *cval);
/* The body parsed (NULL if empty or not JSON); the caller puts it. */
struct json_object *jr_body(const pulse_http_response *r);
/* Jira's {"errorMessages":[..],"errors":{..}} as one line, into out. */
void jr_errmsg(const pulse_http_response *r, char *out, size_t n);
/* Progress of the current step (also re-shown after rate-limit notes). */
void jr_progress(struct jr *g, const char *step, uint64_t done,
		 uint64_t total);
int32_t jr_oom(struct jr *g);
/* malloc'ed printf; NULL when out of memory. */
char *jr_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* issues.c: the issue walks, changelogs, dev-status links and the
 * key-set reconciliation. */
int32_t jr_sync_issues(struct jr *g);

int32_t jr_extract(void *state, pulse_job *job);

/* transform.c */
int32_t jr_transform(void *state, pulse_job *job, const pulse_raw_page *page);

/* ------------------------------------------------------------- util.c */

/* Jira/ISO-8601 date-time to epoch milliseconds: "2026-08-29T16:30:00.000
 * -0700", "...Z", "...+07:00", or a bare date (midnight UTC). JR_NO_TIME
 * if it does not parse. */
int64_t jr_parse_time_ms(const char *s);
/* Epoch milliseconds to "YYYY-MM-DDTHH:MM:SS.mmmZ" (n >= 25). */
void jr_format_utc(int64_t ms, char *out, size_t n);
/* Epoch seconds of a civil UTC date-time (no TZ involved). */
int64_t jr_civil_to_epoch(int64_t y, int mon, int d, int h, int mi, int s);
/* Civil UTC date of epoch seconds t; any output pointer may be NULL. */
void jr_epoch_to_civil(int64_t t, int64_t *y, int *mon, int *d, int *h,
		       int *mi, int *s);

/* A string or integer member as text (ids come as either), into buf;
 * NULL if absent. */
const char *jr_idstr(struct json_object *o, const char *key, char *buf,
		     size_t n);

/*
 * Sets of numeric ids (issue ids). Sorted and unique after jr_ids_sort;
 * stored in integration state as ranges: "10000-10059,10061".
 */
struct jr_ids {
	int64_t *v;
	size_t n, cap;
};
int jr_ids_add(struct jr_ids *s, int64_t id);      /* 0, -1 no memory */
void jr_ids_sort(struct jr_ids *s);                /* sort + unique */
int jr_ids_has(const struct jr_ids *s, int64_t id); /* sorted set */
void jr_ids_free(struct jr_ids *s);
/* Parse ranges text (NULL or "" = empty) and add to s. -1 if malformed
 * or out of memory. */
int jr_ids_parse(struct jr_ids *s, const char *text);
/* Ranges text of a sorted set; malloc'ed, the caller frees. NULL when
 * out of memory. */
char *jr_ids_format(const struct jr_ids *s);

/* -------------------------------------------------------------- tz.c
 * Offsets of IANA time zones, read from the system's compiled zoneinfo
 * (TZif files, RFC 8536) by our own code: no TZ environment variable, no
 * tzset(), so it is safe with any number of threads. See docs/jira.md.
 */
struct jr_tz;
/* Load zone name (e.g. "America/Los_Angeles") from $TZDIR or
 * /usr/share/zoneinfo. NULL with err set if the name is not a zone. The
 * caller frees with jr_tz_free. */
struct jr_tz *jr_tz_load(const char *name, char *err, size_t errlen);
/* Parse a zone from TZif bytes (tests). NULL if malformed. */
struct jr_tz *jr_tz_parse(const unsigned char *data, size_t len);
/* A zone from a POSIX TZ rule such as "PST8PDT,M3.2.0,M11.1.0" (tests and
 * the TZif footer). NULL if malformed. */
struct jr_tz *jr_tz_posix(const char *rule);
void jr_tz_free(struct jr_tz *tz);
/* UTC offset in seconds (east positive) at epoch second t. */
int32_t jr_tz_offset(const struct jr_tz *tz, int64_t t);
/* A JQL date literal for instant t_ms in zone tz, rounded down to the
 * minute: "yyyy/MM/dd HH:mm" (out has >= 17 bytes). tz NULL = UTC. */
void jr_tz_jql(const struct jr_tz *tz, int64_t t_ms, char *out, size_t n);

#endif
