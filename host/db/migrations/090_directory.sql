-- 090_directory: the directory model the AD and Entra sources load
-- (docs/directory.md). 002 made directory_users and directory_groups with a
-- few columns; this gives them what analytics needs and adds memberships
-- and org units as tables of their own. Every row is canonical: one per
-- (tenant, integration, external_id), loaded by the pipeline's loader;
-- deleted_at (host's) marks users and groups the directory deleted.
SELECT set_config('search_path', format('%I, pg_temp', current_schema()), true);

-- external_id: AD objectGUID as a UUID string; Entra the object id.
-- immutable_id: the key both sources share for one person: AD the base64
-- objectGUID, Entra onPremisesImmutableId.
ALTER TABLE directory_users
    ADD COLUMN source text,                  -- 'ad' | 'entra'
    ADD COLUMN account_name text,            -- sAMAccountName / mailNickname
    ADD COLUMN employee_id text,
    ADD COLUMN department text,
    ADD COLUMN title text,
    ADD COLUMN manager_external_id text,     -- the manager's external_id
    ADD COLUMN org_unit text,                -- DN of the user's OU (AD)
    ADD COLUMN immutable_id text,
    ADD COLUMN dn text,                      -- AD distinguished name
    ADD COLUMN changed_at timestamptz,       -- whenChanged / delta time
    ADD COLUMN attributes jsonb;             -- other kept attributes
CREATE INDEX directory_users_mail ON directory_users (tenant_id, lower(mail));
CREATE INDEX directory_users_immutable ON directory_users (tenant_id, immutable_id);

-- members (jsonb of 002) stays for compatibility; directory_memberships is
-- the source of truth.
ALTER TABLE directory_groups
    ADD COLUMN source text,
    ADD COLUMN mail text,
    ADD COLUMN description text,
    ADD COLUMN dn text,
    ADD COLUMN org_unit text,
    ADD COLUMN changed_at timestamptz;

-- One row per link. external_id is group_external_id || '|' ||
-- member_external_id, so a re-load overwrites; a removed link is
-- record_delete'd (deleted_at set), never left behind.
CREATE TABLE directory_memberships (
    id bigserial PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    integration_id bigint NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    external_id text NOT NULL,
    group_external_id text NOT NULL,
    member_external_id text NOT NULL,
    member_kind text NOT NULL DEFAULT 'user',   -- 'user' | 'group' | 'other'
    loaded_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz,
    UNIQUE (tenant_id, integration_id, external_id)
);
CREATE INDEX directory_memberships_group
    ON directory_memberships (tenant_id, integration_id, group_external_id);
CREATE INDEX directory_memberships_member
    ON directory_memberships (tenant_id, integration_id, member_external_id);

-- external_id: the OU's objectGUID (AD). parent_dn gives the tree.
CREATE TABLE directory_org_units (
    id bigserial PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    integration_id bigint NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    external_id text NOT NULL,
    dn text NOT NULL,
    name text,
    parent_dn text,
    changed_at timestamptz,
    loaded_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz,
    UNIQUE (tenant_id, integration_id, external_id)
);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['directory_memberships', 'directory_org_units']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I
                        USING (tenant_id = nullif(current_setting(''app.tenant_id'', true), '''')::bigint)
                        WITH CHECK (tenant_id = nullif(current_setting(''app.tenant_id'', true), '''')::bigint)', t);
    END LOOP;
END $$;
