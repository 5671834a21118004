-- API tokens get an id, by which they are listed and revoked without their secret
-- (`GET /accounts/{login}/tokens`, `DELETE /accounts/{login}/tokens/{id}`: issue #19), the time
-- of their last use (written at most hourly, as the account's), and `updated_at`. SQLite adds
-- no primary key to a table, and a rowid of a table without one may change at a VACUUM: the
-- table is rebuilt, every token keeping its hash, name, account and times, in the order issued.
create table api_tokens_v2 (
    id           integer primary key,
    hash         text not null unique,          -- SHA-256 hex of the token
    name         text not null,
    account_id   integer not null references accounts (id),
    created_at   text not null,
    last_used_at text,
    revoked_at   text,
    updated_at   text not null
);
insert into api_tokens_v2 (hash, name, account_id, created_at, revoked_at, updated_at)
    select hash, name, account_id, created_at, revoked_at, coalesce(revoked_at, created_at)
    from api_tokens
    order by created_at, hash;
drop table api_tokens;
alter table api_tokens_v2 rename to api_tokens;
create index api_tokens_by_account on api_tokens (account_id);
