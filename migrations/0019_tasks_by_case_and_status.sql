-- A case's open tasks (the case page, the engine's look at a case's work) are found by the
-- case and the status together. On `case_id` alone PostgreSQL's planner, with statistics a
-- growing table has not caught up with, AND-ed this index with `tasks_queue`'s status and
-- read every open task of the office to find a case's two; one index on both columns
-- answers the whole condition, on either database.
drop index tasks_by_case;
create index tasks_by_case on tasks (case_id, status);
