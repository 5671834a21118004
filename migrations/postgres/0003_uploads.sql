-- Scans of documents uploaded on the clerks' pages: migrations/0012_uploads.sql, in
-- PostgreSQL's types.
create table uploads (
    case_id       bigint not null references cases (id),
    field         text not null,            -- the data name, e.g. documents.identity
    sha256        text not null check (length(sha256) = 64),
    name          text not null,            -- the file's name on the clerk's computer
    content_type  text not null check (content_type in ('application/pdf', 'image/jpeg', 'image/png')),
    size          bigint not null check (size > 0),
    uploaded_by   text not null,            -- the clerk's login
    created_at    timestamptz not null,
    updated_at    timestamptz not null,
    primary key (case_id, field, sha256)
);
-- The download checks a file belongs to the case asked for: by case and hash.
create index uploads_by_hash on uploads (case_id, sha256);
