-- 112_vector_moves_back: `pulse-host vectorize move --to pgvectors`, the
-- reverse move from a vector-store integration (with the ABI 1.4 scroll
-- op) back to the embedded pgvectors (host/ai/vmove_back.c,
-- docs/vectors.md "Moving a tenant between stores").
--
--   direction     'to_plugin' (the forward move; target_integration_id is
--                 the target) or 'to_pgvectors' (target_integration_id is
--                 the source integration the points are read from)
--   last_offset   the reverse move's checkpoint: the store's opaque
--                 scroll offset of the next page (NULL: from the start)
--
-- One row per direction: the switch of one direction deletes the other's
-- finished row, so "already moved" always means the last move.
SELECT set_config('search_path', format('%I, pg_temp', current_schema()), true);

ALTER TABLE vector_moves
    ADD COLUMN direction text NOT NULL DEFAULT 'to_plugin'
        CHECK (direction IN ('to_plugin', 'to_pgvectors')),
    ADD COLUMN last_offset text;
ALTER TABLE vector_moves DROP CONSTRAINT vector_moves_pkey;
ALTER TABLE vector_moves
    ADD PRIMARY KEY (tenant_id, target_integration_id, collection, direction);
