-- 114_vector_moves_cleanup: the removal of a tenant's points from the
-- store it left, made durable. The switch of a move back to pgvectors
-- (host/ai/vmove_back.c) marks the cleanup pending in the same
-- transaction; removing the points from the plugin store comes after and
-- can fail (the store down, a 4xx). A pending cleanup is finished by the
-- next `pulse-host vectorize move` of the tenant (either direction) and is
-- shown by `vectorize status` (docs/vectors.md "Moving a tenant between
-- stores"). The forward move deletes the pgvectors copy inside its switch
-- transaction, so it never leaves a cleanup behind.
--
--   cleanup_pending   the source (target_integration_id of a
--                     'to_pgvectors' row) still holds the tenant's points
--   cleanup_error     why the last attempt failed (no secrets: the store's
--                     error message), NULL before the first failure
--   cleanup_at        when the last attempt failed
-- vector_moves keeps ENABLE + FORCE ROW LEVEL SECURITY (108).
SELECT set_config('search_path', format('%I, pg_temp', current_schema()), true);

ALTER TABLE vector_moves
    ADD COLUMN cleanup_pending boolean NOT NULL DEFAULT false,
    ADD COLUMN cleanup_error text,
    ADD COLUMN cleanup_at timestamptz;
