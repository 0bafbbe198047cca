-- ad-truth.sql: the warehouse's directory rows of integration :id in the
-- canonical lines of `ad-gen.py truth` (psql -At, then sorted).
SELECT 'U|' || external_id || '|' || coalesce(account_name, '') || '|' ||
       coalesce(principal_name, '') || '|' || coalesce(mail, '') || '|' ||
       coalesce(display_name, '') || '|' || coalesce(department, '') || '|' ||
       coalesce(title, '') || '|' || coalesce(employee_id, '') || '|' ||
       CASE WHEN enabled THEN 't' ELSE 'f' END || '|' ||
       coalesce(manager_external_id, '') || '|' || coalesce(org_unit, '') || '|' ||
       coalesce(dn, '') || '|' || coalesce(immutable_id, '')
  FROM directory_users WHERE integration_id = :id AND deleted_at IS NULL
    AND source = 'ad'
UNION ALL
SELECT 'G|' || external_id || '|' || coalesce(name, '') || '|' || coalesce(dn, '')
  FROM directory_groups WHERE integration_id = :id AND deleted_at IS NULL
UNION ALL
SELECT 'M|' || group_external_id || '|' || member_external_id || '|' || member_kind
  FROM directory_memberships WHERE integration_id = :id AND deleted_at IS NULL
UNION ALL
SELECT 'O|' || external_id || '|' || dn
  FROM directory_org_units WHERE integration_id = :id AND deleted_at IS NULL
UNION ALL
SELECT 'DU|' || external_id
  FROM directory_users WHERE integration_id = :id AND deleted_at IS NOT NULL
UNION ALL
SELECT 'DG|' || external_id
  FROM directory_groups WHERE integration_id = :id AND deleted_at IS NOT NULL;
