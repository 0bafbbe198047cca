-- 100_directory_disables_users: a person disabled or deleted in the
-- directory (AD or Entra ID, 090_directory.sql) is disabled as a user of
-- pulse-host (092_users.sql) when the directory's run ends, with every
-- session revoked and the change in the audit log (docs/auth.md, "Users
-- from the directory").
--
-- A user is matched by e-mail against the directory's mail or user
-- principal name. Only when every directory record of that address is
-- disabled or deleted: a person with one live account (in AD or in Entra)
-- stays. Users are never re-enabled by a sync; an admin does that
-- (`pulse-host user enable`), so a directory mistake cannot reopen
-- access by itself.
SELECT set_config('search_path', format('%I, pg_temp', current_schema()), true);

CREATE FUNCTION directory_disable_users() RETURNS trigger
    LANGUAGE plpgsql SET search_path FROM CURRENT
    AS $$
DECLARE
    n integer := 0;
    u record;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM integrations i
                    WHERE i.tenant_id = NEW.tenant_id AND i.id = NEW.integration_id
                      AND i.plugin IN ('ad', 'entra')) THEN
        RETURN NEW;
    END IF;
    FOR u IN
        SELECT s.id, s.email FROM users s
         WHERE s.tenant_id = NEW.tenant_id AND s.status = 'active'
           AND EXISTS (SELECT 1 FROM directory_users d
                        WHERE d.tenant_id = s.tenant_id
                          AND s.email IN (lower(d.mail), lower(d.principal_name)))
           AND NOT EXISTS (SELECT 1 FROM directory_users d
                            WHERE d.tenant_id = s.tenant_id
                              AND s.email IN (lower(d.mail), lower(d.principal_name))
                              AND d.deleted_at IS NULL
                              AND coalesce(d.enabled, true))
    LOOP
        UPDATE users SET status = 'disabled', disabled_at = now(), updated_at = now()
         WHERE id = u.id;
        UPDATE sessions SET revoked_at = now(), revoked_why = 'disabled in the directory'
         WHERE tenant_id = NEW.tenant_id AND user_id = u.id AND revoked_at IS NULL;
        INSERT INTO audit_events (tenant_id, actor, action, target, result, detail)
        VALUES (NEW.tenant_id, 'directory:' || NEW.integration_id, 'user.disable',
                'user:' || u.id, 'ok',
                jsonb_build_object('email', u.email,
                                   'reason', 'disabled or deleted in the directory'));
        n := n + 1;
    END LOOP;
    IF n > 0 THEN
        NEW.stats := coalesce(NEW.stats, '{}'::jsonb) ||
                     jsonb_build_object('users_disabled', n);
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER job_runs_users_disable BEFORE UPDATE OF state ON job_runs
    FOR EACH ROW
    WHEN (OLD.state = 'RUNNING' AND NEW.state = 'FINISHED')
    EXECUTE FUNCTION directory_disable_users();
