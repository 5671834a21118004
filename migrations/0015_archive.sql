-- The archive of closed cases (engine/archive.rs, engine/store/archive.rs; seeds/003 item 17:
-- periodic archiving of all requests). A case completed or withdrawn longer ago than the
-- configured age leaves the working tables — the clerks' queue, the timers, the outbox, the
-- search index — for one row here, in one transaction, and comes back the same way when an
-- administrator restores it. The audit journal is not touched: it only gets the records of
-- the moves.

-- One row per archived case: what a search and the case's short page show, the keys a search
-- looks up (registration number, the applicant's and the representative's IIN), and the
-- case itself: `package`, every row of every table that referred to the case (cases,
-- history, tasks, timers, jobs, notification_sent, schedule_runs, idempotency_keys, uploads)
-- as JSON, each column by the column spec of `engine/store/transfer.rs`, so a package
-- written here restores on PostgreSQL after `qyzmet migrate`, and the other way.
create table archived_cases (
    case_id             integer primary key,  -- the case's id: never issued again
    number              text not null unique,
    service             text not null,
    version             text not null,
    region              text not null,
    status              text not null check (status in ('completed', 'withdrawn')),
    result              text,
    opened_at           text not null,
    closed_at           text not null,        -- the case's last change
    archived_at         text not null,
    archived_by         text not null,        -- a login, or `system` for the daily run
    applicant_name      text,                 -- as written in the case, for display
    applicant_iin       text,
    representative_iin  text,
    package             text not null         -- JSON: {table: [{column: value}]}
);
create index archived_cases_by_applicant_iin on archived_cases (applicant_iin);
create index archived_cases_by_representative_iin on archived_cases (representative_iin);

-- The closed cases by their last change: what a run walks, oldest first, from a cursor.
create index cases_closed on cases (updated_at, id) where status in ('completed', 'withdrawn');
