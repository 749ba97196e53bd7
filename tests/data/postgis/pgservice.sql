-- PP-07 (spec/worker.md §6.3): core/delta/project_pgservice.qgs reads public.point through the
-- pg services geodb1 and geodb2 (`key='id' srid=2056 type=Point table="public"."point"
-- (geometry)`). Loaded into the databases of both services; :user may read.
\set ON_ERROR_STOP on
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE TABLE public.point (id integer PRIMARY KEY, geometry geometry(Point, 2056));
INSERT INTO public.point (id, geometry) VALUES
    (1, ST_GeomFromText('POINT(2725505 1121435)', 2056)),
    (2, ST_GeomFromText('POINT(2725600 1121500)', 2056));
GRANT SELECT ON public.point TO :"user";
