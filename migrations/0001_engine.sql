-- The engine's durable state: cases, their history, the work they wait for.
-- One schema for SQLite (the embedded default) and PostgreSQL (several processes).
-- Applied migrations are never edited: a change is a new file.

-- Every definition version ever deployed, with the text it was deployed with. A case is
-- pinned to (service, version); the text of a deployed version never changes.
create table definitions (
    service     text not null,
    version     text not null,
    hash        text not null,
    source      text not null,
    created_at  text not null,
    updated_at  text not null,
    primary key (service, version)
);

create table cases (
    id          integer primary key,
    number      text not null unique,
    service     text not null,
    version     text not null,
    status      text not null,            -- active | completed | withdrawn
    result      text,
    region      text not null,
    state       text not null,            -- the runtime's CaseState, as JSON
    seq         integer not null,         -- transitions applied; guards concurrent writers
    created_at  text not null,
    updated_at  text not null
);
create index cases_by_status on cases (service, status);

-- The append-only journal of each case.
create table history (
    case_id     integer not null references cases (id),
    seq         integer not null,
    n           integer not null,
    at          text not null,
    actor       text not null,
    kind        text not null,
    step        text,
    detail      text not null,
    evidence    text,
    created_at  text not null,
    updated_at  text not null,
    primary key (case_id, seq, n)
);

create table tasks (
    key         text primary key,
    case_id     integer not null references cases (id),
    number      text not null,
    step        text not null,
    role        text not null,
    region      text not null,
    status      text not null,            -- open | claimed | closed
    assignee    text,
    due_at      text,
    evidence    text,
    created_at  text not null,
    updated_at  text not null
);
create index tasks_queue on tasks (status, role, region, due_at);
create index tasks_by_case on tasks (case_id);

-- Durable timers, indexed by due time.
create table timers (
    key         text primary key,
    case_id     integer not null references cases (id),
    due_at      text not null,
    purpose     text not null,
    created_at  text not null,
    updated_at  text not null
);
create index timers_due on timers (due_at);

-- The outbox: work done after commit, at least once, each with its idempotency key.
create table jobs (
    key         text primary key,
    case_id     integer not null references cases (id),
    kind        text not null,            -- request | notify | document | stage
    work        text not null,
    status      text not null,            -- pending | done | incident
    attempts    integer not null default 0,
    next_at     text not null,
    lease_until text,
    last_error  text,
    output      text,
    created_at  text not null,
    updated_at  text not null
);
create index jobs_ready on jobs (status, next_at);

-- Scheduled starts: one row per occurrence fired, so each fires once.
create table schedule_runs (
    service     text not null,
    occurrence  text not null,
    case_id     integer references cases (id),
    created_at  text not null,
    updated_at  text not null,
    primary key (service, occurrence)
);
