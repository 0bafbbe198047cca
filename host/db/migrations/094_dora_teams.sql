-- 094_dora_teams: the team cut for the three DORA keys that have no
-- author of their own (docs/people.md, "Team and org unit cuts"):
-- deployment frequency, change failure rate and recovery time.
--
-- Rule: a deployment belongs to every team that authored at least one of
-- the changes it shipped. The changes a deployment shipped are those of
-- dora_changes (010): the merged PRs it deployed first, found by commit
-- range (deployment_commits -> prs.merge_commit_sha) or, for a repository
-- without ranges, as the first deployment after the merge. A PR's author
-- is its GitHub login; p_authors are the team's logins, lower-case
-- (people_accounts_of). A deployment that shipped no known PR (a
-- redeploy, direct pushes only) belongs to no team.
--
-- Each metric function of 010 becomes its *_of twin with p_authors NULL
-- (every deployment), so there is one definition, as for lead time (091).
SELECT set_config('search_path', format('%I, pg_temp', current_schema()), true);

-- The successful production deployments in scope, finished in
-- [p_from, p_to), that shipped a change authored by one of p_authors.
-- A change is deployed at the first deployment that shipped it, so the
-- answer for a deployment does not depend on the window asked.
CREATE FUNCTION dora_deployments_of(p_from timestamptz, p_to timestamptz,
                                    p_project text, p_repo text,
                                    p_authors text[])
    RETURNS TABLE (id bigint)
    LANGUAGE sql STABLE
    AS $$
    SELECT DISTINCT d.id
      FROM dora_changes(p_from, p_to, p_project, p_repo) c
      JOIN dora_deployments(p_project, p_repo) d
        ON d.repository = c.repository AND d.finished_at = c.deployed_at
     WHERE c.deployed_at IS NOT NULL
       AND lower(c.author) = ANY (p_authors)
       AND d.finished_at >= p_from AND d.finished_at < p_to
    $$;

-- dora_deployment_frequency of 010 over the team's deployments.
CREATE FUNCTION dora_deployment_frequency_of(p_from timestamptz, p_to timestamptz,
                                             p_project text, p_repo text,
                                             p_authors text[])
    RETURNS TABLE (deployments bigint, deployment_days bigint,
                   weeks integer, median_days_per_week double precision,
                   months integer, median_days_per_month double precision)
    LANGUAGE sql STABLE
    AS $$
    WITH span AS (
        SELECT (p_from AT TIME ZONE 'UTC')::date AS first_day,
               ((p_to - interval '1 microsecond') AT TIME ZONE 'UTC')::date AS last_day
    ),
    n AS (
        SELECT first_day,
               greatest(1, ceil((last_day - first_day + 1) / 7.0))::integer AS weeks,
               greatest(1, ceil((last_day - first_day + 1) / 30.0))::integer AS months
          FROM span
    ),
    dep AS MATERIALIZED (
        SELECT (d.finished_at AT TIME ZONE 'UTC')::date AS day
          FROM dora_deployments(p_project, p_repo) d
         WHERE d.finished_at >= p_from AND d.finished_at < p_to
           AND (p_authors IS NULL OR d.id IN (
                SELECT t.id FROM dora_deployments_of(p_from, p_to, p_project,
                                                     p_repo, p_authors) t))
    ),
    days AS MATERIALIZED (
        SELECT DISTINCT dep.day, (dep.day - n.first_day) / 7 AS wk,
               (dep.day - n.first_day) / 30 AS mo
          FROM dep, n
    ),
    per_week AS (
        SELECT g.i, count(days.day) AS days
          FROM n CROSS JOIN LATERAL generate_series(0, n.weeks - 1) AS g(i)
          LEFT JOIN days ON days.wk = g.i
         GROUP BY g.i
    ),
    per_month AS (
        SELECT g.i, count(days.day) AS days
          FROM n CROSS JOIN LATERAL generate_series(0, n.months - 1) AS g(i)
          LEFT JOIN days ON days.mo = g.i
         GROUP BY g.i
    )
    SELECT (SELECT count(*) FROM dep),
           (SELECT count(*) FROM days),
           (SELECT weeks FROM n),
           (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY days) FROM per_week),
           (SELECT months FROM n),
           (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY days) FROM per_month)
    $$;

-- dora_change_failure_rate of 010 over the team's deployments: of them,
-- those followed by an incident attributed to them.
CREATE FUNCTION dora_change_failure_rate_of(p_from timestamptz, p_to timestamptz,
                                            p_project text, p_repo text,
                                            p_authors text[])
    RETURNS TABLE (deployments bigint, failed_deployments bigint,
                   incidents bigint, by_project_mapping bigint,
                   by_any_repository bigint)
    LANGUAGE sql STABLE
    AS $$
    WITH dep AS MATERIALIZED (
        SELECT d.id FROM dora_deployments(p_project, p_repo) d
         WHERE d.finished_at >= p_from AND d.finished_at < p_to
           AND (p_authors IS NULL OR d.id IN (
                SELECT t.id FROM dora_deployments_of(p_from, p_to, p_project,
                                                     p_repo, p_authors) t))
    ),
    att AS MATERIALIZED (
        SELECT i.deployment_id, i.attribution
          FROM dora_incidents(p_from, p_project) i
          JOIN dep ON dep.id = i.deployment_id
    )
    SELECT (SELECT count(*) FROM dep),
           (SELECT count(DISTINCT deployment_id) FROM att),
           (SELECT count(*) FROM att),
           (SELECT count(*) FROM att WHERE attribution = 'project_mapping'),
           (SELECT count(*) FROM att WHERE attribution = 'any_repository')
    $$;

-- dora_recovery_time of 010 over the incidents attributed to one of the
-- team's deployments. Such a deployment may precede the window: the
-- team's deployments are asked from the earliest attributed one on.
CREATE FUNCTION dora_recovery_time_of(p_from timestamptz, p_to timestamptz,
                                      p_project text, p_repo text,
                                      p_authors text[])
    RETURNS TABLE (incidents bigint, attributed bigint, resolved bigint,
                   by_project_mapping bigint, by_any_repository bigint,
                   median_seconds double precision)
    LANGUAGE sql STABLE
    AS $$
    WITH scope AS MATERIALIZED (SELECT dora_scope(p_project, p_repo) AS repos),
    i0 AS MATERIALIZED (
        SELECT i.*
          FROM dora_incidents(p_from, p_project) i
         WHERE i.created_at < p_to
    ),
    team AS MATERIALIZED (
        SELECT t.id
          FROM (SELECT min(i0.deployed_at) AS lo FROM i0) x
         CROSS JOIN LATERAL dora_deployments_of(x.lo, p_to, p_project, p_repo,
                                                p_authors) t
         WHERE p_authors IS NOT NULL AND x.lo IS NOT NULL
    ),
    i AS MATERIALIZED (
        SELECT i0.*,
               i0.deployment_id IS NOT NULL
               AND (s.repos IS NULL OR i0.repository = ANY (s.repos))
               AND (p_authors IS NULL OR i0.deployment_id IN (SELECT team.id FROM team))
               AS in_scope
          FROM i0, scope s
    )
    SELECT count(*),
           count(*) FILTER (WHERE in_scope),
           count(*) FILTER (WHERE in_scope AND resolved_at IS NOT NULL),
           count(*) FILTER (WHERE in_scope AND attribution = 'project_mapping'),
           count(*) FILTER (WHERE in_scope AND attribution = 'any_repository'),
           percentile_cont(0.5) WITHIN GROUP (
               ORDER BY dora_clamp(resolved_at - created_at))
               FILTER (WHERE in_scope AND resolved_at IS NOT NULL)
      FROM i
    $$;

-- 010's functions: the twins with every deployment.
CREATE OR REPLACE FUNCTION dora_deployment_frequency(p_from timestamptz, p_to timestamptz,
                                                     p_project text DEFAULT NULL,
                                                     p_repo text DEFAULT NULL)
    RETURNS TABLE (deployments bigint, deployment_days bigint,
                   weeks integer, median_days_per_week double precision,
                   months integer, median_days_per_month double precision)
    LANGUAGE sql STABLE
    AS $$ SELECT * FROM dora_deployment_frequency_of(p_from, p_to, p_project, p_repo, NULL) $$;

CREATE OR REPLACE FUNCTION dora_change_failure_rate(p_from timestamptz, p_to timestamptz,
                                                    p_project text DEFAULT NULL,
                                                    p_repo text DEFAULT NULL)
    RETURNS TABLE (deployments bigint, failed_deployments bigint,
                   incidents bigint, by_project_mapping bigint,
                   by_any_repository bigint)
    LANGUAGE sql STABLE
    AS $$ SELECT * FROM dora_change_failure_rate_of(p_from, p_to, p_project, p_repo, NULL) $$;

CREATE OR REPLACE FUNCTION dora_recovery_time(p_from timestamptz, p_to timestamptz,
                                              p_project text DEFAULT NULL,
                                              p_repo text DEFAULT NULL)
    RETURNS TABLE (incidents bigint, attributed bigint, resolved bigint,
                   by_project_mapping bigint, by_any_repository bigint,
                   median_seconds double precision)
    LANGUAGE sql STABLE
    AS $$ SELECT * FROM dora_recovery_time_of(p_from, p_to, p_project, p_repo, NULL) $$;
