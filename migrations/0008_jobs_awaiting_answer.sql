-- A data request on the gateway's asynchronous channel (issue #19). The gateway acknowledges
-- the send at once; the state system answers later, at POST /gateway/answers, with our
-- messageId (the job's key) as its correlationId. Between the two the job is neither done (the
-- acknowledgement is no answer: the step's `output:` mapping must not read it) nor to be sent
-- again: it is `awaiting_answer`, acknowledged at `acknowledged_at`, until `next_at`, the
-- answer's deadline (the connector's `answer_timeout_seconds`). Past it, the request is sent
-- again with the same messageId within the step's retry budget; with the budget spent, the
-- step's failure path is taken.
--
-- The status becomes the closed set the code's `store::JobStatus` names, checked by the
-- database. SQLite adds a check constraint only by rebuilding the table; nothing refers to
-- `jobs`, so it is copied, dropped and renamed in this migration's transaction.
create table jobs_new (
    key             text primary key,
    case_id         integer not null references cases (id),
    kind            text not null check (kind in ('request', 'notify', 'document', 'stage')),
    work            text not null,
    status          text not null
                    check (status in ('pending', 'awaiting_answer', 'done', 'failed', 'incident')),
    attempts        integer not null default 0,
    next_at         text not null,            -- when it is next due; awaiting: the answer's deadline
    lease_until     text,
    last_error      text,
    output          text,
    acknowledged_at text,                     -- when the asynchronous channel acknowledged the send
    created_at      text not null,
    updated_at      text not null,
    check (status <> 'awaiting_answer' or acknowledged_at is not null)
);

insert into jobs_new (key, case_id, kind, work, status, attempts, next_at, lease_until,
                      last_error, output, acknowledged_at, created_at, updated_at)
select key, case_id, kind, work, status, attempts, next_at, lease_until,
       last_error, output, null, created_at, updated_at
from jobs;

drop table jobs;
alter table jobs_new rename to jobs;
create index jobs_ready on jobs (status, next_at);
