-- The archive of closed cases: migrations/0015_archive.sql, in PostgreSQL's types. The
-- package is `jsonb`; its rows hold each column as `engine/store/transfer.rs` reads it
-- (instants as RFC 3339 text, JSON columns as their text), so it restores on either backend.
create table archived_cases (
    case_id             bigint primary key,   -- the case's id: the sequence never issues it again
    number              text collate "C" not null unique,
    service             text not null,
    version             text not null,
    region              text not null,
    status              text not null check (status in ('completed', 'withdrawn')),
    result              text,
    opened_at           timestamptz not null,
    closed_at           timestamptz not null, -- the case's last change
    archived_at         timestamptz not null,
    archived_by         text not null,        -- a login, or `system` for the daily run
    applicant_name      text,                 -- as written in the case, for display
    applicant_iin       text,
    representative_iin  text,
    package             jsonb not null        -- {table: [{column: value}]}
);
create index archived_cases_by_applicant_iin on archived_cases (applicant_iin);
create index archived_cases_by_representative_iin on archived_cases (representative_iin);

-- The closed cases by their last change: what a run walks, oldest first, from a cursor.
create index cases_closed on cases (updated_at, id) where status in ('completed', 'withdrawn');
