-- 093_audit: who changed what (issue 18, item 5). Append-only for the
-- app role: it holds no UPDATE, DELETE or TRUNCATE right on the table
-- (revoked here for roles that got it through default privileges, and by
-- `migrate --app-role` after its grants), and a trigger refuses UPDATE
-- and DELETE for everyone but the retention function below.
SELECT set_config('search_path', format('%I, pg_temp', current_schema()), true);

CREATE TABLE audit_events (
    id bigserial PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    at timestamptz NOT NULL DEFAULT now(),
    actor text NOT NULL,          -- "user:alice@example.com", "token:ID", "cli:NAME"
    action text NOT NULL,         -- "auth.login", "user.disable", ...
    target text,                  -- what it acted on ("user:7", "integration:3")
    result text NOT NULL DEFAULT 'ok',  -- ok | failed | locked
    source_addr text,
    detail jsonb NOT NULL DEFAULT '{}'   -- never secrets or passwords
);
CREATE INDEX audit_events_at ON audit_events (tenant_id, at);

ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_events
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::bigint)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::bigint);

-- Only the table's owner, inside host_audit_prune, may delete; and a
-- removed tenant (ON DELETE CASCADE; the app role may not delete
-- tenants) takes its events with it.
CREATE FUNCTION audit_events_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE'
           AND NOT EXISTS (SELECT 1 FROM tenants WHERE id = OLD.tenant_id) THEN
            RETURN OLD;
        END IF;
        IF TG_OP = 'DELETE'
           AND current_setting('app.audit_prune', true) = 'on'
           AND current_user = (SELECT pg_get_userbyid(relowner) FROM pg_class
                                WHERE oid = TG_RELID) THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END $$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

-- Retention (housekeeping): delete up to p_limit events of the tenant in
-- app.tenant_id older than p_days. Returns the number deleted.
CREATE FUNCTION host_audit_prune(p_days integer, p_limit integer) RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path FROM CURRENT
    AS $$
    DECLARE n bigint;
    BEGIN
        PERFORM set_config('app.audit_prune', 'on', true);
        DELETE FROM audit_events WHERE id IN (
            SELECT id FROM audit_events
             -- explicit: a superuser owner is not bound by the policy
             WHERE tenant_id = nullif(current_setting('app.tenant_id', true), '')::bigint
               AND at < now() - make_interval(days => p_days)
             ORDER BY id LIMIT p_limit);
        GET DIAGNOSTICS n = ROW_COUNT;
        PERFORM set_config('app.audit_prune', '', true);
        RETURN n;
    END $$;
REVOKE ALL ON FUNCTION host_audit_prune(integer, integer) FROM PUBLIC;

DO $$
DECLARE r text;
BEGIN
    FOR r IN SELECT DISTINCT grantee FROM information_schema.role_table_grants
              WHERE table_schema = current_schema() AND table_name = 'audit_events'
                AND privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE')
                AND grantee <> (SELECT pg_get_userbyid(relowner) FROM pg_class
                                 WHERE oid = 'audit_events'::regclass)
    LOOP
        EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM %I', r);
    END LOOP;
END $$;
