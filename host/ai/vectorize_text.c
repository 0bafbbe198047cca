/*
 * vectorize_text: one text per entity row, the thing that is embedded and
 * searched. Each builder below is one SQL query over the warehouse table
 * (docs/vectors.md lists them): what a person would type to find the row
 * goes into the text (titles, keys, names, states, repositories); the
 * title, the id people know (owner/repo#12, KEY-1) and a URL go into the
 * payload a search prints. Deleted rows (deleted_at set) yield nothing,
 * so the stage removes their vectors.
 *
 * Parameters of every query: $1 tenant, $2 text[] of external ids, $3
 * integration id. Columns: external_id, text, title, display_id, url,
 * updated_at.
 */
#include "config.h"

#include <string.h>

#include "ai/vectorize.h"

#define WHERE_LIVE(a) " WHERE " a ".tenant_id = $1::bigint" \
	" AND " a ".integration_id = $3::bigint" \
	" AND " a ".external_id = ANY ($2::text[]) AND " a ".deleted_at IS NULL"
/* The web URL of a repository row r's owner/name */
#define REPO_URL(ext) "(SELECT r.url FROM repositories r WHERE" \
	" r.tenant_id = $1::bigint AND r.integration_id = $3::bigint" \
	" AND r.external_id = " ext " LIMIT 1)"
/* A Jira issue's browse URL from the integration's base_url */
#define JIRA_URL(key) "(SELECT rtrim(i.settings->>'base_url', '/') ||" \
	" '/browse/' || " key " FROM integrations i WHERE i.id = $3::bigint)"
#define ISO(col) "to_char(" col " AT TIME ZONE 'UTC'," \
	" 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

struct vz_builder {
	const char *entity;
	const char *sql;
};

static const struct vz_builder vz_builders[] = {
	/* work_items: key, type, status, summary, priority, labels */
	{"work_items",
	 "SELECT w.external_id, concat_ws(E'\\n', w.key || ' ' || coalesce(w.summary, ''),"
	 " 'type ' || w.wit_name, 'status ' || w.status_name,"
	 " 'priority ' || w.priority, 'labels ' || (SELECT string_agg(l, ' ')"
	 " FROM jsonb_array_elements_text(coalesce(w.labels, '[]')) l)),"
	 " coalesce(w.summary, w.key), coalesce(w.key, w.external_id),"
	 " " JIRA_URL("w.key") ", " ISO("coalesce(w.updated_at, w.loaded_at)")
	 " FROM work_items w" WHERE_LIVE("w")},
	/* changelogs: one transition: KEY field from -> to, by whom */
	{"changelogs",
	 "SELECT c.external_id, concat_ws(' ', coalesce(w.key, c.work_item_external_id),"
	 " coalesce(w.summary, ''), c.field, 'changed from', coalesce(c.from_string, c.from_value, 'nothing'),"
	 " 'to', coalesce(c.to_string, c.to_value, 'nothing'), 'by ' || c.author),"
	 " coalesce(w.key, c.work_item_external_id) || ' ' || c.field || ': ' ||"
	 " coalesce(c.from_string, '') || ' -> ' || coalesce(c.to_string, ''),"
	 " coalesce(w.key, c.work_item_external_id), " JIRA_URL("w.key") ","
	 " " ISO("c.changed_at") " FROM changelogs c LEFT JOIN work_items w ON"
	 " w.tenant_id = c.tenant_id AND w.integration_id = c.integration_id AND"
	 " w.external_id = c.work_item_external_id" WHERE_LIVE("c")},
	/* prs: title, repository, number, state, branches, author */
	{"prs",
	 "SELECT p.external_id, concat_ws(E'\\n', p.title, 'pull request '"
	 " || p.repository_external_id || '#' || p.number, 'state ' || p.state,"
	 " 'branch ' || p.head_ref || ' into ' || p.base_ref, 'by ' || p.author),"
	 " coalesce(p.title, ''), p.repository_external_id || '#' || p.number,"
	 " " REPO_URL("p.repository_external_id") " || '/pull/' || p.number,"
	 " " ISO("coalesce(p.updated_at, p.loaded_at)") " FROM prs p" WHERE_LIVE("p")},
	/* prs_reviews: the PR's title with the review's state and author */
	{"prs_reviews",
	 "SELECT v.external_id, concat_ws(' ', 'review', v.state, 'by ' || v.author,"
	 " 'of', p.repository_external_id || '#' || p.number, p.title),"
	 " coalesce(v.state, 'review') || ': ' || coalesce(p.title, ''),"
	 " coalesce(p.repository_external_id || '#' || p.number, v.pr_external_id),"
	 " " REPO_URL("p.repository_external_id") " || '/pull/' || p.number,"
	 " " ISO("coalesce(v.submitted_at, v.loaded_at)") " FROM prs_reviews v LEFT"
	 " JOIN prs p ON p.tenant_id = v.tenant_id AND p.integration_id ="
	 " v.integration_id AND p.external_id = v.pr_external_id" WHERE_LIVE("v")},
	/* prs_comments: the warehouse keeps no comment body; the PR's title
	 * and the author make the text */
	{"prs_comments",
	 "SELECT m.external_id, concat_ws(' ', 'comment by ' || m.author, 'on',"
	 " p.repository_external_id || '#' || p.number, p.title),"
	 " 'comment: ' || coalesce(p.title, ''),"
	 " coalesce(p.repository_external_id || '#' || p.number, m.pr_external_id),"
	 " " REPO_URL("p.repository_external_id") " || '/pull/' || p.number,"
	 " " ISO("coalesce(m.created_at, m.loaded_at)") " FROM prs_comments m LEFT"
	 " JOIN prs p ON p.tenant_id = m.tenant_id AND p.integration_id ="
	 " m.integration_id AND p.external_id = m.pr_external_id" WHERE_LIVE("m")},
	/* prs_commits: the commit message */
	{"prs_commits",
	 "SELECT k.external_id, concat_ws(E'\\n', k.message, 'commit ' ||"
	 " left(k.sha, 12) || ' by ' || k.author),"
	 " split_part(coalesce(k.message, ''), E'\\n', 1),"
	 " coalesce(p.repository_external_id || '@' || left(k.sha, 12), k.sha),"
	 " " REPO_URL("p.repository_external_id") " || '/commit/' || k.sha,"
	 " " ISO("coalesce(k.committed_at, k.loaded_at)") " FROM prs_commits k LEFT"
	 " JOIN prs p ON p.tenant_id = k.tenant_id AND p.integration_id ="
	 " k.integration_id AND p.external_id = k.pr_external_id" WHERE_LIVE("k")},
	/* repositories: full name and default branch */
	{"repositories",
	 "SELECT r.external_id, concat_ws(' ', 'repository', r.full_name,"
	 " 'default branch ' || r.default_branch), r.full_name, r.full_name,"
	 " r.url, " ISO("coalesce(r.updated_at, r.loaded_at)")
	 " FROM repositories r" WHERE_LIVE("r")},
	/* projects: key, name, type */
	{"projects",
	 "SELECT j.external_id, concat_ws(' ', 'project', j.key, j.name,"
	 " j.project_type), coalesce(j.name, j.key), coalesce(j.key, j.external_id),"
	 " j.url, " ISO("j.loaded_at") " FROM projects j" WHERE_LIVE("j")},
	/* wits: a work item type's name and description */
	{"wits",
	 "SELECT t.external_id, concat_ws(' ', 'work item type', t.name,"
	 " t.description), t.name, t.name, NULL, " ISO("t.loaded_at")
	 " FROM wits t" WHERE_LIVE("t")},
	/* statuses: name and category */
	{"statuses",
	 "SELECT s.external_id, concat_ws(' ', 'status', s.name, 'category ' ||"
	 " s.source_category), s.name, s.name, NULL, " ISO("s.loaded_at")
	 " FROM statuses s" WHERE_LIVE("s")},
	/* workflows: name and description */
	{"workflows",
	 "SELECT f.external_id, concat_ws(' ', 'workflow', f.name, f.description),"
	 " f.name, f.name, NULL, " ISO("f.loaded_at") " FROM workflows f" WHERE_LIVE("f")},
	/* sprints: name, state, goal */
	{"sprints",
	 "SELECT s.external_id, concat_ws(' ', 'sprint', s.name, s.state,"
	 " 'goal ' || s.goal), coalesce(s.name, s.external_id),"
	 " coalesce(s.name, s.external_id), NULL,"
	 " " ISO("coalesce(s.complete_at, s.end_at, s.start_at, s.loaded_at)")
	 " FROM sprints s" WHERE_LIVE("s")},
	/* wits_prs_links: which issue links which PR */
	{"wits_prs_links",
	 "SELECT l.external_id, concat_ws(' ', coalesce(w.key, l.work_item_external_id),"
	 " coalesce(w.summary, ''), 'linked to pull request', l.repository_full_name"
	 " || '#' || l.pr_number, l.pr_status),"
	 " coalesce(w.key, l.work_item_external_id) || ' -> ' ||"
	 " coalesce(l.repository_full_name || '#' || l.pr_number, l.pr_url, ''),"
	 " coalesce(w.key, l.work_item_external_id), l.pr_url, " ISO("l.loaded_at")
	 " FROM wits_prs_links l LEFT JOIN work_items w ON w.tenant_id ="
	 " l.tenant_id AND w.integration_id = l.integration_id AND w.external_id"
	 " = l.work_item_external_id" WHERE_LIVE("l")},
};

const char *const vz_text_entities[] = {
	"work_items", "changelogs", "prs", "prs_reviews", "prs_comments",
	"prs_commits", "repositories", "projects", "wits", "statuses",
	"workflows", "sprints", "wits_prs_links", NULL,
};

const char *vz_text_sql(const char *entity)
{
	size_t i;

	for (i = 0; i < sizeof(vz_builders) / sizeof(vz_builders[0]); i++)
		if (strcmp(vz_builders[i].entity, entity) == 0)
			return vz_builders[i].sql;
	return NULL;
}
