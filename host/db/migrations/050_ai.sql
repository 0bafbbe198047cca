-- 050_ai: the AI router's records (docs/ai.md).
--
--   ai_usage            one row per provider call: tokens, latency, outcome,
--                       cost when the integration has prices
--   ai_model_pins       the embedding model behind a tenant's vectors, per
--                       context, pinned at the first successful embed
--   ai_anomalies        a provider whose error rate or p95 latency jumped
--   ai_learning_memory  what `ask` learnt from failed and corrected queries
--
-- All are tenant tables under the row-level security of 003_rls.
SELECT set_config('search_path', format('%I, pg_temp', current_schema()), true);

CREATE TABLE ai_usage (
    id              bigserial PRIMARY KEY,
    tenant_id       bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    integration_id  bigint REFERENCES integrations(id) ON DELETE SET NULL,
    plugin          text NOT NULL,
    model           text NOT NULL DEFAULT '',
    context         text NOT NULL,
    operation       text NOT NULL,
    items           bigint NOT NULL DEFAULT 0,     -- texts embedded, messages sent
    input_tokens    bigint NOT NULL DEFAULT 0,
    output_tokens   bigint NOT NULL DEFAULT 0,
    latency_ms      bigint NOT NULL DEFAULT 0,
    outcome         text NOT NULL CHECK (outcome IN ('ok', 'retried', 'fell_back', 'failed')),
    error           text,
    local           boolean NOT NULL DEFAULT false, -- served on this machine
    cost_usd        numeric(20, 10),                -- NULL: no prices set
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ai_usage_tenant_time ON ai_usage (tenant_id, created_at);
CREATE INDEX ai_usage_integration_time ON ai_usage (tenant_id, integration_id, created_at);

CREATE TABLE ai_model_pins (
    tenant_id       bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    context         text NOT NULL,
    model           text NOT NULL,
    dimension       integer NOT NULL CHECK (dimension > 0),
    integration_id  bigint REFERENCES integrations(id) ON DELETE SET NULL,
    pinned_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, context)
);

CREATE TABLE ai_anomalies (
    id              bigserial PRIMARY KEY,
    tenant_id       bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    integration_id  bigint REFERENCES integrations(id) ON DELETE SET NULL,
    model           text NOT NULL DEFAULT '',
    metric          text NOT NULL CHECK (metric IN ('error_rate', 'p95_latency_ms')),
    baseline        double precision NOT NULL,
    observed        double precision NOT NULL,
    window_calls    integer NOT NULL,
    detected_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ai_anomalies_tenant_time ON ai_anomalies (tenant_id, detected_at);

CREATE TABLE ai_learning_memory (
    id              bigserial PRIMARY KEY,
    tenant_id       bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    question        text NOT NULL,
    intent          text,
    failed_sql      text,
    error           text,
    corrected_sql   text,
    feedback        text,
    uses            integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ai_learning_memory_tenant ON ai_learning_memory (tenant_id, created_at);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['ai_usage', 'ai_model_pins', 'ai_anomalies',
                             'ai_learning_memory']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I
                        USING (tenant_id = nullif(current_setting(''app.tenant_id'', true), '''')::bigint)
                        WITH CHECK (tenant_id = nullif(current_setting(''app.tenant_id'', true), '''')::bigint)', t);
    END LOOP;
END $$;
