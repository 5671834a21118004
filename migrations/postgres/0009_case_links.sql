-- Cases a report counts: migrations/0018_case_links.sql, in PostgreSQL's types.
create table case_links (
    case_id         bigint not null references cases (id),
    query           text not null,
    linked_number   text not null,
    linked_service  text not null,
    period          text not null,
    result          text,
    on_date         text not null,
    amount          text,
    created_at      timestamptz not null,
    primary key (case_id, query, linked_number)
);
create index case_links_by_linked on case_links (linked_number);
