-- PK-07 (spec/worker.md §6.2): the table behind core/delta/project2.qgs is
-- geometry(MultiPoint, 2056) holding 12 single-point features while the layer is declared
-- `type=Point`; packaged with `pythonmini` every feature must come out as a Point. :user may read.
\set ON_ERROR_STOP on
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE TABLE public.point (id integer PRIMARY KEY, geometry geometry(MultiPoint, 2056));
INSERT INTO public.point (id, geometry)
SELECT i, ST_Multi(ST_SetSRID(ST_MakePoint(2725500 + 10 * i, 1121400 + 5 * i), 2056))
FROM generate_series(1, 12) AS i;
GRANT SELECT ON public.point TO :"user";
