-- 071_ask_memory: what `ask` learns. ai_learning_memory is created by the
-- AI gateway's migration (050) when it is present; this creates it when
-- it is not, and adds the columns `ask` needs either way:
--   fingerprint    pg_query_fingerprint of the last SQL (cache and audit key)
--   sql            the last SQL written for the question
--   outcome        ok (it ran) or failed (no attempt ran)
-- failed_sql / error / corrected_sql hold the first failure and its fix;
-- feedback is the user's good|bad; uses counts how often it was asked.
SELECT set_config('search_path', format('%I, pg_temp', current_schema()), true);

CREATE TABLE IF NOT EXISTS ai_learning_memory (
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
ALTER TABLE ai_learning_memory
    ADD COLUMN IF NOT EXISTS fingerprint text,
    ADD COLUMN IF NOT EXISTS sql text,
    ADD COLUMN IF NOT EXISTS outcome text;
CREATE INDEX IF NOT EXISTS ai_learning_memory_question
    ON ai_learning_memory (tenant_id, question);

ALTER TABLE ai_learning_memory ENABLE ROW LEVEL SECURITY;
ALTER TABLE ai_learning_memory FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON ai_learning_memory;
CREATE POLICY tenant_isolation ON ai_learning_memory
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::bigint)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::bigint);
