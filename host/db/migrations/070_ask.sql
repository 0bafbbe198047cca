-- 070_ask: what `pulse-host ask` may read (docs/ask.md).
--
--   schema ask               the q_* views and the q_dora_* functions; the
--                            only schema the query role may use
--   role pulse_query         runs generated SQL: NOLOGIN, NOBYPASSRLS, owns
--                            nothing, SELECT on ask.q_* only; the app role
--                            is made a member by `migrate --app-role` so it
--                            can SET LOCAL ROLE to it
--   role pulse_query_owner   owns the views and functions: NOBYPASSRLS and
--                            not the owner of the tables, so row-level
--                            security applies to everything they read
--
-- Roles are per cluster, so several databases share the two names; each
-- database grants them rights on its own objects only.
--
-- A column comment ending in "[sampled]" asks the schema card to show a
-- few of the tenant's distinct values of that column (short codes only,
-- never free text: sample rows in a prompt are an injection route).
-- "joins q_x.col" in a comment declares a relation for the card.
SELECT set_config('search_path', format('%I, pg_temp', current_schema()), true);

DO $$
BEGIN
    BEGIN
        CREATE ROLE pulse_query NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
    BEGIN
        CREATE ROLE pulse_query_owner NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
    -- a role of that name made by someone else must not keep powers;
    -- altered only when it has one, since roles are shared by every
    -- database of the server and two migrations altering the same role
    -- at once fail with "tuple concurrently updated"
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pulse_query'
               AND (rolcanlogin OR rolsuper OR rolbypassrls OR rolcreatedb OR rolcreaterole)) THEN
        ALTER ROLE pulse_query NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pulse_query_owner'
               AND (rolcanlogin OR rolsuper OR rolbypassrls OR rolcreatedb OR rolcreaterole)) THEN
        ALTER ROLE pulse_query_owner NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    END IF;
END $$;

CREATE SCHEMA ask;
REVOKE ALL ON SCHEMA ask FROM PUBLIC;

-- The owner reads the warehouse tables under RLS; nothing else.
DO $$
DECLARE t text;
BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO pulse_query_owner', current_schema());
    FOREACH t IN ARRAY ARRAY['prs', 'prs_reviews', 'prs_comments', 'prs_commits',
        'deployments', 'deployment_commits', 'work_items', 'changelogs', 'sprints',
        'repositories', 'projects', 'directory_users', 'wits_mappings',
        'status_mappings', 'dora_project_repositories']
    LOOP
        EXECUTE format('GRANT SELECT ON %I TO pulse_query_owner', t);
    END LOOP;
END $$;
GRANT USAGE, CREATE ON SCHEMA ask TO pulse_query_owner;

CREATE VIEW ask.q_repositories WITH (security_barrier) AS
SELECT r.full_name AS repository, r.owner, r.name, r.default_branch, r.is_private,
       r.url, r.created_at, r.pushed_at
  FROM repositories r WHERE r.deleted_at IS NULL;
COMMENT ON VIEW ask.q_repositories IS 'Source code repositories.';
COMMENT ON COLUMN ask.q_repositories.repository IS 'Repository as owner/name, lower-case; the key other views join on.';
COMMENT ON COLUMN ask.q_repositories.owner IS 'Owner (organisation or user) of the repository.';
COMMENT ON COLUMN ask.q_repositories.name IS 'Repository name without the owner.';
COMMENT ON COLUMN ask.q_repositories.default_branch IS 'Default branch, e.g. main. [sampled]';
COMMENT ON COLUMN ask.q_repositories.is_private IS 'True if the repository is private.';
COMMENT ON COLUMN ask.q_repositories.url IS 'Web address of the repository.';
COMMENT ON COLUMN ask.q_repositories.created_at IS 'When the repository was created.';
COMMENT ON COLUMN ask.q_repositories.pushed_at IS 'When something was last pushed to it.';

CREATE VIEW ask.q_pull_requests WITH (security_barrier) AS
SELECT p.external_id AS pr_id, p.repository_external_id AS repository, p.number,
       p.title, p.state, p.is_draft, p.author, p.base_ref, p.head_ref,
       p.commits_count, p.reviews_count, p.comments_count,
       p.first_commit_at, p.created_at, p.updated_at, p.merged_at, p.closed_at,
       (SELECT min(rv.submitted_at) FROM prs_reviews rv
         WHERE rv.tenant_id = p.tenant_id AND rv.integration_id = p.integration_id
           AND rv.pr_external_id = p.external_id AND rv.deleted_at IS NULL) AS first_review_at
  FROM prs p WHERE p.deleted_at IS NULL;
COMMENT ON VIEW ask.q_pull_requests IS 'Pull requests, one row each.';
COMMENT ON COLUMN ask.q_pull_requests.pr_id IS 'Pull request id; joins q_reviews.pr_id, q_comments.pr_id and q_commits.pr_id.';
COMMENT ON COLUMN ask.q_pull_requests.repository IS 'Repository as owner/name; joins q_repositories.repository.';
COMMENT ON COLUMN ask.q_pull_requests.number IS 'Pull request number within its repository.';
COMMENT ON COLUMN ask.q_pull_requests.title IS 'Title written by the author (free text).';
COMMENT ON COLUMN ask.q_pull_requests.state IS 'OPEN, CLOSED (without merge) or MERGED. [sampled]';
COMMENT ON COLUMN ask.q_pull_requests.is_draft IS 'True while the pull request is a draft.';
COMMENT ON COLUMN ask.q_pull_requests.author IS 'Login of the author. [sampled]';
COMMENT ON COLUMN ask.q_pull_requests.base_ref IS 'Branch the pull request merges into. [sampled]';
COMMENT ON COLUMN ask.q_pull_requests.head_ref IS 'Branch the pull request comes from.';
COMMENT ON COLUMN ask.q_pull_requests.commits_count IS 'Number of commits.';
COMMENT ON COLUMN ask.q_pull_requests.reviews_count IS 'Number of reviews.';
COMMENT ON COLUMN ask.q_pull_requests.comments_count IS 'Number of comments.';
COMMENT ON COLUMN ask.q_pull_requests.first_commit_at IS 'When its earliest commit was authored.';
COMMENT ON COLUMN ask.q_pull_requests.created_at IS 'When it was opened.';
COMMENT ON COLUMN ask.q_pull_requests.updated_at IS 'When it last changed.';
COMMENT ON COLUMN ask.q_pull_requests.merged_at IS 'When it was merged; NULL if not merged.';
COMMENT ON COLUMN ask.q_pull_requests.closed_at IS 'When it was closed or merged; NULL while open.';
COMMENT ON COLUMN ask.q_pull_requests.first_review_at IS 'When its first review was submitted; NULL without review. Review wait = first_review_at - created_at.';

CREATE VIEW ask.q_reviews WITH (security_barrier) AS
SELECT rv.pr_external_id AS pr_id, p.repository_external_id AS repository, p.number AS pr_number,
       rv.state, rv.author, rv.submitted_at
  FROM prs_reviews rv
  JOIN prs p ON p.tenant_id = rv.tenant_id AND p.integration_id = rv.integration_id
            AND p.external_id = rv.pr_external_id
 WHERE rv.deleted_at IS NULL;
COMMENT ON VIEW ask.q_reviews IS 'Reviews of pull requests.';
COMMENT ON COLUMN ask.q_reviews.pr_id IS 'Reviewed pull request; joins q_pull_requests.pr_id.';
COMMENT ON COLUMN ask.q_reviews.repository IS 'Repository of the pull request (owner/name).';
COMMENT ON COLUMN ask.q_reviews.pr_number IS 'Number of the pull request.';
COMMENT ON COLUMN ask.q_reviews.state IS 'APPROVED, CHANGES_REQUESTED, COMMENTED or DISMISSED. [sampled]';
COMMENT ON COLUMN ask.q_reviews.author IS 'Login of the reviewer. [sampled]';
COMMENT ON COLUMN ask.q_reviews.submitted_at IS 'When the review was submitted.';

CREATE VIEW ask.q_comments WITH (security_barrier) AS
SELECT c.pr_external_id AS pr_id, p.repository_external_id AS repository, p.number AS pr_number,
       c.author, c.created_at
  FROM prs_comments c
  JOIN prs p ON p.tenant_id = c.tenant_id AND p.integration_id = c.integration_id
            AND p.external_id = c.pr_external_id
 WHERE c.deleted_at IS NULL;
COMMENT ON VIEW ask.q_comments IS 'Comments on pull requests (who and when; no text).';
COMMENT ON COLUMN ask.q_comments.pr_id IS 'Pull request commented on; joins q_pull_requests.pr_id.';
COMMENT ON COLUMN ask.q_comments.repository IS 'Repository of the pull request (owner/name).';
COMMENT ON COLUMN ask.q_comments.pr_number IS 'Number of the pull request.';
COMMENT ON COLUMN ask.q_comments.author IS 'Login of the commenter. [sampled]';
COMMENT ON COLUMN ask.q_comments.created_at IS 'When the comment was written.';

CREATE VIEW ask.q_commits WITH (security_barrier) AS
SELECT c.pr_external_id AS pr_id, p.repository_external_id AS repository, p.number AS pr_number,
       c.sha, c.author, c.message, c.authored_at, c.committed_at
  FROM prs_commits c
  JOIN prs p ON p.tenant_id = c.tenant_id AND p.integration_id = c.integration_id
            AND p.external_id = c.pr_external_id
 WHERE c.deleted_at IS NULL;
COMMENT ON VIEW ask.q_commits IS 'Commits of pull requests.';
COMMENT ON COLUMN ask.q_commits.pr_id IS 'Pull request the commit belongs to; joins q_pull_requests.pr_id.';
COMMENT ON COLUMN ask.q_commits.repository IS 'Repository (owner/name).';
COMMENT ON COLUMN ask.q_commits.pr_number IS 'Number of the pull request.';
COMMENT ON COLUMN ask.q_commits.sha IS 'Commit hash; joins q_deployments.sha for the commit a deployment shipped.';
COMMENT ON COLUMN ask.q_commits.author IS 'Login or name of the commit author. [sampled]';
COMMENT ON COLUMN ask.q_commits.message IS 'Commit message (free text).';
COMMENT ON COLUMN ask.q_commits.authored_at IS 'When the commit was authored.';
COMMENT ON COLUMN ask.q_commits.committed_at IS 'When the commit was committed.';

CREATE VIEW ask.q_deployments WITH (security_barrier) AS
SELECT d.repository_external_id AS repository, d.environment, d.is_production, d.status,
       d.source, d.sha, d.ref, d.created_at, d.finished_at
  FROM deployments d WHERE d.deleted_at IS NULL;
COMMENT ON VIEW ask.q_deployments IS 'Deployments and releases, one row per attempt.';
COMMENT ON COLUMN ask.q_deployments.repository IS 'Repository deployed (owner/name); joins q_repositories.repository.';
COMMENT ON COLUMN ask.q_deployments.environment IS 'Target environment name. [sampled]';
COMMENT ON COLUMN ask.q_deployments.is_production IS 'True for production deployments.';
COMMENT ON COLUMN ask.q_deployments.status IS 'Latest status: success, failure, error, inactive, ... [sampled]';
COMMENT ON COLUMN ask.q_deployments.source IS 'deployment or release. [sampled]';
COMMENT ON COLUMN ask.q_deployments.sha IS 'Commit deployed.';
COMMENT ON COLUMN ask.q_deployments.ref IS 'Branch or tag deployed.';
COMMENT ON COLUMN ask.q_deployments.created_at IS 'When the deployment was created.';
COMMENT ON COLUMN ask.q_deployments.finished_at IS 'When its latest status was set (the deployment time when status is success).';

CREATE VIEW ask.q_work_items WITH (security_barrier) AS
SELECT w.key, w.project_external_id AS project, w.wit_name AS type,
       coalesce(wm.canonical_type, 'Unmapped') AS canonical_type,
       w.status_name AS status, coalesce(sm.category, 'Unmapped') AS status_category,
       w.summary, w.priority, w.assignee, w.reporter, w.parent_external_id AS parent_id,
       w.story_points, w.created_at, w.updated_at, w.resolved_at,
       w.work_started_at, w.work_done_at,
       round(w.cycle_time_seconds / 3600.0, 2) AS cycle_time_hours,
       round(w.lead_time_seconds / 3600.0, 2) AS lead_time_hours
  FROM work_items w
  LEFT JOIN wits_mappings wm ON wm.tenant_id = w.tenant_id
        AND wm.integration_id = w.integration_id AND wm.source_name = w.wit_name
  LEFT JOIN status_mappings sm ON sm.tenant_id = w.tenant_id
        AND sm.integration_id = w.integration_id AND sm.source_name = w.status_name
 WHERE w.deleted_at IS NULL;
COMMENT ON VIEW ask.q_work_items IS 'Work items (issues, stories, bugs, incidents) of the trackers.';
COMMENT ON COLUMN ask.q_work_items.key IS 'Key as people write it, e.g. PAY-12; joins q_status_changes.work_item_key.';
COMMENT ON COLUMN ask.q_work_items.project IS 'Project id of the tracker. [sampled]';
COMMENT ON COLUMN ask.q_work_items.type IS 'Type as the tracker names it. [sampled]';
COMMENT ON COLUMN ask.q_work_items.canonical_type IS 'Story, Bug, Task, Epic, Incident, Sub-task or Unmapped. [sampled]';
COMMENT ON COLUMN ask.q_work_items.status IS 'Current status as the tracker names it. [sampled]';
COMMENT ON COLUMN ask.q_work_items.status_category IS 'To Do, In Progress, Done or Unmapped. [sampled]';
COMMENT ON COLUMN ask.q_work_items.summary IS 'Summary line (free text).';
COMMENT ON COLUMN ask.q_work_items.priority IS 'Priority name. [sampled]';
COMMENT ON COLUMN ask.q_work_items.assignee IS 'Who it is assigned to. [sampled]';
COMMENT ON COLUMN ask.q_work_items.reporter IS 'Who reported it.';
COMMENT ON COLUMN ask.q_work_items.parent_id IS 'Tracker id of the parent item, if any.';
COMMENT ON COLUMN ask.q_work_items.story_points IS 'Estimate in story points.';
COMMENT ON COLUMN ask.q_work_items.created_at IS 'When it was created.';
COMMENT ON COLUMN ask.q_work_items.updated_at IS 'When it last changed.';
COMMENT ON COLUMN ask.q_work_items.resolved_at IS 'When it was resolved; NULL if unresolved.';
COMMENT ON COLUMN ask.q_work_items.work_started_at IS 'First move into an In Progress status.';
COMMENT ON COLUMN ask.q_work_items.work_done_at IS 'Last move into a Done status (while Done).';
COMMENT ON COLUMN ask.q_work_items.cycle_time_hours IS 'Hours from work_started_at to work_done_at.';
COMMENT ON COLUMN ask.q_work_items.lead_time_hours IS 'Hours from created_at to work_done_at.';

CREATE VIEW ask.q_status_changes WITH (security_barrier) AS
SELECT w.key AS work_item_key, c.author, c.from_string AS from_status,
       c.to_string AS to_status, c.changed_at
  FROM changelogs c
  JOIN work_items w ON w.tenant_id = c.tenant_id AND w.integration_id = c.integration_id
                   AND w.external_id = c.work_item_external_id
 WHERE c.field = 'status' AND c.deleted_at IS NULL;
COMMENT ON VIEW ask.q_status_changes IS 'Status changes of work items, from their history.';
COMMENT ON COLUMN ask.q_status_changes.work_item_key IS 'Work item changed; joins q_work_items.key.';
COMMENT ON COLUMN ask.q_status_changes.author IS 'Who changed the status.';
COMMENT ON COLUMN ask.q_status_changes.from_status IS 'Status before. [sampled]';
COMMENT ON COLUMN ask.q_status_changes.to_status IS 'Status after. [sampled]';
COMMENT ON COLUMN ask.q_status_changes.changed_at IS 'When the status changed.';

CREATE VIEW ask.q_sprints WITH (security_barrier) AS
SELECT s.external_id AS sprint_id, s.board_id, s.name, s.state, s.goal,
       s.start_at, s.end_at, s.complete_at
  FROM sprints s WHERE s.deleted_at IS NULL;
COMMENT ON VIEW ask.q_sprints IS 'Sprints of the trackers'' boards.';
COMMENT ON COLUMN ask.q_sprints.sprint_id IS 'Tracker id of the sprint.';
COMMENT ON COLUMN ask.q_sprints.board_id IS 'Board the sprint belongs to.';
COMMENT ON COLUMN ask.q_sprints.name IS 'Sprint name.';
COMMENT ON COLUMN ask.q_sprints.state IS 'future, active or closed. [sampled]';
COMMENT ON COLUMN ask.q_sprints.goal IS 'Sprint goal (free text).';
COMMENT ON COLUMN ask.q_sprints.start_at IS 'Planned start.';
COMMENT ON COLUMN ask.q_sprints.end_at IS 'Planned end.';
COMMENT ON COLUMN ask.q_sprints.complete_at IS 'When it was completed.';

CREATE VIEW ask.q_projects WITH (security_barrier) AS
SELECT p.external_id AS project, p.key, p.name, p.project_type, p.url
  FROM projects p WHERE p.deleted_at IS NULL;
COMMENT ON VIEW ask.q_projects IS 'Projects of the trackers.';
COMMENT ON COLUMN ask.q_projects.project IS 'Project id; joins q_work_items.project.';
COMMENT ON COLUMN ask.q_projects.key IS 'Project key, e.g. PAY. [sampled]';
COMMENT ON COLUMN ask.q_projects.name IS 'Project name.';
COMMENT ON COLUMN ask.q_projects.project_type IS 'Project type. [sampled]';
COMMENT ON COLUMN ask.q_projects.url IS 'Web address.';

CREATE VIEW ask.q_people WITH (security_barrier) AS
SELECT u.display_name, u.principal_name, u.mail, u.enabled
  FROM directory_users u WHERE u.deleted_at IS NULL;
COMMENT ON VIEW ask.q_people IS 'People of the directory, when a directory is connected.';
COMMENT ON COLUMN ask.q_people.display_name IS 'Name as displayed.';
COMMENT ON COLUMN ask.q_people.principal_name IS 'Sign-in name.';
COMMENT ON COLUMN ask.q_people.mail IS 'E-mail address.';
COMMENT ON COLUMN ask.q_people.enabled IS 'False for disabled accounts.';

-- DORA for questions: the four keys of the tenant of the transaction.
-- SECURITY DEFINER so the query role needs no right on the tables; the
-- owner is pulse_query_owner, whom RLS confines like everyone else.
CREATE FUNCTION ask.q_dora_deployment_frequency(p_from timestamptz, p_to timestamptz,
        p_project text DEFAULT NULL, p_repo text DEFAULT NULL)
    RETURNS TABLE (deployments bigint, deployment_days bigint, weeks integer,
                   median_days_per_week double precision, months integer,
                   median_days_per_month double precision)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT
    AS $$ SELECT * FROM dora_deployment_frequency(p_from, p_to, p_project, p_repo) $$;
CREATE FUNCTION ask.q_dora_lead_time(p_from timestamptz, p_to timestamptz,
        p_project text DEFAULT NULL, p_repo text DEFAULT NULL)
    RETURNS TABLE (merged bigint, merged_deployed bigint, changes bigint,
                   by_commit_range bigint, by_deployment_after_merge bigint,
                   median_seconds double precision,
                   coding_seconds double precision, coding_sample bigint,
                   pickup_seconds double precision, pickup_sample bigint,
                   review_seconds double precision, review_sample bigint,
                   deploy_seconds double precision, deploy_sample bigint)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT
    AS $$ SELECT * FROM dora_lead_time(p_from, p_to, p_project, p_repo) $$;
CREATE FUNCTION ask.q_dora_change_failure_rate(p_from timestamptz, p_to timestamptz,
        p_project text DEFAULT NULL, p_repo text DEFAULT NULL)
    RETURNS TABLE (deployments bigint, failed_deployments bigint, incidents bigint,
                   by_project_mapping bigint, by_any_repository bigint)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT
    AS $$ SELECT * FROM dora_change_failure_rate(p_from, p_to, p_project, p_repo) $$;
CREATE FUNCTION ask.q_dora_recovery_time(p_from timestamptz, p_to timestamptz,
        p_project text DEFAULT NULL, p_repo text DEFAULT NULL)
    RETURNS TABLE (incidents bigint, attributed bigint, resolved bigint,
                   by_project_mapping bigint, by_any_repository bigint,
                   median_seconds double precision)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT
    AS $$ SELECT * FROM dora_recovery_time(p_from, p_to, p_project, p_repo) $$;
COMMENT ON FUNCTION ask.q_dora_deployment_frequency(timestamptz, timestamptz, text, text) IS
    'DORA deployment frequency in [p_from, p_to), optionally for one project key or repository.';
COMMENT ON FUNCTION ask.q_dora_lead_time(timestamptz, timestamptz, text, text) IS
    'DORA lead time for changes (median_seconds) and its stages in [p_from, p_to).';
COMMENT ON FUNCTION ask.q_dora_change_failure_rate(timestamptz, timestamptz, text, text) IS
    'DORA change failure rate: failed_deployments / deployments in [p_from, p_to).';
COMMENT ON FUNCTION ask.q_dora_recovery_time(timestamptz, timestamptz, text, text) IS
    'DORA time to restore service (median_seconds) of incidents in [p_from, p_to).';

DO $$
DECLARE o text;
BEGIN
    FOR o IN SELECT format('VIEW ask.%I', c.relname) FROM pg_class c
              WHERE c.relnamespace = 'ask'::regnamespace AND c.relkind = 'v'
             UNION ALL
             SELECT format('FUNCTION %s', p.oid::regprocedure) FROM pg_proc p
              WHERE p.pronamespace = 'ask'::regnamespace
    LOOP
        EXECUTE format('ALTER %s OWNER TO pulse_query_owner', o);
    END LOOP;
END $$;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA ask FROM PUBLIC;

-- The query role: the views and the DORA functions, nothing else.
GRANT USAGE ON SCHEMA ask TO pulse_query;
GRANT SELECT ON ALL TABLES IN SCHEMA ask TO pulse_query;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA ask TO pulse_query;

-- Defence in depth under the SQL guard: functions a read-only transaction
-- still allows and that would matter if a query ever got through.
-- set_config could rewrite app.tenant_id mid-query; advisory locks
-- outlive the ROLLBACK (session locks); the *_to_xml family runs SQL
-- text. The app role gets back the two advisory-lock functions that
-- housekeeping needs (`migrate --app-role`, host/db/migrate.c).
DO $$
DECLARE f text;
BEGIN
    FOR f IN SELECT p.oid::regprocedure::text FROM pg_proc p
              WHERE p.pronamespace = 'pg_catalog'::regnamespace
                AND (p.proname = 'set_config'
                     OR p.proname LIKE 'pg\_advisory%' OR p.proname LIKE 'pg\_try\_advisory%'
                     OR p.proname IN ('query_to_xml', 'query_to_xmlschema',
                                      'query_to_xml_and_xmlschema', 'cursor_to_xml',
                                      'cursor_to_xmlschema'))
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', f);
    END LOOP;
END $$;
