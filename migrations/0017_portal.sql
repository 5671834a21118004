-- The eGov portal channel (issue #17; seeds/001: Semipalatinsk item 3, social assistance
-- item 6, home education item 6, ENPF item 2): engine/api/portal.rs, engine/store/portal.rs.

-- The evidence of a case filed through the portal: the bytes the citizen signed, exactly as
-- signed, and the detached CMS signature, with who signed as the verified certificate says.
-- Written in the transaction that opens the case, so there is never a case filed through the
-- portal without its evidence, nor evidence without its case; a refused filing writes nothing.
create table portal_filings (
    case_id             integer primary key references cases (id),
    document            text not null,   -- the signed bytes: UTF-8 JSON, byte for byte
    document_sha256     text not null check (length(document_sha256) = 64),
    signature           text not null,   -- the detached CMS SignedData, DER, in base64
    signer_name         text not null,   -- the certificate's subject CN (and G=)
    certificate_serial  text not null,   -- lowercase hex
    certificate_issuer  text not null,   -- RFC 4514
    signed_at           text,            -- the CMS signingTime, the signer's own claim
    filed_by            text not null,   -- the portal's system account
    created_at          text not null,
    updated_at          text not null
);
