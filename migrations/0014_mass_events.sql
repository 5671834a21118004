-- Mass events (engine/mass_event.rs, engine/store/mass_events.rs): one life event's message
-- for every active case of a service at once — a law raises the monthly payments, and each
-- payment gets its increase. The run walks the service's active cases in id order in batches;
-- after each batch its cursor (the last case id done) and its counts move in one statement, so
-- a run that stops resumes after the last batch it recorded. A case done again after a crash
-- refuses the message as already taken (`once_per`) and is counted `duplicate`.
create table mass_events (
    id           integer primary key,
    service      text not null,
    event        text not null,             -- the life event's name in the definition
    message      text not null,             -- the message that starts it
    payload      text not null,             -- JSON: the message's fields, as checked
    created_by   text not null,             -- the login that entered it
    total        integer not null check (total >= 0), -- active cases of the service at creation
    cursor       integer not null default 0, -- the last case id done
    started      integer not null default 0 check (started >= 0),
    kept         integer not null default 0 check (kept >= 0),
    duplicate    integer not null default 0 check (duplicate >= 0),
    not_now      integer not null default 0 check (not_now >= 0),
    failed       integer not null default 0 check (failed >= 0),
    failures     text not null default '[]', -- JSON: the first 100 failed cases, {number, error}
    finished_at  text,
    lease_owner  text,                      -- the process working it (`Store::process`)
    lease_until  text,                      -- until when; another process takes over after
    created_at   text not null,
    updated_at   text not null
);
-- The runner looks for the unfinished ones.
create index mass_events_unfinished on mass_events (id) where finished_at is null;
