-- Synthetic tenant for tests/bench/dora-bench.sh: 100 repositories and
-- projects, 100,000 PRs, 20,000 deployments, 5,000 incidents over the
-- year before now(). Deterministic (no random()): values come from
-- hashes of the row number, so every run times the same data.
-- psql variables: tenant (id).
SET TimeZone = 'UTC';
SELECT set_config('app.tenant_id', :'tenant', false);

-- h(n, k): a stable pseudo-random number in [0, 1) for row n, stream k.
CREATE TEMP TABLE bench_now AS SELECT date_trunc('hour', now()) AS t;
CREATE FUNCTION pg_temp.h(n bigint, k int) RETURNS double precision
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT ((hashtext(n::text || ':' || k::text)::bigint & 2147483647) % 1000000) / 1000000.0 $$;

INSERT INTO integrations (tenant_id, name, type, plugin, settings)
VALUES (:tenant, 'bench-github', 'Data', 'github', '{"org": "bench"}'),
       (:tenant, 'bench-jira', 'Data', 'jira', '{}');
CREATE TEMP TABLE bench_ids AS
SELECT (SELECT id FROM integrations WHERE name = 'bench-github') AS gh,
       (SELECT id FROM integrations WHERE name = 'bench-jira') AS jira;

INSERT INTO repositories (tenant_id, integration_id, external_id, full_name)
SELECT :tenant, gh, 'bench/repo-' || lpad(r::text, 3, '0'), 'bench/repo-' || lpad(r::text, 3, '0')
  FROM bench_ids, generate_series(1, 100) r;

INSERT INTO projects (tenant_id, integration_id, external_id, key, name)
SELECT :tenant, jira, (10000 + p)::text, 'P' || lpad(p::text, 3, '0'), 'Project ' || p
  FROM bench_ids, generate_series(1, 100) p;
-- Half of the projects are mapped to their repository; the other half
-- fall back to "any repository".
INSERT INTO dora_project_repositories (tenant_id, project_key, repository_external_id)
SELECT :tenant, 'P' || lpad(p::text, 3, '0'), 'bench/repo-' || lpad(p::text, 3, '0')
  FROM generate_series(1, 50) p;

-- 20,000 deployments, 200 per repository, spread over the year; 10 % fail,
-- 5 % go to staging.
INSERT INTO deployments (tenant_id, integration_id, external_id, repository_external_id,
                         environment, is_production, sha, status, created_at, finished_at)
SELECT :tenant, gh, 'deployment:' || n,
       'bench/repo-' || lpad((1 + n % 100)::text, 3, '0'),
       CASE WHEN pg_temp.h(n, 1) < 0.05 THEN 'staging' ELSE 'production' END,
       pg_temp.h(n, 1) >= 0.05,
       'dsha' || n,
       CASE WHEN pg_temp.h(n, 2) < 0.10 THEN 'failure' ELSE 'success' END,
       t - interval '365 days' + (n / 100) * interval '43 hours 48 minutes' + pg_temp.h(n, 3) * interval '40 hours',
       t - interval '365 days' + (n / 100) * interval '43 hours 48 minutes' + pg_temp.h(n, 3) * interval '40 hours' + interval '10 minutes'
  FROM bench_ids, bench_now, generate_series(0, 19999) n;

-- 100,000 PRs, 1,000 per repository; 95 % merged.
INSERT INTO prs (tenant_id, integration_id, external_id, repository_external_id, number, state,
                 author, merge_commit_sha, first_commit_at, created_at, merged_at)
SELECT :tenant, gh, 'PR_' || n, 'bench/repo-' || lpad((1 + n % 100)::text, 3, '0'), n,
       CASE WHEN merged THEN 'MERGED' ELSE 'OPEN' END,
       'dev' || (n % 37), CASE WHEN merged THEN 'msha' || n END,
       created - pg_temp.h(n, 5) * interval '72 hours', created,
       CASE WHEN merged THEN created + pg_temp.h(n, 6) * interval '96 hours' END
  FROM (SELECT n, pg_temp.h(n, 4) >= 0.05 AS merged,
               t - interval '370 days' + n * interval '5 minutes 15 seconds' AS created
          FROM bench_now, generate_series(0, 99999) n) x, bench_ids;

INSERT INTO prs_commits (tenant_id, integration_id, external_id, pr_external_id, sha, author, authored_at)
SELECT p.tenant_id, p.integration_id, p.external_id || ':c' || k, p.external_id,
       'c' || p.id || '_' || k, p.author, p.first_commit_at + k * interval '1 hour'
  FROM prs p, generate_series(0, 1) k
 WHERE p.tenant_id = :tenant;

INSERT INTO prs_reviews (tenant_id, integration_id, external_id, pr_external_id, state, author, submitted_at)
SELECT p.tenant_id, p.integration_id, 'R_' || p.id, p.external_id, 'APPROVED',
       'dev' || ((p.number + 1) % 37), p.created_at + pg_temp.h(p.id, 7) * interval '24 hours'
  FROM prs p WHERE p.tenant_id = :tenant;
INSERT INTO prs_comments (tenant_id, integration_id, external_id, pr_external_id, author, created_at)
SELECT p.tenant_id, p.integration_id, 'C_' || p.id, p.external_id,
       CASE WHEN p.id % 3 = 0 THEN p.author ELSE 'reviewer' || (p.id % 5) END,
       p.created_at + pg_temp.h(p.id, 8) * interval '12 hours'
  FROM prs p WHERE p.tenant_id = :tenant;

-- Commit ranges for the first 70 repositories: each merged PR is shipped
-- by the next successful production deployment of its repository. The
-- other 30 use the "first deployment after the merge" fallback.
INSERT INTO deployment_commits (tenant_id, integration_id, external_id, deployment_external_id, sha)
SELECT p.tenant_id, d.integration_id, d.external_id || ':' || p.merge_commit_sha, d.external_id,
       p.merge_commit_sha
  FROM prs p
  CROSS JOIN LATERAL (
        SELECT d.integration_id, d.external_id FROM deployments d
         WHERE d.tenant_id = p.tenant_id AND d.repository_external_id = p.repository_external_id
           AND d.is_production AND d.status = 'success' AND d.finished_at > p.merged_at
         ORDER BY d.finished_at LIMIT 1) d
 WHERE p.tenant_id = :tenant AND p.merged_at IS NOT NULL
   AND substr(p.repository_external_id, 12)::int <= 70;

-- 5,000 incidents (and 5,000 bugs as noise) over the year.
INSERT INTO wits_mappings (tenant_id, integration_id, source_name, canonical_type)
SELECT :tenant, jira, 'Incident', 'Incident' FROM bench_ids
UNION ALL SELECT :tenant, jira, 'Bug', 'Bug' FROM bench_ids;
INSERT INTO work_items (tenant_id, integration_id, external_id, key, project_external_id,
                        wit_name, created_at, resolved_at)
SELECT :tenant, jira, n::text, 'P' || lpad((1 + n % 100)::text, 3, '0') || '-' || n,
       (10001 + n % 100)::text, CASE WHEN n % 2 = 0 THEN 'Incident' ELSE 'Bug' END,
       t - interval '365 days' + n * interval '52 minutes 33 seconds',
       CASE WHEN pg_temp.h(n, 9) < 0.9
            THEN t - interval '365 days' + n * interval '52 minutes 33 seconds'
                 + pg_temp.h(n, 10) * interval '48 hours' END
  FROM bench_ids, bench_now, generate_series(0, 9999) n;

RESET app.tenant_id;
ANALYZE deployments, deployment_commits, prs, prs_commits, prs_reviews, prs_comments,
        work_items, wits_mappings, projects, repositories, dora_project_repositories;
