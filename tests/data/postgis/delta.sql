-- DA-26 (spec/worker.md §6.1): subscription/project_plaintext.qgs edits the non-spatial table
-- public.point(id, name) (`key='tid' table="public"."point"`); the test's copy reaches it through
-- the service qfc_test_delta. project_plaintext_delta_1.json creates id 1000 ("hello-1000"), so
-- there is no such row here. :user may read and write.
\set ON_ERROR_STOP on
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE TABLE public.point (id integer PRIMARY KEY, name text);
INSERT INTO public.point (id, name) VALUES (1, 'hello-1'), (2, 'hello-2');
GRANT SELECT, INSERT, UPDATE, DELETE ON public.point TO :"user";
