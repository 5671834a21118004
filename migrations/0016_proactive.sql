-- Proactive cases and the SMS consent dialogue (issue #17; seeds/001, ENPF rules items 4, 15,
-- 16): engine/wave.rs, engine/store/waves.rs, engine/api/sms_replies.rs.

-- The cases waiting for a message the citizen may give by an SMS reply, by the number the
-- offer went to: a reply finds its case here, not by reading every case's JSON (100,000
-- proactive cases wait at once). A row is written with the transition that enters the wait
-- (`Effect::AwaitSmsReply`) and holds while the wait's timeout timer does: the reply's lookup
-- joins `timers`, and the row is deleted with the timer when the wait ends.
create table sms_waits (
    id          integer primary key,
    phone       text not null,               -- digits only: 77011234567
    case_id     integer not null,
    message     text not null,               -- the message waited for
    timer_key   text not null,               -- the wait's timeout timer
    created_at  text not null
);
create index sms_waits_by_phone on sms_waits (phone, id);
create index sms_waits_by_timer on sms_waits (timer_key);

-- Every SMS reply the aggregator posted, by its id: a repeat answers the same and does
-- nothing. The text and the number are the case's business (its history), not kept here.
create table sms_replies (
    id           text primary key,           -- the aggregator's message id
    outcome      text not null check (outcome in ('delivered', 'help_sent', 'no_case')),
    case_number  text,
    received_at  text not null,
    created_at   text not null
);

-- Waves of proactive cases: one case of `service` per person on a list. The run walks the
-- list's rows in order in batches; after each batch the cursor (rows done) and the counts move
-- in one statement, under the run's lease, as a mass event's do. A case is opened with the
-- idempotency key (wave, IIN), so a batch done again after a crash opens nothing twice.
create table waves (
    id            integer primary key,
    key           text not null unique,      -- the effect's key, or `api:<uuid>`
    service       text not null,
    parent_case   text,                      -- the registration number of the case that started it
    region        text not null,             -- the region of the cases opened
    list          text not null,             -- JSON: the document field's value {name, sha256, …}
    csv           text,                      -- the list itself, when posted through the API
    created_by    text not null,
    total         integer not null default 0 check (total >= 0), -- the list's rows, once read
    cursor        integer not null default 0, -- rows done
    opened        integer not null default 0 check (opened >= 0),
    skipped       integer not null default 0 check (skipped >= 0),
    refused       integer not null default 0 check (refused >= 0),
    refusals      text not null default '[]', -- JSON: the first 1000 refused rows, {line, reason}
    error         text,                      -- why the list could not be read, when it could not
    finished_at   text,
    lease_owner   text,
    lease_until   text,
    created_at    text not null,
    updated_at    text not null
);
create index waves_unfinished on waves (id) where finished_at is null;
create index waves_by_parent on waves (parent_case);
