-- tests/connectors/github-dump.sql: the warehouse rows of the GitHub tests as
-- one JSON document (read by github-check.js). Times are UTC ISO-8601 with
-- second precision, as GitHub writes them. Run as superuser (no RLS).
\set QUIET on
\pset tuples_only on
\pset format unaligned
SELECT json_build_object(
  'repositories', (SELECT coalesce(json_agg(json_build_object(
      'external_id', external_id, 'full_name', full_name, 'is_private', is_private,
      'default_branch', default_branch,
      'created_at', to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
      'pushed_at', to_char(pushed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))), '[]')
    FROM repositories),
  'prs', (SELECT coalesce(json_agg(json_build_object(
      'external_id', external_id, 'repository_external_id', repository_external_id,
      'number', number, 'title', title, 'state', state, 'is_draft', is_draft,
      'author', author, 'base_ref', base_ref, 'head_ref', head_ref,
      'merge_commit_sha', merge_commit_sha, 'commits_count', commits_count,
      'reviews_count', reviews_count, 'comments_count', comments_count,
      'first_commit_at', to_char(first_commit_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
      'created_at', to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
      'updated_at', to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
      'merged_at', to_char(merged_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
      'closed_at', to_char(closed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))), '[]')
    FROM prs),
  'prs_commits', (SELECT coalesce(json_agg(json_build_object('pr_external_id', pr, 'n', n, 'shas', shas)), '[]')
    FROM (SELECT pr_external_id AS pr, count(*) AS n, json_agg(sha) AS shas
          FROM prs_commits GROUP BY pr_external_id) c),
  'prs_reviews', (SELECT coalesce(json_agg(json_build_object('pr_external_id', pr, 'n', n, 'ids', ids)), '[]')
    FROM (SELECT pr_external_id AS pr, count(*) AS n, json_agg(external_id) AS ids
          FROM prs_reviews GROUP BY pr_external_id) c),
  'prs_comments', (SELECT coalesce(json_agg(json_build_object('pr_external_id', pr, 'n', n, 'ids', ids)), '[]')
    FROM (SELECT pr_external_id AS pr, count(*) AS n, json_agg(external_id) AS ids
          FROM prs_comments GROUP BY pr_external_id) c),
  'sample_commits', (SELECT coalesce(json_agg(json_build_object(
      'pr_external_id', c.pr_external_id, 'sha', c.sha,
      'authored_at', to_char(c.authored_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
      'committed_at', to_char(c.committed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))), '[]')
    FROM prs_commits c WHERE c.pr_external_id IN (SELECT unnest(string_to_array(:'sample_prs', ',')))),
  'deployments', (SELECT coalesce(json_agg(json_build_object(
      'external_id', external_id, 'repository_external_id', repository_external_id,
      'source', source, 'environment', environment, 'is_production', is_production,
      'sha', sha, 'ref', ref, 'status', status,
      'created_at', to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
      'finished_at', to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))), '[]')
    FROM deployments),
  'deployment_commits', (SELECT coalesce(json_agg(json_build_object('deployment_external_id', d, 'shas', shas)), '[]')
    FROM (SELECT deployment_external_id AS d, json_agg(sha) AS shas
          FROM deployment_commits GROUP BY deployment_external_id) c),
  'totals', json_build_object(
      'prs_commits', (SELECT count(*) FROM prs_commits),
      'prs_reviews', (SELECT count(*) FROM prs_reviews),
      'prs_comments', (SELECT count(*) FROM prs_comments),
      'deployment_commits', (SELECT count(*) FROM deployment_commits),
      'raw_open', (SELECT count(*) FROM raw_extraction_data WHERE status <> 'completed'))
);
