-- 083_housekeeping_job: the rest of issue 21 (docs/operations.md).
--   - retention of ai_usage, per tenant (tenant_retention.usage_days);
--   - what a job does when a job it depends on failed (skip or run);
--   - housekeeping as a system job of the orchestrator (system_jobs,
--     system_job_transitions) with its cross-tenant entry points;
--   - ANALYZE of the tables a large load changed.
-- Like 020/081, the functions are SECURITY DEFINER and return names,
-- counts and bookkeeping only, never business data.
SELECT set_config('search_path', format('%I, pg_temp', current_schema()), true);

ALTER TABLE tenant_retention ADD COLUMN usage_days integer
    CHECK (usage_days BETWEEN 1 AND 36500);

-- skip: a failed prerequisite skips this job's cycle (recorded with the
-- reason); run: the job runs anyway once the prerequisite has ended.
ALTER TABLE job_dependencies ADD COLUMN on_failure text NOT NULL DEFAULT 'skip'
    CHECK (on_failure IN ('skip', 'run'));

-- A prerequisite "failed in this cycle": it is in ERROR, started since the
-- dependent last started, and will not be retried before its next interval
-- (permanent error, or its retries are used up).
CREATE FUNCTION orch_dep_failed(p etl_jobs, j etl_jobs) RETURNS boolean
    LANGUAGE sql STABLE SET search_path FROM CURRENT
    AS $$
    SELECT p.state = 'ERROR'
       AND p.last_started_at > coalesce(j.last_started_at, '-infinity')
       AND (p.last_error_class IS DISTINCT FROM 'transient'
            OR p.retry_count >= p.max_retries)
    $$;

-- 082's orch_due_jobs, plus: an edge with on_failure = 'run' is also met
-- by a prerequisite that failed in this cycle.
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
                            AND p.last_finished_at > coalesce(j.last_started_at, '-infinity'))
                   AND NOT (d.on_failure = 'run' AND orch_dep_failed(p, j))))
     ORDER BY (j.state = 'PENDING') DESC, j.next_run_at NULLS FIRST, j.id
     LIMIT p_limit
    $$;

-- Skip the cycle of every due job (NOT_STARTED or FINISHED) that waits on
-- a prerequisite that failed in this cycle through an on_failure = 'skip'
-- edge: the job keeps its state, its next run is one interval away, and
-- job_transitions gets a row (same state to same state) whose reason
-- names the prerequisite and its error. Returns the jobs skipped.
CREATE FUNCTION orch_skip_failed_deps()
    RETURNS TABLE (tenant_id bigint, job_id bigint, reason text)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT
    AS $$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT j.tenant_id AS t, j.id AS jid, j.state AS st, f.why
          FROM etl_jobs j
          JOIN integrations i ON i.id = j.integration_id
          CROSS JOIN LATERAL (
                SELECT format('skipped: job %s (%s) failed: %s', p.id, pi.name,
                              coalesce(p.last_error, 'no message')) AS why
                  FROM job_dependencies d
                  JOIN etl_jobs p ON p.id = d.depends_on
                  JOIN integrations pi ON pi.id = p.integration_id
                 WHERE d.job_id = j.id AND d.on_failure = 'skip'
                   AND orch_dep_failed(p, j)
                 ORDER BY p.id LIMIT 1) f
         WHERE i.enabled AND j.state IN ('NOT_STARTED', 'FINISHED')
           AND (j.next_run_at IS NULL OR j.next_run_at <= now())
         ORDER BY j.id
         FOR UPDATE OF j SKIP LOCKED
    LOOP
        UPDATE etl_jobs SET next_run_at = now() + make_interval(secs => interval_seconds),
                            last_started_at = now()
         WHERE id = r.jid;
        INSERT INTO job_transitions (tenant_id, job_id, from_state, to_state, reason)
        VALUES (r.t, r.jid, r.st, r.st, r.why);
        tenant_id := r.t;
        job_id := r.jid;
        reason := r.why;
        RETURN NEXT;
    END LOOP;
END $$;

-- System jobs: jobs of the installation, not of a tenant (housekeeping).
-- They hold no tenant data (a name, states, times, counts), so every
-- tenant may read them (the API lists them beside its own jobs); they are
-- written only through the functions below. RLS is enabled and forced
-- like everywhere, with a policy that says exactly that.
CREATE TABLE system_jobs (
    name              text PRIMARY KEY,
    state             text NOT NULL DEFAULT 'NOT_STARTED'
                      CHECK (state IN ('NOT_STARTED', 'RUNNING', 'FINISHED', 'ERROR')),
    interval_seconds  integer NOT NULL DEFAULT 3600 CHECK (interval_seconds >= 0),
    -- which data jobs it runs after: plugin name prefixes (NULL = every
    -- data job); while one of them is RUNNING, PENDING or due to start a
    -- cycle, the system job waits, at most max_wait_seconds past its due
    -- time
    after_plugins     text[],
    max_wait_seconds  integer NOT NULL DEFAULT 3600 CHECK (max_wait_seconds >= 0),
    next_run_at       timestamptz,
    last_started_at   timestamptz,
    last_finished_at  timestamptz,
    last_error        text,
    last_summary      jsonb,
    owner             text,
    heartbeat_at      timestamptz,
    control           text CHECK (control IN ('stop'))
);
ALTER TABLE system_jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE system_jobs FORCE ROW LEVEL SECURITY;
CREATE POLICY system_read ON system_jobs FOR SELECT USING (true);

CREATE TABLE system_job_transitions (
    id          bigserial PRIMARY KEY,
    job_name    text NOT NULL REFERENCES system_jobs(name) ON DELETE CASCADE,
    from_state  text NOT NULL,
    to_state    text NOT NULL,
    reason      text NOT NULL,
    actor       text,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX system_job_transitions_job ON system_job_transitions (job_name, at);
ALTER TABLE system_job_transitions ENABLE ROW LEVEL SECURITY;
ALTER TABLE system_job_transitions FORCE ROW LEVEL SECURITY;
CREATE POLICY system_read ON system_job_transitions FOR SELECT USING (true);

-- The writers below run as the owner; FORCE applies to it too, so the
-- owner gets a policy of its own (no other role matches it).
DO $$ BEGIN
    EXECUTE format('CREATE POLICY owner_write ON system_jobs TO %I USING (true) WITH CHECK (true)', current_user);
    EXECUTE format('CREATE POLICY owner_write ON system_job_transitions TO %I USING (true) WITH CHECK (true)', current_user);
END $$;

INSERT INTO system_jobs (name, after_plugins) VALUES ('housekeeping', NULL);

-- Move system job p_name to p_to with a transition; internal.
CREATE FUNCTION sysjob_move(p_name text, p_to text, p_reason text, p_actor text)
    RETURNS void LANGUAGE plpgsql SET search_path FROM CURRENT
    AS $$
DECLARE cur text;
BEGIN
    SELECT state INTO cur FROM system_jobs WHERE name = p_name;
    UPDATE system_jobs SET state = p_to WHERE name = p_name;
    INSERT INTO system_job_transitions (job_name, from_state, to_state, reason, actor)
    VALUES (p_name, cur, p_to, p_reason, p_actor);
END $$;

-- Claim system job p_name for p_owner (host:pid) when it is due
-- (p_interval: the configured interval, 0 = never by itself), no data job
-- it runs after is RUNNING, PENDING or due (or it waited max_wait_seconds),
-- and no live owner holds it. A RUNNING row whose owner sent no heartbeat
-- for p_stale_s is reset to ERROR ("stuck") first, so a run killed with
-- the daemon (kill -9) is claimed again. Returns 'claimed', 'not_due',
-- 'running' or 'waiting: ...' (the jobs it waits for).
CREATE FUNCTION sysjob_claim(p_name text, p_owner text, p_interval integer,
                             p_stale_s integer, p_force boolean)
    RETURNS text LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT
    AS $$
DECLARE
    s system_jobs;
    busy text;
BEGIN
    SELECT * INTO s FROM system_jobs WHERE name = p_name FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        RETURN 'running';
    END IF;
    IF s.interval_seconds <> p_interval THEN
        UPDATE system_jobs SET interval_seconds = p_interval,
               next_run_at = CASE WHEN last_finished_at IS NULL THEN NULL
                   ELSE last_finished_at + make_interval(secs => p_interval) END
         WHERE name = p_name RETURNING * INTO s;
    END IF;
    IF s.state = 'RUNNING' THEN
        IF s.heartbeat_at > now() - make_interval(secs => p_stale_s) THEN
            RETURN 'running';
        END IF;
        UPDATE system_jobs SET last_error = format('stuck: no heartbeat from %s for %s s; run again', s.owner, p_stale_s),
               owner = NULL, heartbeat_at = NULL, next_run_at = now()
         WHERE name = p_name;
        PERFORM sysjob_move(p_name, 'ERROR', format('stuck: no heartbeat from %s', s.owner), NULL);
    ELSIF NOT p_force THEN
        -- interval 0: only an operator's force-start (-infinity) runs it
        IF (p_interval = 0 AND s.next_run_at IS DISTINCT FROM '-infinity')
           OR (s.next_run_at IS NOT NULL AND s.next_run_at > now()) THEN
            RETURN 'not_due';
        END IF;
        IF s.next_run_at IS NULL THEN
            -- never run (or reset): due from now on; the wait for data
            -- jobs counts from here
            UPDATE system_jobs SET next_run_at = now() WHERE name = p_name
            RETURNING * INTO s;
        END IF;
        SELECT string_agg(format('job %s (%s, %s)', j.id, i.plugin, j.state), ', ' ORDER BY j.id)
          INTO busy
          FROM etl_jobs j JOIN integrations i ON i.id = j.integration_id
         WHERE i.enabled
           AND (j.state IN ('RUNNING', 'PENDING')
                OR (j.state IN ('NOT_STARTED', 'FINISHED')
                    AND (j.next_run_at IS NULL OR j.next_run_at <= now())))
           AND (s.after_plugins IS NULL
                OR EXISTS (SELECT 1 FROM unnest(s.after_plugins) a WHERE i.plugin LIKE a || '%'));
        IF busy IS NOT NULL
           AND s.next_run_at > now() - make_interval(secs => s.max_wait_seconds) THEN
            RETURN 'waiting: ' || busy;
        END IF;
    END IF;
    UPDATE system_jobs SET owner = p_owner, heartbeat_at = now(), last_started_at = now(),
           control = NULL, last_error = NULL
     WHERE name = p_name;
    PERFORM sysjob_move(p_name, 'RUNNING', CASE WHEN p_force THEN 'forced start' ELSE 'due' END, NULL);
    RETURN 'claimed';
END $$;

-- Heartbeat of a running system job; returns its control ('stop': an
-- operator's force-stop, the daemon kills the process) or NULL.
CREATE FUNCTION sysjob_heartbeat(p_name text, p_owner text) RETURNS text
    LANGUAGE sql SECURITY DEFINER SET search_path FROM CURRENT
    AS $$
    UPDATE system_jobs SET heartbeat_at = now()
     WHERE name = p_name AND owner = p_owner
    RETURNING control
    $$;

-- The end of a run of p_owner: FINISHED (p_error NULL) or ERROR, the
-- summary kept, the next run one interval after. Ignored when p_owner no
-- longer holds it (reset as stuck, or forced meanwhile).
CREATE FUNCTION sysjob_finish(p_name text, p_owner text, p_error text, p_summary jsonb)
    RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT
    AS $$
BEGIN
    PERFORM 1 FROM system_jobs WHERE name = p_name AND owner = p_owner AND state = 'RUNNING'
       FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    UPDATE system_jobs SET owner = NULL, heartbeat_at = NULL, control = NULL,
           last_finished_at = now(), last_error = p_error,
           last_summary = coalesce(p_summary, last_summary),
           next_run_at = now() + make_interval(secs => interval_seconds)
     WHERE name = p_name;
    PERFORM sysjob_move(p_name, CASE WHEN p_error IS NULL THEN 'FINISHED' ELSE 'ERROR' END,
                        coalesce(p_error, 'done'), NULL);
    RETURN true;
END $$;

-- An operator's force on a system job: 'start' (due now, dependencies
-- ignored), 'stop' (a running one is asked to stop; its daemon kills the
-- process), 'reset' (NOT_STARTED). Recorded with actor and reason.
-- Returns the state it was in, or NULL when p_name does not exist.
CREATE FUNCTION sysjob_force(p_name text, p_action text, p_reason text, p_actor text)
    RETURNS text LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT
    AS $$
DECLARE cur text;
BEGIN
    SELECT state INTO cur FROM system_jobs WHERE name = p_name FOR UPDATE;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF p_action = 'start' THEN
        -- -infinity: due, and past any wait for data jobs
        UPDATE system_jobs SET next_run_at = '-infinity' WHERE name = p_name;
        INSERT INTO system_job_transitions (job_name, from_state, to_state, reason, actor)
        VALUES (p_name, cur, cur, 'force-start: ' || p_reason, p_actor);
    ELSIF p_action = 'stop' THEN
        -- the owner stays: its daemon's heartbeat gets the 'stop'
        UPDATE system_jobs SET control = CASE WHEN cur = 'RUNNING' THEN 'stop' END,
               last_error = 'stopped by operator: ' || p_reason,
               last_finished_at = now(), next_run_at = now() + make_interval(secs => interval_seconds)
         WHERE name = p_name;
        PERFORM sysjob_move(p_name, 'ERROR', 'stopped by operator: ' || p_reason, p_actor);
    ELSIF p_action = 'reset' THEN
        UPDATE system_jobs SET owner = NULL, heartbeat_at = NULL, control = NULL,
               last_error = NULL, next_run_at = NULL
         WHERE name = p_name;
        PERFORM sysjob_move(p_name, 'NOT_STARTED', 'reset: ' || p_reason, p_actor);
    ELSE
        RAISE EXCEPTION 'unknown force action %', p_action;
    END IF;
    RETURN cur;
END $$;

-- ANALYZE every table of this schema whose rows changed since its last
-- analyze by more than p_min_rows and p_fraction of its live rows (a
-- large load), returning each with the changed-row count. Partitions
-- count by themselves; the partitioned parent is analysed when one of its
-- partitions is.
CREATE FUNCTION hk_analyze(p_min_rows bigint, p_fraction double precision, p_dry boolean)
    RETURNS TABLE (name text, changed bigint)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT
    AS $$
DECLARE
    r record;
    parent_done boolean := false;
BEGIN
    FOR r IN
        SELECT s.relid, s.relname::text AS rel, s.n_mod_since_analyze AS n, c.relispartition AS part
          FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
         WHERE s.schemaname = current_schema()
           AND s.n_mod_since_analyze >= p_min_rows
           AND s.n_mod_since_analyze >= p_fraction * greatest(s.n_live_tup, 1)
         ORDER BY s.relname
    LOOP
        IF NOT p_dry THEN
            EXECUTE format('ANALYZE %s', r.relid::regclass);
            IF r.part AND NOT parent_done AND r.rel LIKE 'raw_extraction_data_%' THEN
                -- the parent's statistics (planning over all months)
                EXECUTE 'ANALYZE raw_extraction_data';
                parent_done := true;
            END IF;
        END IF;
        name := r.rel;
        changed := r.n;
        RETURN NEXT;
    END LOOP;
END $$;

-- Storage figures of the whole installation (no tenant data): bytes of
-- each table and each month partition of the raw ledger.
CREATE FUNCTION hk_table_bytes()
    RETURNS TABLE (name text, bytes bigint, partition_of text, range_from timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT
    AS $$
    SELECT c.relname::text,
           CASE WHEN c.relkind = 'p'
                THEN (SELECT coalesce(sum(pg_total_relation_size(h.inhrelid)), 0)::bigint
                        FROM pg_inherits h WHERE h.inhparent = c.oid)
                ELSE pg_total_relation_size(c.oid) END,
           p.relname::text,
           (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \(''([^'']+)''\)'))[1]::timestamptz
      FROM pg_class c
      LEFT JOIN pg_inherits h ON h.inhrelid = c.oid
      LEFT JOIN pg_class p ON p.oid = h.inhparent
     WHERE c.relnamespace = current_schema()::regnamespace
       AND c.relkind IN ('r', 'p')
     ORDER BY 1
    $$;

REVOKE ALL ON FUNCTION orch_skip_failed_deps() FROM PUBLIC;
REVOKE ALL ON FUNCTION sysjob_claim(text, text, integer, integer, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION sysjob_heartbeat(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION sysjob_finish(text, text, text, jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION sysjob_force(text, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION sysjob_move(text, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION hk_analyze(bigint, double precision, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION hk_table_bytes() FROM PUBLIC;
