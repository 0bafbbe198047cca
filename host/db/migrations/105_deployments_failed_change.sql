-- 105_deployments_failed_change: a failed deploy that is itself a failed
-- change in production counts in DORA's change failure rate
-- (docs/dora.md, docs/fabric.md).
--
-- `failed_change` is set by the source, per row, when a deployment that
-- did not succeed left production in a failed state and no later attempt
-- row replaces it: Fabric's deploy operations (a failed deploy to a
-- pipeline's last stage). GitHub's failed deployment statuses stay false:
-- they are attempts, retried, and only the successful one counts (010).
-- No new table: `deployments` keeps its RLS (003).
SELECT set_config('search_path', format('%I, pg_temp', current_schema()), true);

ALTER TABLE deployments ADD COLUMN failed_change boolean NOT NULL DEFAULT false;

-- dora_change_failure_rate_of of 094, plus the failed changes: a
-- production row in scope with failed_change, finished in the window,
-- counts as a deployment and as a failed one. Such a row shipped no known
-- change, so it belongs to no team (p_authors set: not counted), as 094
-- says of deployments that shipped no known PR.
CREATE OR REPLACE FUNCTION dora_change_failure_rate_of(p_from timestamptz, p_to timestamptz,
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
    bad AS MATERIALIZED (
        SELECT d.id
          FROM deployments d,
               (SELECT dora_scope(p_project, p_repo) AS repos) s
         WHERE p_authors IS NULL
           AND d.tenant_id = dora_tenant()
           AND d.is_production AND d.failed_change
           AND d.status IS DISTINCT FROM 'success'
           AND d.deleted_at IS NULL
           AND d.finished_at >= p_from AND d.finished_at < p_to
           AND (s.repos IS NULL OR d.repository_external_id = ANY (s.repos))
    ),
    att AS MATERIALIZED (
        SELECT i.deployment_id, i.attribution
          FROM dora_incidents(p_from, p_project) i
          JOIN dep ON dep.id = i.deployment_id
    )
    SELECT (SELECT count(*) FROM dep) + (SELECT count(*) FROM bad),
           (SELECT count(DISTINCT deployment_id) FROM att) + (SELECT count(*) FROM bad),
           (SELECT count(*) FROM att),
           (SELECT count(*) FROM att WHERE attribution = 'project_mapping'),
           (SELECT count(*) FROM att WHERE attribution = 'any_repository')
    $$;
