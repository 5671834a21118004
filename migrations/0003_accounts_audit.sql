-- Staff accounts, their sessions and the systems' API tokens; the audit journal.
-- Access rules: seeds/003 items 18-30 (accounts on an access request, a temporary password
-- changed at first sign-in, no shared logins, blocking after 30 calendar days unused or on a
-- security violation, unblocking only by a new request).

-- One row per person: a login is never shared (seeds/003 item 26), so it is unique, and
-- unique regardless of case ("Aigerim" and "aigerim" are one login).
create table accounts (
    id                   integer primary key,
    login                text not null unique collate nocase,
    full_name            text not null,
    email                text not null,
    roles                text not null,          -- JSON array of role names
    region               text not null,          -- "almaty", "astana", ... or "kz" for the republic
    password_hash        text not null,          -- argon2id PHC string
    must_change_password integer not null,       -- 1 while the temporary password is in use
    status               text not null check (status in ('active', 'blocked')),
    blocked_reason       text check (blocked_reason in ('unused_30_days', 'security_violation', 'administrator')),
    blocked_at           text,
    created_at           text not null,
    created_by           text not null,
    reactivated_at       text,                   -- the last new access request that unblocked it
    last_sign_in_at      text,
    failed_sign_ins      integer not null default 0,
    locked_until         text,                   -- too many wrong passwords: refused until then
    password_changed_at  text not null,
    check ((status = 'blocked') = (blocked_reason is not null))
);
create index accounts_by_status on accounts (status);

-- A signed-in browser. Only the SHA-256 of the token is kept: a copy of the database does
-- not sign anybody in.
create table sessions (
    id           text primary key,               -- SHA-256 hex of the token
    account_id   integer not null references accounts (id),
    csrf_token   text not null,
    created_at   text not null,
    expires_at   text not null,
    last_seen_at text not null,
    ip           text
);
create index sessions_by_account on sessions (account_id);

-- Tokens of other systems (the eGov portal, the State Corporation, the contact centre), each
-- on the account of the system it belongs to. Only the SHA-256 of the token is kept.
create table api_tokens (
    hash        text primary key,
    name        text not null,
    account_id  integer not null references accounts (id),
    created_at  text not null,
    revoked_at  text
);
create index api_tokens_by_account on api_tokens (account_id);

-- The audit journal: every action of a user, a system or the engine, in order, each record
-- chained to the one before by SHA-256 (see engine/audit/chain.rs). It is only ever appended
-- to; the triggers refuse the rest, and the chain shows it if someone removes them.
create table audit (
    seq        integer primary key,
    at         text not null,
    actor      text not null,                    -- a login, 'system' or 'citizen'
    source     text,                             -- IP address or channel
    action     text not null,
    object     text,                             -- registration number, task key, login
    details    text not null,                    -- canonical JSON
    prev_hash  text not null,
    hash       text not null
);
create index audit_by_actor on audit (actor, seq);
create index audit_by_at on audit (at);

create trigger audit_no_update before update on audit
begin
    select raise(abort, 'the audit journal is append-only');
end;

create trigger audit_no_delete before delete on audit
begin
    select raise(abort, 'the audit journal is append-only');
end;
