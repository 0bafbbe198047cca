-- 108_vector_moves: the checkpoint of `pulse-host vectorize move`, which
-- copies a tenant's stored vectors from pgvectors to a vector-store
-- integration without embedding them again (host/ai/vmove.c,
-- docs/vectors.md "Moving a tenant between stores").
--
--   vector_moves   one row per (tenant, target integration, collection):
--                  the pgvectors row id copied up to (last_id), the
--                  collection's generation when the copy began (start_gen:
--                  rows written after it are copied again at the end), the
--                  points acknowledged by the target, and the state
SELECT set_config('search_path', format('%I, pg_temp', current_schema()), true);

CREATE TABLE vector_moves (
    tenant_id bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    target_integration_id bigint NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    collection text NOT NULL,
    dim integer NOT NULL CHECK (dim > 0),
    state text NOT NULL DEFAULT 'copying' CHECK (state IN ('copying', 'done')),
    last_id bigint NOT NULL DEFAULT 0,
    start_gen bigint NOT NULL DEFAULT 0,
    copied bigint NOT NULL DEFAULT 0,
    started_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    PRIMARY KEY (tenant_id, target_integration_id, collection)
);

ALTER TABLE vector_moves ENABLE ROW LEVEL SECURITY;
ALTER TABLE vector_moves FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON vector_moves
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::bigint)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::bigint);
