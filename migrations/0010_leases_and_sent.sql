-- Which engine process holds a job's lease (until `lease_until`): a process renews or releases
-- only its own lease. Null when the job is not leased.
alter table jobs add column leased_by text;

-- What a notification job performed on each channel (e-mail, SMS), by its idempotency key:
-- looked for before sending, written after the provider accepted, in its own short
-- transaction. It replaces the marker files beside the file outbox (engine/notify/sent.rs),
-- which engine processes on different machines do not share.
create table notification_sent (
    key         text not null,
    channel     text not null,
    outcome     text not null,            -- JSON
    created_at  text not null,
    primary key (key, channel)
);

-- A case's jobs, for its page and its jobs list.
create index jobs_by_case on jobs (case_id);
