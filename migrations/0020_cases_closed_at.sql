-- When a case closed (completed or withdrawn), set by the write that closes it; null while
-- it is open. The archive looks for cases closed before its cutoff by this column.
--
-- Why not `updated_at`, as before: it changes at every transition, and an index naming it
-- is written at every transition. On PostgreSQL that is worse than the index entry itself:
-- an update that changes a column any index names (a partial index's included) cannot be a
-- "heap-only tuple" update, so every transition of every open case wrote a new entry into
-- each of the table's indexes. `closed_at` changes once, when the case closes.
--
-- The cases closed before this migration take their last change as their closing time:
-- what the archive went by until now.
alter table cases add column closed_at text;
update cases set closed_at = updated_at where status in ('completed', 'withdrawn');
drop index cases_closed;
create index cases_closed on cases (closed_at, id) where closed_at is not null;
