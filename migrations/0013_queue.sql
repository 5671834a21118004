-- The clerks' queue (`Store::task_page`): one index over the open and claimed tasks only (a
-- partial index: the closed tasks, most of the table after a few years, are not in it), with
-- every column the queue filters or sorts by. The page is chosen and counted from this index
-- alone, without reading a table row for each of the tasks passed over (200,000 open tasks for
-- an account of the whole republic); only the page's own rows are read from the table.
create index tasks_open on tasks (role, region, due_at, created_at, key, assignee, step, case_id, number, status)
    where status in ('open', 'claimed');
