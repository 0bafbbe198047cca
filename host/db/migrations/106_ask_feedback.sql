-- 106_ask_feedback: what people said about ask's answers (issue 19), one
-- row per click of "helpful" / "not helpful" in the console (POST
-- /api/v1/ask/feedback). The verdict also rates the answer's learning
-- memory row (ai_learning_memory.feedback good|bad) when the answer has
-- one, so a "not helpful" answer stops being a worked example; this table
-- keeps who said it, when, and the comment, for `ask feedback list`.
CREATE TABLE ask_feedback (
    id          bigserial PRIMARY KEY,
    tenant_id   bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    memory_id   bigint REFERENCES ai_learning_memory(id) ON DELETE SET NULL,
    question    text NOT NULL CHECK (length(question) BETWEEN 1 AND 2000),
    sql         text CHECK (sql IS NULL OR length(sql) <= 20000),
    verdict     text NOT NULL CHECK (verdict IN ('helpful', 'not_helpful')),
    comment     text CHECK (comment IS NULL OR length(comment) <= 2000),
    actor       text NOT NULL,   -- "user:EMAIL", "token:ID" (api_actor)
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ask_feedback_tenant_time ON ask_feedback (tenant_id, created_at);
ALTER TABLE ask_feedback ENABLE ROW LEVEL SECURITY;
ALTER TABLE ask_feedback FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON ask_feedback
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::bigint)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::bigint);
