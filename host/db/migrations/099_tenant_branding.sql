-- 099_tenant_branding: what the console shows for a tenant (issue 19):
-- a display name and an accent colour, set with `pulse-host tenant set`.
-- One row per tenant at most; no row = the defaults (the tenant's name,
-- the built-in accent).
CREATE TABLE tenant_branding (
    tenant_id     bigint PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    display_name  text CHECK (display_name IS NULL OR length(display_name) BETWEEN 1 AND 80),
    brand_color   text CHECK (brand_color IS NULL OR brand_color ~ '^#[0-9a-f]{6}$'),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE tenant_branding ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_branding FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_branding
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::bigint)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::bigint);
