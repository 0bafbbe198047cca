-- 020_orchestrator: what the job orchestrator (host/jobs/orchestrator.c) keeps
-- beside 001's etl_jobs, and its cross-tenant entry points. Like 004, the
-- functions are SECURITY DEFINER and return ids and bookkeeping only.
SELECT set_config('search_path', format('%I, pg_temp', current_schema()), true);

-- A stop or pause asked for (API, CLI) while the job runs somewhere: the
-- daemon that owns the job sees it at its next heartbeat and cancels the
-- job's process cooperatively. NULL = nothing asked.
ALTER TABLE etl_jobs ADD COLUMN control text
    CHECK (control IN ('stop', 'pause'));
-- Transient failures are retried up to max_retries times, backing off
-- exponentially from fast_retry_seconds (with jitter); then the job waits
-- for its normal interval.
ALTER TABLE etl_jobs ADD COLUMN max_retries integer NOT NULL DEFAULT 5
    CHECK (max_retries >= 0);
-- Set when the daemon paused the job for its own shutdown: the next daemon
-- resumes it by itself (an operator's pause waits for an operator).
ALTER TABLE etl_jobs ADD COLUMN auto_resume boolean NOT NULL DEFAULT false;
-- Class of last_error: transient | permanent | crash | stuck.
ALTER TABLE etl_jobs ADD COLUMN last_error_class text;

-- Default sync interval per plugin: Jira 6 h, everything else 4 h (the
-- column default). Applied when the job row is created with the default.
CREATE FUNCTION orch_default_interval() RETURNS trigger
    LANGUAGE plpgsql SET search_path FROM CURRENT
    AS $$
BEGIN
    IF NEW.interval_seconds = 14400 THEN
        IF (SELECT plugin FROM integrations WHERE id = NEW.integration_id) LIKE 'jira%' THEN
            NEW.interval_seconds := 21600;
        END IF;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER etl_jobs_default_interval BEFORE INSERT ON etl_jobs
    FOR EACH ROW EXECUTE FUNCTION orch_default_interval();

-- Jobs to claim, PENDING first, then those whose time has come: never run
-- (NOT_STARTED), finished or failed and due again, and PAUSED ones that a
-- daemon shutdown paused. Disabled integrations are left alone.
CREATE FUNCTION orch_due_jobs(p_limit integer)
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
     ORDER BY (j.state = 'PENDING') DESC, j.next_run_at NULLS FIRST, j.id
     LIMIT p_limit
    $$;

-- Heartbeat of every job run by the job processes p_owners (host:pid of
-- each), returning any stop/pause asked for them. One statement per
-- daemon tick, whatever the tenant.
CREATE FUNCTION orch_heartbeat(p_owners text[])
    RETURNS TABLE (tenant_id bigint, job_id bigint, control text)
    LANGUAGE sql SECURITY DEFINER SET search_path FROM CURRENT
    AS $$
    UPDATE etl_jobs SET heartbeat_at = now()
     WHERE owner = ANY (p_owners) AND state = 'RUNNING'
    RETURNING tenant_id, id, control
    $$;

-- RUNNING jobs whose owner went silent for p_timeout_seconds.
CREATE FUNCTION orch_stuck_jobs(p_timeout_seconds integer)
    RETURNS TABLE (tenant_id bigint, job_id bigint, owner text,
                   silent_seconds bigint)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT
    AS $$
    SELECT j.tenant_id, j.id, j.owner,
           extract(epoch FROM now() - coalesce(j.heartbeat_at, j.last_started_at, j.created_at))::bigint
      FROM etl_jobs j
     WHERE j.state = 'RUNNING'
       AND coalesce(j.heartbeat_at, j.last_started_at, j.created_at)
           <= now() - make_interval(secs => p_timeout_seconds)
     ORDER BY j.id
    $$;

-- The tenant of a job (the CLI resolves ids before it opens a tenant
-- transaction).
CREATE FUNCTION orch_job_tenant(p_job bigint) RETURNS bigint
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT
    AS $$ SELECT tenant_id FROM etl_jobs WHERE id = p_job $$;

REVOKE ALL ON FUNCTION orch_due_jobs(integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION orch_heartbeat(text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION orch_stuck_jobs(integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION orch_job_tenant(bigint) FROM PUBLIC;
