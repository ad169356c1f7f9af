-- Rendered by the hotel-reservation Pulumi stack from the stage's hotel:postgres block.
-- Run with: psql -v ON_ERROR_STOP=1 -f reconcile.sql (autocommit: CONCURRENTLY cannot run in a transaction block).
\set ON_ERROR_STOP on
SET statement_timeout = '1800000ms';
SET lock_timeout = '10s';
SELECT pg_try_advisory_lock(7243101) AS reconcile_locked \gset
\if :reconcile_locked
\else
  DO $$ BEGIN RAISE EXCEPTION 'reconcile: another run of this script holds advisory lock 7243101; this run stops and is retried'; END $$;
\endif
-- Only the stack's own pg_stat_statements (marked) is dropped; a DBA's stays.
SELECT 'DROP EXTENSION IF EXISTS pg_stat_statements;' FROM pg_extension e
 WHERE e.extname = 'pg_stat_statements' AND obj_description(e.oid, 'pg_extension') = 'managed-by:hotel-stack'
\gexec
SELECT NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hotel_monitor') AS create_monitor \gset
\if :create_monitor
CREATE ROLE "hotel_monitor" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
COMMENT ON ROLE "hotel_monitor" IS 'managed-by:hotel-stack';
\endif
SELECT COALESCE((SELECT shobj_description(oid, 'pg_authid') = 'managed-by:hotel-stack' FROM pg_roles WHERE rolname = 'hotel_monitor'), false) AS own_monitor \gset
\if :own_monitor
GRANT pg_monitor TO "hotel_monitor";
\else
  \echo 'reconcile: role hotel_monitor exists and was not created by the stack: left as it is'
\endif
-- Unique and constraint indexes are the app's, even when an older script marked them: unmark, never drop.
SELECT format('COMMENT ON INDEX %I.%I IS NULL;', n.nspname, c.relname)
  FROM pg_index i
  JOIN pg_class c ON c.oid = i.indexrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'public'
   AND obj_description(c.oid, 'pg_class') = 'managed-by:hotel-stack' AND (i.indisunique OR i.indisprimary OR EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid))
\gexec
-- Drop managed indexes that are no longer declared, INVALID (failed concurrent build) or redefined.
SELECT format('DROP INDEX CONCURRENTLY IF EXISTS %I.%I;', n.nspname, c.relname)
  FROM pg_index i
  JOIN pg_class c ON c.oid = i.indexrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'public'
   AND obj_description(c.oid, 'pg_class') = 'managed-by:hotel-stack' AND NOT (i.indisunique OR i.indisprimary OR EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)) AND NOT EXISTS (
     SELECT 1 FROM (SELECT NULL::text, NULL::text WHERE false) AS w(name, def)
      WHERE w.name = c.relname AND i.indisvalid
        AND substring(pg_get_indexdef(i.indexrelid) from ' ON (.*)$') = w.def)
\gexec
-- An unmarked INVALID index that is exactly what this script builds is one of its own failed builds.
SELECT format('DROP INDEX CONCURRENTLY IF EXISTS %I.%I;', n.nspname, c.relname)
  FROM pg_index i
  JOIN pg_class c ON c.oid = i.indexrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'public'
   AND obj_description(c.oid, 'pg_class') IS NULL AND NOT i.indisvalid AND NOT (i.indisunique OR i.indisprimary OR EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)) AND EXISTS (
     SELECT 1 FROM (SELECT NULL::text, NULL::text WHERE false) AS w(name, def)
      WHERE w.name = c.relname
        AND substring(pg_get_indexdef(i.indexrelid) from ' ON (.*)$') = w.def)
\gexec
