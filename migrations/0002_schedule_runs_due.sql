-- When each scheduled occurrence was due: the catch-up after downtime starts from the last.
alter table schedule_runs add column due_at text;
