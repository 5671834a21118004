-- Cases a report counts (issue #17; seeds/004 list item 1: the quarterly form on home-education
-- compensation counts the cases of that service): engine/service_cases.rs,
-- engine/store/case_links.rs.

-- One row per case a `qyzmet.service_cases` request of case `case_id` counted. Written in one
-- transaction with the rows of the same request before it deleted (`query` is the request's
-- selection), so a repeated request replaces what it counted and never adds to it. The
-- counted case is named by its registration number, not its id, and has no foreign key: it
-- may be archived while the report stays, and the number still names it. The row goes with
-- the report when the report is archived (it has the report's `case_id`).
create table case_links (
    case_id         integer not null references cases (id),  -- the case that counted (the report)
    query           text not null,   -- the selection: service|period|date_field|result|amount_field
    linked_number   text not null,   -- the counted case's registration number
    linked_service  text not null,
    period          text not null,   -- 2026-Q3, 2026-07 or 2026
    result          text,            -- the counted case's result, when it had ended
    on_date         text not null,   -- the date it was selected by, YYYY-MM-DD
    amount          text,            -- the amount summed, canonical money text
    created_at      text not null,
    primary key (case_id, query, linked_number)
);
create index case_links_by_linked on case_links (linked_number);
