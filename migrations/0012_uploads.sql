-- Scans of documents uploaded on the clerks' pages (engine/uploads.rs, engine/store/uploads.rs):
-- which file (by the SHA-256 of its content, the name of the file under <data-dir>/uploads/)
-- was received for which data field of which case, by whom and when. The same file for the
-- same field of the same case is one row, however often it is sent again.
create table uploads (
    case_id       integer not null references cases (id),
    field         text not null,            -- the data name, e.g. documents.identity
    sha256        text not null check (length(sha256) = 64),
    name          text not null,            -- the file's name on the clerk's computer
    content_type  text not null check (content_type in ('application/pdf', 'image/jpeg', 'image/png')),
    size          integer not null check (size > 0),
    uploaded_by   text not null,            -- the clerk's login
    created_at    text not null,
    updated_at    text not null,
    primary key (case_id, field, sha256)
);
-- The download checks a file belongs to the case asked for: by case and hash.
create index uploads_by_hash on uploads (case_id, sha256);
