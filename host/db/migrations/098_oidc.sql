-- 098_oidc: single sign-on over OpenID Connect (issue 18, item 4;
-- docs/auth.md "Single sign-on"). One provider per tenant, and the
-- pending sign-ins (state, nonce, PKCE verifier) kept server-side, short
-- lived and single use. Both tenant-scoped under forced row-level
-- security like the rest of the schema; the callback finds its tenant in
-- the state value ("TENANT.RANDOM"), as sessions do.
SELECT set_config('search_path', format('%I, pg_temp', current_schema()), true);

CREATE TABLE oidc_providers (
    tenant_id bigint PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    issuer text NOT NULL,
    client_id text NOT NULL,
    -- AES-256-GCM blob of crypto_seal (key_file), bound to the tenant;
    -- NULL: a public client (PKCE only).
    client_secret bytea,
    auth_method text NOT NULL DEFAULT 'client_secret_basic'
        CHECK (auth_method IN ('client_secret_basic', 'client_secret_post')),
    scopes text NOT NULL DEFAULT 'openid email profile',
    role_claim text,                     -- e.g. "groups"
    role_map jsonb NOT NULL DEFAULT '{}',  -- claim value -> admin|user|view
    -- role when no value maps; NULL: refuse the sign-in
    default_role text CHECK (default_role IN ('admin', 'user', 'view')),
    redirect_base text NOT NULL,         -- "https://pulse.example.com"
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE oidc_logins (
    id bigserial PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    state_hash bytea NOT NULL UNIQUE,    -- SHA-256 of the state value
    nonce text NOT NULL,
    verifier text NOT NULL,              -- PKCE code_verifier
    created_at timestamptz NOT NULL DEFAULT now(),
    used_at timestamptz
);
CREATE INDEX oidc_logins_nonce ON oidc_logins (tenant_id, nonce);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['oidc_providers', 'oidc_logins']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I
                        USING (tenant_id = nullif(current_setting(''app.tenant_id'', true), '''')::bigint)
                        WITH CHECK (tenant_id = nullif(current_setting(''app.tenant_id'', true), '''')::bigint)', t);
    END LOOP;
END $$;
