-- The eGov portal channel: migrations/0017_portal.sql, in PostgreSQL's types.
create table portal_filings (
    case_id             bigint primary key references cases (id),
    document            text not null,
    document_sha256     text not null check (length(document_sha256) = 64),
    signature           text not null,
    signer_name         text not null,
    certificate_serial  text not null,
    certificate_issuer  text not null,
    signed_at           timestamptz,
    filed_by            text not null,
    created_at          timestamptz not null,
    updated_at          timestamptz not null
);
