-- Wrong passwords counted by where they come from (issue #19). A lock used to be the
-- account's: five wrong passwords from anywhere locked out its owner everywhere, so anyone who
-- knew a login could keep its owner out. The lock is now a source's: five wrong passwords in a
-- row from one client address lock that address out of that account for 15 minutes, and the
-- owner signs in from their own desk meanwhile.
--
-- The account keeps its count of consecutive wrong passwords from all sources
-- (`accounts.failed_sign_ins`): ten of them are a security violation that blocks an ordinary
-- account (seeds/003 item 28). Its `locked_until` moves here, one per source.
create table sign_in_throttle (
    account_id   integer not null references accounts (id),
    source       text not null,              -- the client's address (IPv6 by its /64); '' when unknown
    failures     integer not null,           -- consecutive wrong passwords from this source
    locked_until text,                       -- this source is refused until then
    created_at   text not null,
    updated_at   text not null,              -- the last wrong password from this source
    primary key (account_id, source)
);
create index sign_in_throttle_by_time on sign_in_throttle (updated_at);

alter table accounts drop column locked_until;
