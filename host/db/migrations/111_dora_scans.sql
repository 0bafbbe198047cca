-- 111_dora_scans: two scans of the DORA report made cheaper
-- (tests/bench/dora-bench.sh, docs/dora.md "Performance"); same rows.
--
-- 1. dora_deployments (010) works out the scope once. Its scope was a
--    sub-select the planner pulled up into the filter, so dora_scope() (a
--    SQL function PostgreSQL cannot inline) ran twice per deployment of
--    the window: about 60 ms of the deployment frequency and as much of
--    the change failure rate on the bench's 4,200 deployments. OFFSET 0
--    keeps the sub-select a one-row scan of its own; the filter is
--    written so that without --project and --repo (both NULL) the planner
--    drops it. dora_scope() is NULL exactly when both are NULL.
-- 2. The failed changes of the change failure rate (105) were a scan of
--    all the tenant's deployments, a cost that grew with the history; a
--    partial index holds only the rows with failed_change (rare), so
--    loading other deployments does not maintain it.
SELECT set_config('search_path', format('%I, pg_temp', current_schema()), true);

CREATE OR REPLACE FUNCTION dora_deployments(p_project text, p_repo text)
    RETURNS TABLE (id bigint, integration_id bigint, external_id text,
                   repository text, sha text, finished_at timestamptz)
    LANGUAGE sql STABLE
    AS $$
    SELECT d.id, d.integration_id, d.external_id, d.repository_external_id,
           d.sha, d.finished_at
      FROM deployments d,
           (SELECT dora_scope(p_project, p_repo) AS repos OFFSET 0) s
     WHERE d.tenant_id = dora_tenant()
       AND d.is_production AND d.status = 'success'
       AND d.finished_at IS NOT NULL AND d.deleted_at IS NULL
       AND (p_project IS NULL AND p_repo IS NULL
            OR d.repository_external_id = ANY (s.repos))
    $$;

CREATE INDEX dora_deployments_failed_change ON deployments (tenant_id, finished_at)
    WHERE is_production AND failed_change;
