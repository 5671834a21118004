-- The `Idempotency-Key` an application was filed with (`POST /cases`): a repeat of the key with
-- the same application answers the case it opened and opens no other; the same key with another
-- application is refused. A key is its caller's (`login`): two systems may pick the same one.
-- Written in the transaction that opens the case, so a case and its key exist together or not
-- at all. Kept as long as the case: a key is a few dozen bytes, and a repeat may come late.
create table idempotency_keys (
    login       text not null,
    key         text not null,
    digest      text not null,            -- SHA-256 (hex) of the application's canonical JSON
    case_id     integer not null references cases (id),
    created_at  text not null,
    updated_at  text not null,
    primary key (login, key)
);
