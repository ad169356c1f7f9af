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
DO $$
DECLARE
  missing text;
  deadline timestamptz := clock_timestamp() + interval '900 seconds';
BEGIN
  LOOP
    -- A query (not to_regclass, which reads this transaction's cached catalog) sees tables created meanwhile.
    SELECT string_agg(t, ', ') INTO missing FROM unnest(ARRAY['reservations', 'sessions', 'locks']) AS t
     WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = 'public' AND tablename = t);
    EXIT WHEN missing IS NULL;
    IF clock_timestamp() > deadline THEN
      RAISE EXCEPTION 'reconcile: tables % still missing after 900 s (the app creates them on its first start)', missing;
    END IF;
    RAISE NOTICE 'reconcile: waiting for tables % (the app creates them on its first start)', missing;
    PERFORM pg_sleep(2);
  END LOOP;
END $$;
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
     SELECT 1 FROM (VALUES ('idx_reservations_guest_id', 'public.reservations USING btree (guest_id)'), ('idx_sessions_created_at', 'public.sessions USING btree (created_at)'), ('idx_sessions_guest_id', 'public.sessions USING btree (guest_id)'), ('idx_locks_room_id', 'public.locks USING btree (room_id)')) AS w(name, def)
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
     SELECT 1 FROM (VALUES ('idx_reservations_guest_id', 'public.reservations USING btree (guest_id)'), ('idx_sessions_created_at', 'public.sessions USING btree (created_at)'), ('idx_sessions_guest_id', 'public.sessions USING btree (guest_id)'), ('idx_locks_room_id', 'public.locks USING btree (room_id)')) AS w(name, def)
      WHERE w.name = c.relname
        AND substring(pg_get_indexdef(i.indexrelid) from ' ON (.*)$') = w.def)
\gexec
SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relname = 'idx_reservations_guest_id') AS exists, COALESCE((SELECT obj_description(c.oid, 'pg_class') = 'managed-by:hotel-stack' FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relname = 'idx_reservations_guest_id'), false) AS managed \gset ix0_
\if :ix0_exists
  \if :ix0_managed
  \else
    \echo 'reconcile: idx_reservations_guest_id exists and was not created by the stack: left as it is (not marked, rebuilt or dropped)'
  \endif
\else
CREATE INDEX CONCURRENTLY "idx_reservations_guest_id" ON public."reservations" USING btree ("guest_id");
COMMENT ON INDEX public."idx_reservations_guest_id" IS 'managed-by:hotel-stack';
\endif
SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relname = 'idx_sessions_created_at') AS exists, COALESCE((SELECT obj_description(c.oid, 'pg_class') = 'managed-by:hotel-stack' FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relname = 'idx_sessions_created_at'), false) AS managed \gset ix1_
\if :ix1_exists
  \if :ix1_managed
  \else
    \echo 'reconcile: idx_sessions_created_at exists and was not created by the stack: left as it is (not marked, rebuilt or dropped)'
  \endif
\else
CREATE INDEX CONCURRENTLY "idx_sessions_created_at" ON public."sessions" USING btree ("created_at");
COMMENT ON INDEX public."idx_sessions_created_at" IS 'managed-by:hotel-stack';
\endif
SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relname = 'idx_sessions_guest_id') AS exists, COALESCE((SELECT obj_description(c.oid, 'pg_class') = 'managed-by:hotel-stack' FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relname = 'idx_sessions_guest_id'), false) AS managed \gset ix2_
\if :ix2_exists
  \if :ix2_managed
  \else
    \echo 'reconcile: idx_sessions_guest_id exists and was not created by the stack: left as it is (not marked, rebuilt or dropped)'
  \endif
\else
CREATE INDEX CONCURRENTLY "idx_sessions_guest_id" ON public."sessions" USING btree ("guest_id");
COMMENT ON INDEX public."idx_sessions_guest_id" IS 'managed-by:hotel-stack';
\endif
SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relname = 'idx_locks_room_id') AS exists, COALESCE((SELECT obj_description(c.oid, 'pg_class') = 'managed-by:hotel-stack' FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relname = 'idx_locks_room_id'), false) AS managed \gset ix3_
\if :ix3_exists
  \if :ix3_managed
  \else
    \echo 'reconcile: idx_locks_room_id exists and was not created by the stack: left as it is (not marked, rebuilt or dropped)'
  \endif
\else
CREATE INDEX CONCURRENTLY "idx_locks_room_id" ON public."locks" USING btree ("room_id");
COMMENT ON INDEX public."idx_locks_room_id" IS 'managed-by:hotel-stack';
\endif
