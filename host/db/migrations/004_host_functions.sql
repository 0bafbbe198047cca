-- 004_host_functions: the few cross-tenant entry points of the daemon.
-- The daemon connects as an app role that row-level security confines to
-- one tenant per transaction. What must look across tenants (find an
-- integration's tenant, sweep stuck raw rows, find due jobs) goes through
-- these SECURITY DEFINER functions, owned by the migrating role. They
-- return ids and bookkeeping only, never business data.
SELECT set_config('search_path', format('%I, pg_temp', current_schema()), true);

-- Who holds a run (host:pid), so a killed `job run` can be detected.
ALTER TABLE job_runs ADD COLUMN owner text;

CREATE INDEX raw_integration_open ON raw_extraction_data (tenant_id, integration_id, status)
    WHERE status IN ('pending', 'processing', 'failed');

CREATE FUNCTION host_integration_tenant(p_integration bigint) RETURNS bigint
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT
    AS $$ SELECT tenant_id FROM integrations WHERE id = p_integration $$;

-- Raw rows that need another dispatch: pending or processing rows, and
-- failed rows with attempts left, untouched for p_stale_seconds (for
-- failed rows that is the retry back-off). The caller decides about
-- processing rows from the owner (a live local pid keeps its row) and the
-- age (an owner on another host is given at least jobs.stale_seconds).
CREATE FUNCTION host_stale_raw(p_stale_seconds integer, p_max_attempts integer,
                               p_limit integer)
    RETURNS TABLE (tenant_id bigint, raw_id bigint, status text, owner text,
                   age_seconds bigint)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT
    AS $$
    SELECT r.tenant_id, r.id, r.status, r.owner,
           extract(epoch FROM now() - r.updated_at)::bigint
      FROM raw_extraction_data r
     WHERE NOT r.dead_lettered
       AND r.updated_at <= now() - make_interval(secs => p_stale_seconds)
       AND (r.status IN ('pending', 'processing')
            OR (r.status = 'failed' AND r.attempts < p_max_attempts))
     ORDER BY r.id
     LIMIT p_limit
    $$;

-- Jobs to start: PENDING first, then enabled jobs whose time has come.
CREATE FUNCTION host_due_jobs(p_limit integer)
    RETURNS TABLE (tenant_id bigint, job_id bigint, integration_id bigint)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT
    AS $$
    SELECT j.tenant_id, j.id, j.integration_id
      FROM etl_jobs j JOIN integrations i ON i.id = j.integration_id
     WHERE i.enabled
       AND (j.state = 'PENDING'
            OR (j.state IN ('NOT_STARTED', 'FINISHED', 'ERROR')
                AND (j.next_run_at IS NULL OR j.next_run_at <= now())))
     ORDER BY (j.state = 'PENDING') DESC, j.next_run_at NULLS FIRST, j.id
     LIMIT p_limit
    $$;

REVOKE ALL ON FUNCTION host_integration_tenant(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION host_stale_raw(integer, integer, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION host_due_jobs(integer) FROM PUBLIC;
