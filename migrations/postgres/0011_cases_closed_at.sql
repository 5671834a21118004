-- When a case closed, and the archive's index on it: migrations/0020_cases_closed_at.sql.
-- With no index naming a column that changes at every transition, an open case's update
-- can be a heap-only tuple update (no new index entries): the fill factor leaves room in
-- each page for the new version of its rows.
alter table cases add column closed_at timestamptz;
update cases set closed_at = updated_at where status in ('completed', 'withdrawn');
drop index cases_closed;
create index cases_closed on cases (closed_at, id) where closed_at is not null;
alter table cases set (fillfactor = 80);
