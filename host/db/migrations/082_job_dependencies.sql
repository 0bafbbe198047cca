-- 082_job_dependencies: a job may wait for other jobs of its tenant
-- (docs/operations.md, "Job dependencies"), and a transition records who
-- made it (an operator's forced state).
SELECT set_config('search_path', format('%I, pg_temp', current_schema()), true);

-- job_id starts a new cycle only once every depends_on job has FINISHED
-- since job_id last started. Cycles are refused when saved
-- (host/jobs/jobdeps.c).
CREATE TABLE job_dependencies (
    tenant_id   bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    job_id      bigint NOT NULL REFERENCES etl_jobs(id) ON DELETE CASCADE,
    depends_on  bigint NOT NULL REFERENCES etl_jobs(id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, job_id, depends_on),
    CHECK (job_id <> depends_on)
);
CREATE INDEX job_dependencies_on ON job_dependencies (tenant_id, depends_on);
ALTER TABLE job_dependencies ENABLE ROW LEVEL SECURITY;
ALTER TABLE job_dependencies FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON job_dependencies
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::bigint)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::bigint);

-- Who made a move: NULL for the daemon's own, "cli:USER" for an operator.
ALTER TABLE job_transitions ADD COLUMN actor text;

-- 020's orch_due_jobs, plus the dependency rule: a job that would start a
-- new cycle (NOT_STARTED, or FINISHED and due) waits until each job it
-- depends on is FINISHED with last_finished_at after this job's
-- last_started_at (any finish, for a job that never ran). PENDING (an
-- operator's start), retries after ERROR and resumes of PAUSED jobs
-- continue their cycle and do not wait.
CREATE OR REPLACE FUNCTION orch_due_jobs(p_limit integer)
    RETURNS TABLE (tenant_id bigint, job_id bigint, integration_id bigint)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT
    AS $$
    SELECT j.tenant_id, j.id, j.integration_id
      FROM etl_jobs j JOIN integrations i ON i.id = j.integration_id
     WHERE i.enabled
       AND (j.state = 'PENDING'
            OR (j.state = 'PAUSED' AND j.auto_resume)
            OR (j.state IN ('NOT_STARTED', 'FINISHED', 'ERROR')
                AND (j.next_run_at IS NULL OR j.next_run_at <= now())))
       AND (j.state NOT IN ('NOT_STARTED', 'FINISHED')
            OR NOT EXISTS (
                SELECT 1 FROM job_dependencies d JOIN etl_jobs p ON p.id = d.depends_on
                 WHERE d.job_id = j.id
                   AND NOT (p.state = 'FINISHED'
                            AND p.last_finished_at > coalesce(j.last_started_at, '-infinity'))))
     ORDER BY (j.state = 'PENDING') DESC, j.next_run_at NULLS FIRST, j.id
     LIMIT p_limit
    $$;
REVOKE ALL ON FUNCTION orch_due_jobs(integer) FROM PUBLIC;
