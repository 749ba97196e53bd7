-- PP-08 (spec/worker.md §6.3): core/override_pg_effective_user.qgs reads the view
-- public.point_view (`service='qfctestci' key='id' srid=4326 type=Point`). Only the role
-- qfctestci may read the view (the effective user of the QFC_PG_EFFECTIVE_USER secret); the
-- service's login role reaches it as a member of qfctestci (SET ROLE, or inherited privileges
-- where the QGIS in use ignores `session_role`). Nobody may read the table behind it directly.
\set ON_ERROR_STOP on
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE TABLE public.point (id integer PRIMARY KEY, geometry geometry(Point, 4326));
INSERT INTO public.point (id, geometry) VALUES
    (1, ST_GeomFromText('POINT(7.44 46.95)', 4326)),
    (2, ST_GeomFromText('POINT(8.54 47.37)', 4326)),
    (3, ST_GeomFromText('POINT(6.14 46.20)', 4326));
CREATE VIEW public.point_view AS SELECT id, geometry FROM public.point;
REVOKE ALL ON public.point, public.point_view FROM PUBLIC;
GRANT SELECT ON public.point_view TO qfctestci;
