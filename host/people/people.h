/*
 * people: who is who in a tenant (docs/people.md). Persons are made from
 * directory users and linked to GitHub logins and Jira account ids by the
 * SQL of host/db/migrations/091_people.sql; this module runs it and keeps
 * the manual links. Every call runs in its own transaction scoped to the
 * tenant (row-level security), on an idle connection.
 */
#ifndef PULSE_PEOPLE_H
#define PULSE_PEOPLE_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

struct json_object;

/* What a resolve changed (all zero on a re-run with nothing new), and
 * email_conflicts: commit addresses of a live directory user that more
 * than one GitHub login used, so linked nobody (not a change: the state
 * after the resolve, as `people unmatched` lists them). */
struct people_counts {
	int64_t people_added, people_removed, links_added, links_removed;
	int64_t accounts;
	int64_t email_conflicts;
};

/* Recompute the automatic links of tenant. 0, or -1 with err. */
int people_resolve(PGconn *c, int64_t tenant, struct people_counts *out,
		   char *err, size_t errlen);

/*
 * Link account (kind "github" or "jira") to the person of directory user
 * `user` (external id, principal name, mail or account name), by hand:
 * it replaces any automatic link of that account and survives resolves.
 * 0; -1 with err; *usage set when the user or kind was the problem.
 */
int people_link(PGconn *c, int64_t tenant, const char *user, const char *kind,
		const char *account, int *usage, char *err, size_t errlen);

/* Remove the link of account (any method). *removed gets 0 or 1. */
int people_unlink(PGconn *c, int64_t tenant, const char *kind,
		  const char *account, int *removed, char *err, size_t errlen);

/*
 * {"people": [{id, display_name, mail, links: [{kind, account, method}]}]}
 * of tenant, or only of the person of directory user `user` when not
 * NULL. New object owned by the caller; NULL with err.
 */
struct json_object *people_list_json(PGconn *c, int64_t tenant,
				     const char *user, char *err,
				     size_t errlen);

/*
 * {"github": [{account, email, display_name}], "jira": [...],
 *  "directory": [{external_id, principal_name, mail, display_name}],
 *  "github_email_conflicts": [{email, logins: [...]}]}:
 * accounts seen in the warehouse with no person, live directory users
 * whose person has no GitHub and no Jira link, and commit addresses of a
 * directory user that more than one login used (so none was linked by
 * it). New object; NULL with err.
 */
struct json_object *people_unmatched_json(PGconn *c, int64_t tenant,
					  char *err, size_t errlen);

/*
 * Set the directory attribute that holds GitHub logins / Jira account
 * ids (NULL: leave as is; "": none). 0 or -1 with err.
 */
int people_set_attributes(PGconn *c, int64_t tenant, const char *github,
			  const char *jira, char *err, size_t errlen);

/*
 * Inside the caller's tenant transaction: the accounts of kind of the
 * people of group team and/or org unit ou, as a PostgreSQL array literal
 * (malloc'ed, caller frees); the number of people in *npeople, of
 * accounts in *naccounts.
 * NULL with err; *usage set when the group or OU is unknown.
 */
char *people_scope_accounts(PGconn *c, const char *team, const char *ou,
			    const char *kind, int64_t *npeople,
			    int64_t *naccounts, int *usage,
			    char *err, size_t errlen);

#endif
