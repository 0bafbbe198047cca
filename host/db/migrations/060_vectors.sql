-- 060_vectors: the embedded vector store (host/ai/pgvectors.c) and the
-- bookkeeping of the vectorization stage (host/ai/vectorize.c); see
-- docs/vectors.md.
--
--   pgvectors              one row per point: a packed little-endian float4
--                          vector (bytea, 4 * dim bytes) and the payload a
--                          search prints, tenant-scoped under forced RLS
--   pgvectors_generation   a counter per (tenant, collection), bumped in the
--                          same transaction as every write, so a process that
--                          caches a tenant's vectors in memory knows when
--                          its copy is stale
--   vectorization_queue    + claimed_at, claimed_by (claims are swept like
--                          raw rows), next_attempt_at (retry backoff)
--   vector_references      + store, status, text_hash, vectorized_at
SELECT set_config('search_path', format('%I, pg_temp', current_schema()), true);

CREATE TABLE pgvectors (
    id bigserial PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    integration_id bigint NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    collection text NOT NULL,        -- pulse_<model>_<dim>: one per model
    point_id uuid NOT NULL,          -- UUIDv5 of (tenant, table, external id)
    entity text NOT NULL,            -- the warehouse table: prs, work_items, ...
    external_id text NOT NULL,       -- the entity row's external_id
    dim integer NOT NULL CHECK (dim BETWEEN 1 AND 16384),
    vec bytea NOT NULL,
    text_hash text,
    payload jsonb NOT NULL DEFAULT '{}',
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (length(vec) = 4 * dim),
    UNIQUE (tenant_id, collection, point_id)
);
CREATE INDEX pgvectors_integration ON pgvectors (tenant_id, collection, integration_id);

CREATE TABLE pgvectors_generation (
    tenant_id bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    collection text NOT NULL,
    dim integer NOT NULL,
    generation bigint NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, collection)
);

ALTER TABLE vectorization_queue
    ADD COLUMN claimed_at timestamptz,
    ADD COLUMN claimed_by text,
    ADD COLUMN next_attempt_at timestamptz;
CREATE INDEX vectorization_claimed ON vectorization_queue (status, claimed_at)
    WHERE status = 'processing';

ALTER TABLE vector_references
    ADD COLUMN store text NOT NULL DEFAULT 'pgvectors',
    ADD COLUMN status text NOT NULL DEFAULT 'stored'
        CHECK (status IN ('stored', 'deleted')),
    ADD COLUMN text_hash text,
    ADD COLUMN vectorized_at timestamptz NOT NULL DEFAULT now();

-- Forced RLS on the new tables, the policy of 003_rls.
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['pgvectors', 'pgvectors_generation']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON %I', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I
                        USING (tenant_id = nullif(current_setting(''app.tenant_id'', true), '''')::bigint)
                        WITH CHECK (tenant_id = nullif(current_setting(''app.tenant_id'', true), '''')::bigint)', t);
    END LOOP;
END $$;
