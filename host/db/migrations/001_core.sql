-- 001_core: tenants, integrations, raw ledger, jobs, state.
-- Every business table carries tenant_id and is isolated by row-level
-- security (see 003_rls.sql). References between canonical entities use
-- natural keys (integration_id + external_id), never surrogate ids, so
-- pages may be loaded in any order.

CREATE TABLE tenants (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$'),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE integrations (
    id              bigserial PRIMARY KEY,
    tenant_id       bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name            text NOT NULL,
    type            text NOT NULL CHECK (type IN ('Data', 'AI', 'Embedding')),
    plugin          text NOT NULL,
    settings        jsonb NOT NULL DEFAULT '{}'::jsonb,  -- validated, no secrets
    credentials     bytea,          -- AES-256-GCM blob: nonce || tag || ciphertext
    enabled         boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, name)
);
CREATE INDEX integrations_tenant ON integrations (tenant_id);

-- Per-integration key/value state: cursors, watermarks, ETags, open PRs.
CREATE TABLE integration_state (
    tenant_id       bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    integration_id  bigint NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    key             text NOT NULL,
    value           text NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, integration_id, key)
);

-- Jobs: one per integration; runs record each execution.
CREATE TABLE etl_jobs (
    id                  bigserial PRIMARY KEY,
    tenant_id           bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    integration_id      bigint NOT NULL UNIQUE REFERENCES integrations(id) ON DELETE CASCADE,
    state               text NOT NULL DEFAULT 'NOT_STARTED'
                        CHECK (state IN ('NOT_STARTED', 'PENDING', 'RUNNING', 'FINISHED', 'ERROR', 'PAUSED')),
    interval_seconds    integer NOT NULL DEFAULT 14400 CHECK (interval_seconds > 0),
    fast_retry_seconds  integer NOT NULL DEFAULT 300 CHECK (fast_retry_seconds > 0),
    retry_count         integer NOT NULL DEFAULT 0,
    next_run_at         timestamptz,
    last_started_at     timestamptz,
    last_finished_at    timestamptz,
    last_error          text,
    owner               text,           -- host:pid holding it while RUNNING
    heartbeat_at        timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX etl_jobs_due ON etl_jobs (state, next_run_at);

CREATE TABLE job_runs (
    id              bigserial PRIMARY KEY,
    tenant_id       bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    job_id          bigint REFERENCES etl_jobs(id) ON DELETE CASCADE,
    integration_id  bigint NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    state           text NOT NULL DEFAULT 'RUNNING'
                    CHECK (state IN ('RUNNING', 'FINISHED', 'ERROR', 'PAUSED', 'CANCELLED')),
    started_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz,
    error           text,
    error_class     text,           -- transient | permanent
    step            text,
    processed       bigint NOT NULL DEFAULT 0,
    total           bigint NOT NULL DEFAULT 0,
    stats           jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX job_runs_integration ON job_runs (tenant_id, integration_id, started_at DESC);

CREATE TABLE job_transitions (
    id          bigserial PRIMARY KEY,
    tenant_id   bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    job_id      bigint NOT NULL REFERENCES etl_jobs(id) ON DELETE CASCADE,
    run_id      bigint REFERENCES job_runs(id) ON DELETE SET NULL,
    from_state  text NOT NULL,
    to_state    text NOT NULL,
    reason      text NOT NULL,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX job_transitions_job ON job_transitions (tenant_id, job_id, at);

-- One row per API response. The database row is the truth; the queue
-- only carries ids.
CREATE TABLE raw_extraction_data (
    id              bigserial PRIMARY KEY,
    tenant_id       bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    integration_id  bigint NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    job_run_id      bigint REFERENCES job_runs(id) ON DELETE SET NULL,
    entity          text NOT NULL,
    request_method  text NOT NULL DEFAULT 'GET',
    request_url     text NOT NULL,
    request_params  jsonb,
    http_status     integer NOT NULL,
    body            jsonb NOT NULL,
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'processing', 'completed', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    error           text,
    owner           text,           -- worker holding it while processing
    dead_lettered   boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    completed_at    timestamptz
);
CREATE INDEX raw_status ON raw_extraction_data (status, updated_at) WHERE status IN ('pending', 'processing', 'failed');
CREATE INDEX raw_run ON raw_extraction_data (tenant_id, job_run_id);
