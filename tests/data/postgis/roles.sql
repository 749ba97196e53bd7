-- Roles of the PostGIS test cluster (tests/scripts/postgis.sh), run as the superuser in the
-- `postgres` database with the psql variables :user and :password.
--   :user        the one login role of the test projects and pgservice secrets (password auth)
--   qfctestci    the effective-user role of core/override_pg_effective_user.qgs (PP-08: the
--                QFC_PG_EFFECTIVE_USER secret); cannot log in, :user may SET ROLE to it
\set ON_ERROR_STOP on
CREATE ROLE :"user" LOGIN PASSWORD :'password';
CREATE ROLE qfctestci NOLOGIN;
GRANT qfctestci TO :"user";
