-- 010_dora: the four DORA keys (docs/dora.md) as SQL functions.
--
-- Every function runs with the caller's rights (SECURITY INVOKER), so
-- row-level security confines it to the tenant of the transaction
-- (SET LOCAL app.tenant_id). The explicit tenant_id = dora_tenant()
-- conditions are only there so the planner can use the indexes below.
--
-- Parameters shared by the metric functions:
--   p_from, p_to   the window [p_from, p_to)
--   p_project      NULL, or a project key: its mapped repositories and its
--                  incidents only (dora_project_repositories)
--   p_repo         NULL, or one repository "owner/name"
--
-- A deployment is a row of `deployments` with is_production and latest
-- status 'success'. A deployment that failed and was retried is one row
-- per attempt; only the successful one counts, at its finish time.

-- Which repositories a project's incidents belong to. Without a row for a
-- project, its incidents are attributed to the latest deployment of any
-- repository of the tenant (docs/dora.md, "Incidents to deployments").
-- Managed with `pulse-host dora map`.
CREATE TABLE dora_project_repositories (
    tenant_id               bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    project_key             text NOT NULL,   -- Jira project key or external id
    repository_external_id  text NOT NULL,   -- owner/name, lower-case
    created_at              timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, project_key, repository_external_id)
);
ALTER TABLE dora_project_repositories ENABLE ROW LEVEL SECURITY;
ALTER TABLE dora_project_repositories FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON dora_project_repositories
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::bigint)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::bigint);

-- Indexes: every query starts from the window (tests/bench/dora-bench.sh).
-- Deployments in a window, or of any repository before a time.
CREATE INDEX dora_deployments_time ON deployments (tenant_id, finished_at)
    WHERE is_production AND status = 'success';
-- Does a deployment have a known commit range; what did it ship.
CREATE INDEX dora_deployment_commits_deployment
    ON deployment_commits (tenant_id, integration_id, deployment_external_id);
-- PRs merged in a window, across repositories.
CREATE INDEX dora_prs_merged_time ON prs (tenant_id, merged_at)
    WHERE merged_at IS NOT NULL;
-- Reviews and comments of the window's PRs, by time.
CREATE INDEX dora_prs_reviews_time ON prs_reviews (tenant_id, submitted_at);
CREATE INDEX dora_prs_comments_time ON prs_comments (tenant_id, created_at);
-- Incidents by type and creation time.
CREATE INDEX dora_work_items_wit_created
    ON work_items (tenant_id, integration_id, wit_name, created_at);

-- The tenant of the transaction (NULL outside db_tenant_begin()).
CREATE FUNCTION dora_tenant() RETURNS bigint
    LANGUAGE sql STABLE
    AS $$ SELECT nullif(current_setting('app.tenant_id', true), '')::bigint $$;

-- An interval in seconds, negative ones (clock skew, rewritten history)
-- as zero; NULL stays NULL.
CREATE FUNCTION dora_clamp(p interval) RETURNS double precision
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT CASE WHEN p < interval '0' THEN 0
                      ELSE extract(epoch FROM p)::double precision END $$;

-- Repositories in scope: NULL = all of the tenant's; otherwise an array
-- (empty when a project has none mapped). With both filters, the
-- repository only if it is mapped to the project.
CREATE FUNCTION dora_scope(p_project text, p_repo text) RETURNS text[]
    LANGUAGE sql STABLE
    AS $$
    SELECT CASE
        WHEN p_project IS NULL AND p_repo IS NULL THEN NULL
        WHEN p_project IS NULL THEN ARRAY[lower(p_repo)]
        ELSE coalesce((
            SELECT array_agg(DISTINCT r.repository_external_id)
              FROM dora_project_repositories r
             WHERE r.tenant_id = dora_tenant()
               AND r.project_key = p_project
               AND (p_repo IS NULL OR r.repository_external_id = lower(p_repo))),
            '{}'::text[])
        END
    $$;

-- Successful production deployments in scope (dora_scope), any time.
-- Callers pass plain parameters, never sub-selects: PostgreSQL inlines a
-- SQL function only then, and the window conditions reach the index.
CREATE FUNCTION dora_deployments(p_project text, p_repo text)
    RETURNS TABLE (id bigint, integration_id bigint, external_id text,
                   repository text, sha text, finished_at timestamptz)
    LANGUAGE sql STABLE
    AS $$
    SELECT d.id, d.integration_id, d.external_id, d.repository_external_id,
           d.sha, d.finished_at
      FROM deployments d,
           (SELECT dora_scope(p_project, p_repo) AS repos) s
     WHERE d.tenant_id = dora_tenant()
       AND d.is_production AND d.status = 'success'
       AND d.finished_at IS NOT NULL AND d.deleted_at IS NULL
       AND (s.repos IS NULL OR d.repository_external_id = ANY (s.repos))
    $$;

-- Deployment frequency. Days are UTC calendar days; the window's days
-- (from the day of p_from to the day before p_to, or p_to's day when it
-- is not midnight) are cut into weeks of 7 days counted from the first,
-- and months of 30 days; a shorter last period counts as a whole one.
-- Periods with no deployment count as zero.
CREATE FUNCTION dora_deployment_frequency(p_from timestamptz, p_to timestamptz,
                                          p_project text DEFAULT NULL,
                                          p_repo text DEFAULT NULL)
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

-- Changes (merged PRs) that matter for the window: merged in it, or first
-- deployed in it. deployed_at is the first successful production
-- deployment of the PR's repository that shipped it, when that is in the
-- window (NULL: not deployed by p_to). method says how it was found:
--   commit_range            the repository's deployments in the window
--                           have recorded commit ranges (deployment_commits):
--                           the first deployment whose range holds the
--                           merge commit
--   deployment_after_merge  no commit range is known for the repository's
--                           deployments in the window: its first deployment
--                           finishing after the merge
-- Only deployments in the window (and the last one before it) can matter,
-- so everything starts from them. Set operations (hash joins, one sort)
-- instead of a look-up per PR keep 25,000 changes well under a second.
CREATE FUNCTION dora_changes(p_from timestamptz, p_to timestamptz,
                             p_project text DEFAULT NULL,
                             p_repo text DEFAULT NULL)
    RETURNS TABLE (pr_id bigint, integration_id bigint, pr_external_id text,
                   repository text, pr_number integer, author text,
                   created_at timestamptz, first_commit_at timestamptz,
                   merged_at timestamptz, deployed_at timestamptz,
                   method text)
    LANGUAGE sql STABLE
    AS $$
    WITH scope AS MATERIALIZED (
        SELECT dora_scope(p_project, p_repo) AS repos, dora_tenant() AS tid
    ),
    -- Successful production deployments in scope in the window.
    win AS MATERIALIZED (
        SELECT d.integration_id, d.external_id,
               d.repository_external_id AS repository, d.finished_at
          FROM deployments d, scope s
         WHERE d.tenant_id = s.tid AND d.is_production AND d.status = 'success'
           AND d.finished_at >= p_from AND d.finished_at < p_to
           AND d.deleted_at IS NULL
           AND (s.repos IS NULL OR d.repository_external_id = ANY (s.repos))
    ),
    -- The commits they shipped.
    win_dc AS MATERIALIZED (
        SELECT w.repository, w.finished_at, dc.sha
          FROM win w
          JOIN deployment_commits dc
            ON dc.integration_id = w.integration_id
           AND dc.deployment_external_id = w.external_id
         WHERE dc.tenant_id = dora_tenant() AND dc.deleted_at IS NULL
    ),
    -- Repositories deploying in the window: commit ranges known? last
    -- deployment before the window?
    repo AS MATERIALIZED (
        SELECT r.repository,
               r.repository IN (SELECT x.repository FROM win_dc x) AS ranged,
               (SELECT max(d.finished_at)
                  FROM deployments d
                 WHERE d.tenant_id = s.tid
                   AND d.repository_external_id = r.repository
                   AND d.is_production AND d.status = 'success'
                   AND d.finished_at < p_from AND d.deleted_at IS NULL) AS before_from
          FROM scope s, (SELECT DISTINCT w.repository FROM win w) r
    ),
    merged AS MATERIALIZED (
        SELECT p.id, p.integration_id, p.external_id, p.repository_external_id,
               p.number, p.author, p.created_at, p.first_commit_at, p.merged_at,
               p.merge_commit_sha
          FROM prs p, scope s
         WHERE p.tenant_id = s.tid AND p.merged_at IS NOT NULL
           AND p.merged_at >= p_from AND p.merged_at < p_to
           AND p.deleted_at IS NULL
           AND (s.repos IS NULL OR p.repository_external_id = ANY (s.repos))
    ),
    -- Merged before the window, first deployed in it.
    earlier AS (
        -- no ranges: merged since the last deployment before the window,
        -- a range scan of prs_merged per repository (OFFSET 0 keeps the
        -- planner from turning it into a scan of all PRs)
        SELECT p.*
          FROM repo, scope s
         CROSS JOIN LATERAL (
                SELECT p.id, p.integration_id, p.external_id,
                       p.repository_external_id, p.number, p.author,
                       p.created_at, p.first_commit_at, p.merged_at,
                       p.merge_commit_sha
                  FROM prs p
                 WHERE p.tenant_id = s.tid
                   AND p.repository_external_id = repo.repository
                   AND p.merged_at IS NOT NULL AND p.merged_at < p_from
                   AND p.merged_at >= coalesce(repo.before_from, '-infinity')
                   AND p.deleted_at IS NULL
                OFFSET 0) p
         WHERE NOT repo.ranged
        UNION ALL
        -- ranges: shipped in the window and by no deployment before it
        SELECT p.id, p.integration_id, p.external_id, p.repository_external_id,
               p.number, p.author, p.created_at, p.first_commit_at, p.merged_at,
               p.merge_commit_sha
          FROM (SELECT DISTINCT x.repository, x.sha FROM win_dc x
                 WHERE NOT EXISTS (SELECT 1 FROM merged m
                                    WHERE m.merge_commit_sha = x.sha
                                      AND m.repository_external_id = x.repository)) x
          JOIN prs p
            ON p.tenant_id = dora_tenant() AND p.merge_commit_sha = x.sha
           AND p.repository_external_id = x.repository
         WHERE p.merged_at IS NOT NULL AND p.merged_at < p_from
           AND p.deleted_at IS NULL
           AND NOT EXISTS (
                SELECT 1 FROM deployment_commits dc
                  JOIN deployments d
                    ON d.tenant_id = dc.tenant_id
                   AND d.integration_id = dc.integration_id
                   AND d.external_id = dc.deployment_external_id
                 WHERE dc.tenant_id = dora_tenant() AND dc.sha = x.sha
                   AND dc.deleted_at IS NULL
                   AND d.repository_external_id = x.repository
                   AND d.is_production AND d.status = 'success'
                   AND d.finished_at < p_from AND d.deleted_at IS NULL)
    ),
    cand AS MATERIALIZED (
        SELECT * FROM merged UNION ALL SELECT * FROM earlier
    ),
    -- Commit ranges: the first deployment in the window holding the merge
    -- commit (a merge cannot ship before it happened, so for PRs merged
    -- in the window no earlier deployment can hold it).
    by_range AS (
        SELECT x.repository, x.sha, min(x.finished_at) AS deployed_at
          FROM win_dc x
         GROUP BY x.repository, x.sha
    ),
    -- No ranges: the first deployment strictly after the merge. One sort
    -- of merges and deployments per repository, newest first, with a
    -- running minimum of deployment times (a deployment at the very
    -- instant of the merge sorts after it, so it is not "after").
    events AS (
        SELECT c.id, c.repository_external_id AS repository, c.merged_at AS at, 0 AS kind
          FROM cand c JOIN repo ON repo.repository = c.repository_external_id
         WHERE NOT repo.ranged
        UNION ALL
        SELECT NULL, w.repository, w.finished_at, 1
          FROM win w JOIN repo ON repo.repository = w.repository
         WHERE NOT repo.ranged
    ),
    by_time AS (
        SELECT x.id, x.deployed_at FROM (
            SELECT e.id, e.kind,
                   min(e.at) FILTER (WHERE e.kind = 1) OVER (
                       PARTITION BY e.repository ORDER BY e.at DESC, e.kind
                       ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS deployed_at
              FROM events e) x
         WHERE x.kind = 0
    )
    SELECT c.id, c.integration_id, c.external_id, c.repository_external_id,
           c.number, c.author, c.created_at, c.first_commit_at, c.merged_at,
           coalesce(br.deployed_at, bt.deployed_at),
           CASE WHEN coalesce(repo.ranged, false) THEN 'commit_range'
                ELSE 'deployment_after_merge' END
      FROM cand c
      LEFT JOIN repo ON repo.repository = c.repository_external_id
      LEFT JOIN by_range br
             ON br.sha = c.merge_commit_sha AND br.repository = c.repository_external_id
      LEFT JOIN by_time bt ON bt.id = c.id
    $$;

-- Lead time for changes over the changes first deployed in the window,
-- with its breakdown (each a median over the PRs where the phase is
-- known):
--   coding  first commit authored -> PR opened
--   pickup  PR opened -> first review or comment by someone other than
--           the author (bots "*[bot]" excluded), at or before the merge
--   review  pickup (or opening, when nobody picked it up) -> merge
--   deploy  merge -> deployment
-- The first commit is prs.first_commit_at, else the earliest authored
-- commit in prs_commits; unknown, the PR's opening stands in (and coding
-- is not sampled). Negative spans (clock skew, rebased history) count as zero.
CREATE FUNCTION dora_lead_time(p_from timestamptz, p_to timestamptz,
                               p_project text DEFAULT NULL,
                               p_repo text DEFAULT NULL)
    RETURNS TABLE (merged bigint, merged_deployed bigint, changes bigint,
                   by_commit_range bigint, by_deployment_after_merge bigint,
                   median_seconds double precision,
                   coding_seconds double precision, coding_sample bigint,
                   pickup_seconds double precision, pickup_sample bigint,
                   review_seconds double precision, review_sample bigint,
                   deploy_seconds double precision, deploy_sample bigint)
    LANGUAGE sql STABLE
    AS $$
    WITH c AS MATERIALIZED (
        SELECT c.*, c.deployed_at IS NOT NULL AS sampled
          FROM dora_changes(p_from, p_to, p_project, p_repo) c
    ),
    -- prs.first_commit_at is the earliest authored commit; prs_commits
    -- only fills in where the source did not set it.
    fc AS (
        SELECT c.pr_id, min(pc.authored_at) AS at
          FROM c JOIN prs_commits pc
            ON pc.tenant_id = dora_tenant() AND pc.integration_id = c.integration_id
           AND pc.pr_external_id = c.pr_external_id
         WHERE c.sampled AND c.first_commit_at IS NULL AND pc.deleted_at IS NULL
         GROUP BY c.pr_id
    ),
    -- Reviews and comments are read by time, from the opening of the
    -- oldest sampled PR to the window's end, so the cost follows the
    -- window and not the history.
    lo AS (
        SELECT min(c.created_at) AS at FROM c WHERE c.sampled
    ),
    pk AS (
        SELECT c.pr_id, min(x.at) AS at
          FROM (SELECT r.integration_id, r.pr_external_id, r.author,
                       r.submitted_at AS at
                  FROM lo, prs_reviews r
                 WHERE r.tenant_id = dora_tenant()
                   AND r.submitted_at >= lo.at AND r.submitted_at < p_to
                   AND r.deleted_at IS NULL
                UNION ALL
                SELECT m.integration_id, m.pr_external_id, m.author, m.created_at
                  FROM lo, prs_comments m
                 WHERE m.tenant_id = dora_tenant()
                   AND m.created_at >= lo.at AND m.created_at < p_to
                   AND m.deleted_at IS NULL) x
          JOIN c ON c.integration_id = x.integration_id
                AND c.pr_external_id = x.pr_external_id
         WHERE c.sampled AND x.at <= c.merged_at
           AND x.author IS DISTINCT FROM c.author
           AND coalesce(x.author, '') NOT LIKE '%[bot]'
         GROUP BY c.pr_id
    ),
    -- Spans in seconds; negative ones count as zero, unknown stay NULL
    -- (greatest() would turn NULL into 0).
    t AS (
        SELECT c.method, c.sampled, c.merged_at >= p_from AS merged_in,
               dora_clamp(c.deployed_at - coalesce(c.first_commit_at, fc.at,
                                                   c.created_at, c.merged_at)) AS lead,
               dora_clamp(c.created_at - coalesce(c.first_commit_at, fc.at)) AS coding,
               dora_clamp(pk.at - c.created_at) AS pickup,
               dora_clamp(c.merged_at - coalesce(pk.at, c.created_at)) AS review,
               dora_clamp(c.deployed_at - c.merged_at) AS deploy
          FROM c LEFT JOIN fc ON fc.pr_id = c.pr_id
                 LEFT JOIN pk ON pk.pr_id = c.pr_id
    )
    SELECT count(*) FILTER (WHERE merged_in),
           count(*) FILTER (WHERE merged_in AND sampled),
           count(*) FILTER (WHERE sampled),
           count(*) FILTER (WHERE sampled AND method = 'commit_range'),
           count(*) FILTER (WHERE sampled AND method = 'deployment_after_merge'),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY lead) FILTER (WHERE sampled),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY coding) FILTER (WHERE sampled),
           count(coding) FILTER (WHERE sampled),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY pickup) FILTER (WHERE sampled),
           count(pickup) FILTER (WHERE sampled),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY review) FILTER (WHERE sampled),
           count(review) FILTER (WHERE sampled),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY deploy) FILTER (WHERE sampled),
           count(deploy) FILTER (WHERE sampled)
      FROM t
    $$;

-- Incidents: work items whose type is mapped to Incident (wits_mappings),
-- created at or after p_from (NULL: all), of project p_project (NULL:
-- all), each attributed to the most recent successful production
-- deployment that finished before it was created, among the repositories
-- mapped to its project (attribution 'project_mapping') or, when its
-- project has none mapped, among all repositories of the tenant
-- ('any_repository'). Unattributed incidents have NULL deployment.
CREATE FUNCTION dora_incidents(p_from timestamptz, p_project text DEFAULT NULL)
    RETURNS TABLE (work_item_id bigint, item_key text, project_key text,
                   created_at timestamptz, resolved_at timestamptz,
                   deployment_id bigint, repository text,
                   deployed_at timestamptz, attribution text)
    LANGUAGE sql STABLE
    AS $$
    WITH inc AS MATERIALIZED (
        SELECT wi.id, wi.key, wi.project_external_id AS pext,
               coalesce(pj.key, wi.project_external_id) AS pkey,
               wi.created_at, wi.resolved_at
          FROM wits_mappings m
          JOIN work_items wi
            ON wi.tenant_id = m.tenant_id AND wi.integration_id = m.integration_id
           AND wi.wit_name = m.source_name
          LEFT JOIN projects pj
            ON pj.tenant_id = wi.tenant_id AND pj.integration_id = wi.integration_id
           AND pj.external_id = wi.project_external_id
         WHERE m.tenant_id = dora_tenant() AND m.canonical_type = 'Incident'
           AND wi.created_at IS NOT NULL AND wi.deleted_at IS NULL
           AND (p_from IS NULL OR wi.created_at >= p_from)
    ),
    maps AS MATERIALIZED (
        SELECT r.project_key, array_agg(r.repository_external_id) AS repos
          FROM dora_project_repositories r
         WHERE r.tenant_id = dora_tenant()
         GROUP BY r.project_key
    ),
    mapped AS MATERIALIZED (
        SELECT inc.*, coalesce(k.repos, e.repos) AS repos
          FROM inc
          LEFT JOIN maps k ON k.project_key = inc.pkey
          LEFT JOIN maps e ON e.project_key = inc.pext
         WHERE p_project IS NULL OR p_project IN (inc.pkey, inc.pext)
    )
    SELECT i.id, i.key, i.pkey, i.created_at, i.resolved_at,
           dep.id, dep.repository_external_id, dep.finished_at,
           CASE WHEN dep.id IS NULL THEN NULL
                WHEN i.repos IS NULL THEN 'any_repository'
                ELSE 'project_mapping' END
      FROM mapped i
      LEFT JOIN LATERAL (
            SELECT x.* FROM (
                (SELECT d.id, d.repository_external_id, d.finished_at
                   FROM deployments d
                  WHERE i.repos IS NULL
                    AND d.tenant_id = dora_tenant()
                    AND d.is_production AND d.status = 'success'
                    AND d.finished_at < i.created_at AND d.deleted_at IS NULL
                  ORDER BY d.finished_at DESC, d.id DESC
                  LIMIT 1)
                UNION ALL
                SELECT y.*
                  FROM unnest(i.repos) AS r(repo)
                  CROSS JOIN LATERAL (
                        SELECT d.id, d.repository_external_id, d.finished_at
                          FROM deployments d
                         WHERE d.tenant_id = dora_tenant()
                           AND d.repository_external_id = r.repo
                           AND d.is_production AND d.status = 'success'
                           AND d.finished_at < i.created_at AND d.deleted_at IS NULL
                         ORDER BY d.finished_at DESC, d.id DESC
                         LIMIT 1) y
            ) x
            ORDER BY x.finished_at DESC, x.id DESC
            LIMIT 1
      ) dep ON true
    $$;

-- Change failure rate: deployments in the window followed by at least one
-- incident attributed to them, over all deployments in the window. An
-- incident created after p_to still marks a deployment inside it.
CREATE FUNCTION dora_change_failure_rate(p_from timestamptz, p_to timestamptz,
                                         p_project text DEFAULT NULL,
                                         p_repo text DEFAULT NULL)
    RETURNS TABLE (deployments bigint, failed_deployments bigint,
                   incidents bigint, by_project_mapping bigint,
                   by_any_repository bigint)
    LANGUAGE sql STABLE
    AS $$
    WITH dep AS MATERIALIZED (
        SELECT d.id FROM dora_deployments(p_project, p_repo) d
         WHERE d.finished_at >= p_from AND d.finished_at < p_to
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

-- Failed deployment recovery time: median of resolved - created over the
-- incidents created in the window that are attributed to a deployment in
-- scope (which may precede the window) and resolved.
CREATE FUNCTION dora_recovery_time(p_from timestamptz, p_to timestamptz,
                                   p_project text DEFAULT NULL,
                                   p_repo text DEFAULT NULL)
    RETURNS TABLE (incidents bigint, attributed bigint, resolved bigint,
                   by_project_mapping bigint, by_any_repository bigint,
                   median_seconds double precision)
    LANGUAGE sql STABLE
    AS $$
    WITH scope AS MATERIALIZED (SELECT dora_scope(p_project, p_repo) AS repos),
    i AS MATERIALIZED (
        SELECT i.*,
               i.deployment_id IS NOT NULL
               AND (s.repos IS NULL OR i.repository = ANY (s.repos)) AS in_scope
          FROM dora_incidents(p_from, p_project) i, scope s
         WHERE i.created_at < p_to
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

-- What an empty figure needs to say why: counts about the scope.
CREATE FUNCTION dora_diagnostics(p_from timestamptz, p_to timestamptz,
                                 p_project text DEFAULT NULL,
                                 p_repo text DEFAULT NULL)
    RETURNS TABLE (repositories bigint,        -- in scope
                   deployments_window bigint,  -- any environment and status
                   non_production bigint,      -- in the window
                   unsuccessful bigint,        -- production, not success
                   environments text,          -- non-production names seen
                   environment_regexes text,   -- integrations' regexes
                   incident_mappings bigint,   -- types mapped to Incident
                   mapped_projects bigint)     -- projects with repositories
    LANGUAGE sql STABLE
    AS $$
    WITH scope AS MATERIALIZED (
        SELECT dora_scope(p_project, p_repo) AS repos, dora_tenant() AS tid
    ),
    repos AS MATERIALIZED (
        SELECT r.integration_id, r.external_id AS repository
          FROM repositories r, scope s
         WHERE r.tenant_id = s.tid AND r.deleted_at IS NULL
           AND (s.repos IS NULL OR r.external_id = ANY (s.repos))
    ),
    w AS MATERIALIZED (
        SELECT d.integration_id, d.repository_external_id, d.environment,
               d.is_production, d.status
          FROM deployments d, scope s
         WHERE d.tenant_id = s.tid AND d.deleted_at IS NULL
           AND coalesce(d.finished_at, d.created_at) >= p_from
           AND coalesce(d.finished_at, d.created_at) < p_to
           AND (s.repos IS NULL OR d.repository_external_id = ANY (s.repos))
    )
    SELECT (SELECT count(*) FROM (
                SELECT repository FROM repos
                UNION
                SELECT unnest(s.repos) FROM scope s
                UNION
                SELECT repository_external_id FROM w) x),
           (SELECT count(*) FROM w),
           (SELECT count(*) FROM w WHERE NOT is_production),
           (SELECT count(*) FROM w WHERE is_production AND status IS DISTINCT FROM 'success'),
           (SELECT string_agg(e, ', ' ORDER BY e) FROM (
                SELECT DISTINCT coalesce(environment, '(none)') AS e
                  FROM w WHERE NOT is_production LIMIT 5) x),
           (SELECT string_agg(DISTINCT coalesce(i.settings->>'deployment_environment',
                                                'prod|production'), ''' or ''')
              FROM integrations i, scope s
             WHERE i.tenant_id = s.tid
               AND (i.id IN (SELECT integration_id FROM repos)
                    OR i.id IN (SELECT integration_id FROM w))),
           (SELECT count(*) FROM wits_mappings m, scope s
             WHERE m.tenant_id = s.tid AND m.canonical_type = 'Incident'),
           (SELECT count(DISTINCT project_key) FROM dora_project_repositories r, scope s
             WHERE r.tenant_id = s.tid)
    $$;
