-- The clerks' queue (`Store::task_page`), equal in meaning to migrations/0013_queue.sql: one
-- index over the open and claimed tasks only, with every column the queue filters or sorts by,
-- so that the page is chosen and counted from the index (an index-only scan once the table is
-- vacuumed) and only the page's own rows are read from the table.
create index tasks_open on tasks (role, region, due_at, created_at, key, assignee, step, case_id, number, status)
    where status in ('open', 'claimed');
