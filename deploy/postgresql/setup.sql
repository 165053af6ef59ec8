-- PostgreSQL for the registration back office: a database, an owner role that runs the migrations, and an
-- application role that can read and write rows but cannot change the schema.
--
-- Run once as the superuser, e.g.
--   sudo -u postgres psql -v ON_ERROR_STOP=1 -v db=backoffice -v owner=backoffice_owner -v app=backoffice_app \
--        -v owner_password="$OWNER_PASSWORD" -v app_password="$APP_PASSWORD" -f deploy/postgresql/setup.sql
-- Migrations (backoffice db upgrade) connect as the owner; the web server, the scheduler and the intake watcher
-- connect as the application role (docs/deployment.md).

CREATE ROLE :"owner" LOGIN PASSWORD :'owner_password';
CREATE ROLE :"app" LOGIN PASSWORD :'app_password';
CREATE DATABASE :"db" OWNER :"owner" ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"db" TO :"app";

\connect :"db"
-- The queue's search uses trigram indexes (migration 0004); made here so that the owner needs no superuser right.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
ALTER SCHEMA public OWNER TO :"owner";
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"app";
-- Every table and sequence the owner's migrations create is open to the application for rows, not for DDL.
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
  GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO :"app";
