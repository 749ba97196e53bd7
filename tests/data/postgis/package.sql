-- PK-02 (spec/worker.md §6.2): core/delta/project2.qgs packaged; its plain-text connection
-- (`key='tid' srid=2056 type=Point table="public"."point" (geometry)`) is pointed at this
-- database in the test's copy. :user may read.
\set ON_ERROR_STOP on
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE TABLE public.point (id integer PRIMARY KEY, geometry geometry(Point, 2056));
INSERT INTO public.point (id, geometry) VALUES
    (1, ST_GeomFromText('POINT(2725505 1121435)', 2056));
GRANT SELECT ON public.point TO :"user";
