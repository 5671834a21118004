-- The search index of cases (engine/store/search.rs), equal in meaning to
-- migrations/0011_case_index.sql: who each case is about, so that a clerk finds it by
-- registration number, IIN or surname among a million. Derived from the cases: written with
-- each case in the same transaction, never edited by hand, rebuilt by an import.
--
-- The texts compared by prefix (number, surname, name) are in the "C" collation: compared
-- byte for byte, as SQLite compares them, so a range `>= prefix and < prefix || U+10FFFF` is
-- exactly the texts that begin with the prefix, and the b-tree index answers it. A
-- language's collation orders "QZ-2026-0001" as if the dashes were not there.

-- One row per case: what a search shows of it, and the people as last indexed.
create table case_index (
    case_id         bigint primary key references cases (id),
    number          text collate "C" not null unique,
    service         text not null,
    region          text not null,
    status          text not null check (status in ('active', 'completed', 'withdrawn')),
    result          text,
    opened_at       timestamptz not null,
    applicant_name  text,                 -- as written in the case, for display
    applicant_iin   text,
    people          text,                 -- the people indexed, as JSON text; null: still to derive
    created_at      timestamptz not null,
    updated_at      timestamptz not null
);
-- The cases whose people are still to be derived (the engine does it at start).
create index case_index_pending on case_index (case_id) where people is null;

-- One row per person of a case (its applicant, its representative): the keys a search looks
-- up. Region, service and opening time ride along, so that a search reads this index alone
-- until it has its page.
create table case_people (
    case_id     bigint not null references case_index (case_id),
    role        text not null check (role in ('applicant', 'representative')),
    iin         text,
    surname     text collate "C",         -- folded (lower case, ё as е): compared by prefix
    name        text collate "C",         -- the full name, folded alike
    service     text not null,
    region      text not null,
    opened_at   timestamptz not null,
    created_at  timestamptz not null,
    updated_at  timestamptz not null,
    primary key (case_id, role)
);
create index case_people_by_iin on case_people (iin);
create index case_people_by_surname on case_people (surname, region, service, opened_at, case_id, role);

-- The cases there are: found by number at once; their people come at the next start.
insert into case_index (case_id, number, service, region, status, result, opened_at,
                        applicant_name, applicant_iin, people, created_at, updated_at)
select id, number, service, region, status, result, created_at, null, null, null, created_at, updated_at
from cases;
