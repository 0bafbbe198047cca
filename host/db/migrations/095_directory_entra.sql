-- 095_directory_entra: a deleted group has no members. Graph's delta
-- reports a deleted group as one @removed object, without removing its
-- membership links one by one, so the links of a group marked deleted are
-- marked deleted with it (same tenant and integration; RLS applies as for
-- the statement that deleted the group). Sources that do send the link
-- removals (AD) are unaffected: those rows are already deleted.
SELECT set_config('search_path', format('%I, pg_temp', current_schema()), true);

CREATE FUNCTION directory_group_deleted() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    UPDATE directory_memberships m
       SET deleted_at = NEW.deleted_at, loaded_at = now()
     WHERE m.tenant_id = NEW.tenant_id
       AND m.integration_id = NEW.integration_id
       AND m.group_external_id = NEW.external_id
       AND m.deleted_at IS NULL;
    RETURN NULL;
END $$;

CREATE TRIGGER directory_group_deleted
    AFTER UPDATE OF deleted_at ON directory_groups
    FOR EACH ROW
    WHEN (OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL)
    EXECUTE FUNCTION directory_group_deleted();
