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

#include "kit.h"

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

/* ------------------------------------------- the extract's files
 *   client.c     requests, errors, progress, offset-paged listings
 *   catalog.c    the API user's zone, fields, projects, statuses, issue
 *                types, workflows, sprints
 *   issues.c     the issue walks (search/jql) and the sync's order
 *   changelogs.c complete changelogs
 *   devstatus.c  issue-PR links
 *   reconcile.c  deletions, by key-set reconciliation
 *   state.c      integration state helpers
 *   extract.c    the driver
 */

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
	int64_t since_ms;         /* `since`, or KT_NO_TIME */
	char sprint_field[80];    /* custom field ids found in /field, or "" */
	char points_field[80];
	char dev_field[80];       /* the Development summary field, or "" */
	struct jr_proj *proj;     /* the scope, in key order */
	size_t nproj;
	int dev_status;           /* 1: fetch links; 0: off or tripped */
	int dev_tripped;          /* stopped after DEV_TRIP failures */
	int dev_fail_run;         /* consecutive dev-status failures */
	uint64_t dev_failures, dev_pages;
	int bulk_unsupported;     /* /changelog/bulkfetch answered 404 */
	struct kt_sink pages;     /* where pages are stored, and how many */
	uint64_t requests, issues;
	uint64_t prog_done, prog_total;
	char prog_step[120];
	int64_t near_logged;      /* requests count at the last NearLimit log */
};

/* What the sync collects beside the pages (issues.c, devstatus.c,
 * reconcile.c). */
struct jr_seen {
	struct kt_ids *by_proj;   /* ids seen, per g->proj entry */
	struct kt_ids dev_retry;  /* dev-status that failed last time */
	struct kt_ids dev_failed; /* ... and this time (saved for the next) */
	struct kt_ids dev_done;   /* asked this run (whatever the answer) */
};

/* client.c */
/* GET (body NULL) or POST body to url with the integration's basic auth.
 * On PULSE_OK *resp is set (the caller releases it). */
int32_t jr_call(struct jr *g, const char *method, const char *url,
		struct json_object *body, uint32_t flags,
		pulse_http_response **resp);
/* A GET that must answer 200: the job fails otherwise, naming what. */
int32_t jr_get_ok(struct jr *g, const char *url, const char *what,
		  pulse_http_response **r);
/* Jira's {"errorMessages":[..],"errors":{..}} as one line, into out. */
void jr_errmsg(const pulse_http_response *r, char *out, size_t n);
/* Progress of the current step (also re-shown after rate-limit notes). */
void jr_progress(struct jr *g, const char *step, uint64_t done,
		 uint64_t total);
int32_t jr_oom(struct jr *g);

/* An offset-paged GET listing: url?startAt=N&maxResults=M<query>, until
 * isLast or an empty page. */
struct jr_listing {
	const char *url;
	const char *query;      /* appended after the paging; may be NULL */
	int page_size;
	const char *entity;     /* store each 200 page as this; NULL: don't */
	const char *params;     /* the stored pages' request context */
	/* An answer other than 200 ends the listing with what this returns;
	 * NULL: it fails the job, naming `what`. */
	int32_t (*refused)(struct jr *g, const char *url,
			   const pulse_http_response *r, void *arg);
	const char *what;
	/* The values of each 200 page (may be NULL). */
	int32_t (*values)(struct jr *g, struct json_object *values, void *arg);
	void *arg;
};
int32_t jr_get_listing(struct jr *g, const struct jr_listing *l);

/* catalog.c: everything before the issues. */
int32_t jr_load_catalog(struct jr *g);

/* issues.c: the issue walks, then dev-status retries and the
 * reconciliation. */
int32_t jr_sync_issues(struct jr *g);

/* changelogs.c: complete changelogs of the pending issues (sorted on
 * the way), then forget them. */
int32_t jr_flush_changelogs(struct jr *g, struct kt_ids *pending);

/* devstatus.c: the issue's PR links (best effort, see there). */
int32_t jr_dev_status(struct jr *g, struct jr_seen *s, int64_t id);
/* Does the issue's Development summary field (fields of a search
 * result) say it has no pull requests? 0 when the site has no such
 * field or the value cannot be read: then dev-status must be asked. */
int jr_dev_summary_none(const struct jr *g, struct json_object *fields);

/* reconcile.c: every issue id of the scope against known (per project,
 * rebuilt); the deleted ones go to the transform. */
int32_t jr_reconcile(struct jr *g, struct jr_seen *s, struct kt_ids *known);
/* Does Jira's count of a project's issues differ from ours (the ids
 * known before plus those seen now)? 1 yes or unknown, 0 no, -1 out of
 * memory. */
int jr_counts_differ(struct jr *g, struct jr_seen *s);

/* state.c: integration state; "" means absent. */
struct json_object *jr_state_json(struct jr *g, const char *key);
int32_t jr_state_ids_put(struct jr *g, const char *key, struct kt_ids *s);
/* Adds the saved ids (sorted); a malformed value is logged and ignored. */
int32_t jr_state_ids_get(struct jr *g, const char *key, struct kt_ids *s);
/* An ISO time member (null for KT_NO_TIME), and back. */
void jr_put_time(struct json_object *o, const char *key, int64_t ms);
int64_t jr_get_time(struct json_object *o, const char *key);
int64_t jr_max_time(int64_t a, int64_t b);

int32_t jr_extract(void *state, pulse_job *job);

/* transform.c */
int32_t jr_transform(void *state, pulse_job *job, const pulse_raw_page *page);

/* ------------------------------------------------------------- util.c */

/* A string or integer member as text (ids come as either), into buf;
 * NULL if absent. */
const char *jr_idstr(struct json_object *o, const char *key, char *buf,
		     size_t n);

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
