-- 092_users: people who sign in (issue 18). Every table is tenant-scoped
-- under forced row-level security like the rest of the schema.
--
-- A person is a row of users per tenant (the same email may exist in
-- several tenants when the operator adds it there: one account and one
-- role per tenant). Sign-in happens before the tenant is known, so the
-- daemon finds candidate accounts through host_login_lookup(), a
-- SECURITY DEFINER function that returns ids, status and the password
-- hash only (never names or any business data), like 004_host_functions.
-- Sessions and machine tokens carry their tenant (in the session cookie
-- and in the JWT), so checking them needs no such function.
SELECT set_config('search_path', format('%I, pg_temp', current_schema()), true);

CREATE TABLE users (
    id bigserial PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    email text NOT NULL CHECK (email = lower(email) AND email LIKE '%_@_%'),
    display_name text,
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    source text NOT NULL DEFAULT 'local' CHECK (source IN ('local', 'oidc', 'directory')),
    -- PHC string "$argon2id$v=19$m=...,t=...,p=...$salt$hash"; NULL: no
    -- password sign-in (SSO or directory accounts, or not set yet).
    password_hash text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    disabled_at timestamptz,
    UNIQUE (tenant_id, email)
);
CREATE INDEX users_email ON users (email);

CREATE TABLE user_roles (
    tenant_id bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role text NOT NULL CHECK (role IN ('admin', 'user', 'view')),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, user_id)
);

-- The cookie is "TENANT.RANDOM"; only SHA-256 of RANDOM is stored.
CREATE TABLE sessions (
    id bigserial PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,      -- absolute lifetime
    revoked_at timestamptz,
    revoked_why text,
    source_addr text
);
CREATE INDEX sessions_user ON sessions (tenant_id, user_id) WHERE revoked_at IS NULL;

-- Machine tokens of `pulse-host token issue`, by their jti claim.
CREATE TABLE api_tokens (
    id bigserial PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    jti text NOT NULL UNIQUE,
    role text NOT NULL CHECK (role IN ('admin', 'user', 'view')),
    sub text NOT NULL,
    issued_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['users', 'user_roles', 'sessions', 'api_tokens']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I
                        USING (tenant_id = nullif(current_setting(''app.tenant_id'', true), '''')::bigint)
                        WITH CHECK (tenant_id = nullif(current_setting(''app.tenant_id'', true), '''')::bigint)', t);
    END LOOP;
END $$;

-- Sign-in candidates for an email in every tenant (or in p_tenant):
-- ids, status and hash only. The owner (the migrating role) is bound by
-- the forced policy too unless it is a superuser, so the function walks
-- the tenants, setting app.tenant_id for each read, and puts the
-- caller's setting back.
CREATE FUNCTION host_login_lookup(p_email text, p_tenant bigint)
    RETURNS TABLE (tenant_id bigint, user_id bigint, status text,
                   password_hash text)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path FROM CURRENT
    AS $$
    DECLARE t bigint; prev text := current_setting('app.tenant_id', true);
    BEGIN
        FOR t IN SELECT id FROM tenants
                  WHERE p_tenant IS NULL OR id = p_tenant ORDER BY id
        LOOP
            PERFORM set_config('app.tenant_id', t::text, true);
            RETURN QUERY SELECT u.tenant_id, u.id, u.status, u.password_hash
                           FROM users u
                          WHERE u.tenant_id = t AND u.email = lower(p_email);
        END LOOP;
        PERFORM set_config('app.tenant_id', coalesce(prev, ''), true);
    END $$;
REVOKE ALL ON FUNCTION host_login_lookup(text, bigint) FROM PUBLIC;
