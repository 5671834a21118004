-- A case's tasks by the case and the status together: migrations/0019_tasks_by_case_and_status.sql.
drop index tasks_by_case;
create index tasks_by_case on tasks (case_id, status);
