-- 102_pgvectors_changes: what changed in a collection since a generation,
-- so that a process's cached copy of a tenant's vectors (pgvectors_knn.c)
-- reads only the changed rows after a write instead of the whole set
-- (docs/vectors.md, "The cache").
--
--   pgvectors.change_gen             the generation that last wrote the row
--   pgvectors_tombstones             the points deleted, with the generation
--                                    that deleted them
--   pgvectors_generation.tombstones_from
--                                    tombstones of generations up to this
--                                    one may be pruned: a copy older than it
--                                    is loaded whole
--
-- Triggers set both, for every write path (the store's own statements, and
-- the cascades of an integration's deletion). The first write of a
-- transaction bumps the generation; its row lock is held to the commit, so
-- generations commit in order and a snapshot that reads generation g sees
-- exactly the rows with change_gen <= g.
SELECT set_config('search_path', format('%I, pg_temp', current_schema()), true);

ALTER TABLE pgvectors ADD COLUMN change_gen bigint NOT NULL DEFAULT 0;
CREATE INDEX pgvectors_change ON pgvectors (tenant_id, collection, change_gen);

ALTER TABLE pgvectors_generation
    ADD COLUMN tombstones_from bigint NOT NULL DEFAULT 0,
    ADD COLUMN bumped_xact xid8;
-- deletions before this migration left no tombstones
UPDATE pgvectors_generation SET tombstones_from = generation;

CREATE TABLE pgvectors_tombstones (
    -- no foreign key: a tenant's deletion cascades into pgvectors, whose
    -- trigger must not insert rows referencing the tenant being deleted
    tenant_id bigint NOT NULL,
    collection text NOT NULL,
    point_id uuid NOT NULL,
    gen bigint NOT NULL,
    deleted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, collection, gen, point_id)
);
ALTER TABLE pgvectors_tombstones ENABLE ROW LEVEL SECURITY;
ALTER TABLE pgvectors_tombstones FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON pgvectors_tombstones
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::bigint)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::bigint);

-- The generation this transaction writes (tenant t, collection c): bumped
-- once per transaction. NULL when the collection has no generation row
-- visible (a cascade run without a tenant set): nothing is cached then.
CREATE FUNCTION pgvectors_write_gen(t bigint, c text) RETURNS bigint
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE g bigint;
BEGIN
    UPDATE pgvectors_generation
       SET generation = generation + 1, bumped_xact = pg_current_xact_id()
     WHERE tenant_id = t AND collection = c
       AND bumped_xact IS DISTINCT FROM pg_current_xact_id()
    RETURNING generation INTO g;
    IF g IS NULL THEN
        SELECT generation INTO g FROM pgvectors_generation
         WHERE tenant_id = t AND collection = c;
    END IF;
    RETURN g;
END $$;

CREATE FUNCTION pgvectors_written() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    NEW.change_gen := coalesce(pgvectors_write_gen(NEW.tenant_id, NEW.collection), 0);
    RETURN NEW;
END $$;

CREATE FUNCTION pgvectors_deleted() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE g bigint;
BEGIN
    -- a cascade of the tenant's own deletion: nothing to remember
    IF NOT EXISTS (SELECT 1 FROM tenants WHERE id = OLD.tenant_id) THEN
        RETURN NULL;
    END IF;
    g := pgvectors_write_gen(OLD.tenant_id, OLD.collection);
    IF g IS NOT NULL THEN
        INSERT INTO pgvectors_tombstones (tenant_id, collection, point_id, gen)
        VALUES (OLD.tenant_id, OLD.collection, OLD.point_id, g)
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER pgvectors_written BEFORE INSERT OR UPDATE ON pgvectors
    FOR EACH ROW EXECUTE FUNCTION pgvectors_written();
CREATE TRIGGER pgvectors_deleted AFTER DELETE ON pgvectors
    FOR EACH ROW EXECUTE FUNCTION pgvectors_deleted();
