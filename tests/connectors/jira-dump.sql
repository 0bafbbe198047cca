-- tests/connectors/jira-dump.sql: integration :integration's Jira rows as one
-- JSON document for tests/connectors/jira-check.js (run as superuser).
-- Times are epoch milliseconds, so zones cannot hide a difference.
\set ON_ERROR_STOP 1
WITH i AS (SELECT :integration::bigint AS id),
items AS (
    SELECT w.external_id, w.key, w.project_external_id, w.wit_name, w.status_name,
           w.priority, w.assignee, w.reporter, w.parent_external_id,
           w.sprint_external_ids, w.labels, w.story_points,
           (extract(epoch FROM w.created_at) * 1000)::bigint AS created,
           (extract(epoch FROM w.updated_at) * 1000)::bigint AS updated,
           (extract(epoch FROM w.resolved_at) * 1000)::bigint AS resolved,
           (extract(epoch FROM w.work_started_at) * 1000)::bigint AS started,
           (extract(epoch FROM w.work_done_at) * 1000)::bigint AS done,
           w.cycle_time_seconds, w.lead_time_seconds,
           w.deleted_at IS NOT NULL AS deleted
      FROM work_items w, i WHERE w.integration_id = i.id
),
hist AS (
    SELECT c.work_item_external_id AS item,
           count(DISTINCT split_part(c.external_id, ':', 1)) AS histories,
           count(*) AS rows
      FROM changelogs c, i WHERE c.integration_id = i.id
     GROUP BY 1
),
trans AS (
    SELECT c.work_item_external_id AS item,
           json_agg(json_build_object(
               'at', (extract(epoch FROM c.changed_at) * 1000)::bigint,
               'historyId', split_part(c.external_id, ':', 1),
               'from', c.from_string, 'to', c.to_string)
               ORDER BY c.changed_at, c.external_id) AS t
      FROM changelogs c, i WHERE c.integration_id = i.id AND c.field = 'status'
     GROUP BY 1
),
links AS (
    SELECT l.work_item_external_id AS item,
           json_agg(json_build_object('repository', l.repository_full_name,
               'number', l.pr_number, 'status', l.pr_status, 'url', l.pr_url)
               ORDER BY l.pr_url) AS l
      FROM wits_prs_links l, i WHERE l.integration_id = i.id AND l.deleted_at IS NULL
     GROUP BY 1
)
SELECT json_build_object(
    'items', (SELECT coalesce(json_agg(json_build_object(
                  'id', it.external_id, 'key', it.key, 'project', it.project_external_id,
                  'type', it.wit_name, 'status', it.status_name, 'priority', it.priority,
                  'assignee', it.assignee, 'reporter', it.reporter,
                  'parent', it.parent_external_id, 'sprints', it.sprint_external_ids,
                  'labels', it.labels, 'points', it.story_points,
                  'created', it.created, 'updated', it.updated, 'resolved', it.resolved,
                  'started', it.started, 'done', it.done,
                  'cycle', it.cycle_time_seconds, 'lead', it.lead_time_seconds,
                  'deleted', it.deleted,
                  'histories', coalesce(h.histories, 0), 'changelog_rows', coalesce(h.rows, 0),
                  'transitions', coalesce(t.t, '[]'::json),
                  'links', coalesce(l.l, '[]'::json)) ORDER BY it.external_id), '[]'::json)
                FROM items it
                LEFT JOIN hist h ON h.item = it.external_id
                LEFT JOIN trans t ON t.item = it.external_id
                LEFT JOIN links l ON l.item = it.external_id),
    'orphan_changelogs', (SELECT count(*) FROM changelogs c, i
                           WHERE c.integration_id = i.id AND NOT EXISTS (
                               SELECT 1 FROM work_items w WHERE w.integration_id = i.id
                                  AND w.external_id = c.work_item_external_id)),
    'projects', (SELECT coalesce(json_agg(json_build_object('id', p.external_id,
                     'key', p.key, 'name', p.name) ORDER BY p.key), '[]'::json)
                   FROM projects p, i WHERE p.integration_id = i.id),
    'statuses', (SELECT coalesce(json_agg(json_build_object('id', s.external_id,
                     'name', s.name, 'category', s.source_category) ORDER BY s.external_id), '[]'::json)
                   FROM statuses s, i WHERE s.integration_id = i.id),
    'wits', (SELECT coalesce(json_agg(json_build_object('id', t.external_id,
                 'name', t.name, 'subtask', t.is_subtask, 'level', t.hierarchy_level)
                 ORDER BY t.external_id), '[]'::json)
               FROM wits t, i WHERE t.integration_id = i.id),
    'sprints', (SELECT coalesce(json_agg(json_build_object('id', s.external_id,
                    'board', s.board_id, 'name', s.name, 'state', s.state,
                    'start', (extract(epoch FROM s.start_at) * 1000)::bigint,
                    'end', (extract(epoch FROM s.end_at) * 1000)::bigint,
                    'complete', (extract(epoch FROM s.complete_at) * 1000)::bigint)
                    ORDER BY s.external_id), '[]'::json)
                  FROM sprints s, i WHERE s.integration_id = i.id),
    'workflows', (SELECT count(*) FROM workflows w, i
                   WHERE w.integration_id = i.id AND jsonb_array_length(w.transitions) > 0),
    'type_mappings', (SELECT coalesce(json_object_agg(m.source_name, m.canonical_type), '{}'::json)
                        FROM wits_mappings m, i WHERE m.integration_id = i.id),
    'status_mappings', (SELECT coalesce(json_object_agg(m.source_name, m.category), '{}'::json)
                          FROM status_mappings m, i WHERE m.integration_id = i.id)
);
