-- 116_vectorization_done_at: the throughput history of the console's
-- Vectorization panel (GET /api/v1/vectorization/history, host/ai/
-- vectorize_history.c) counts a tenant's queue rows that completed or
-- failed within the last hour or day by their updated_at. The queue
-- keeps its done rows, so without this index that query reads every done
-- row of the tenant; with it, only the window's. Partial: the pending
-- and processing rows, which the worker updates most, are not in it.
CREATE INDEX vectorization_done_at ON vectorization_queue (tenant_id, updated_at)
    WHERE status IN ('completed', 'failed');
