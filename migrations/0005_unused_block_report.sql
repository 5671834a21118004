-- Which report told the administrators of an account blocked for more than 30 calendar days
-- unused (seeds/003 item 28; seeds/000 appendix 6 item 28): the registration number of the
-- nightly case of `block-unused-accounts` whose `qyzmet.unused_accounts` request listed it.
-- Null while no report has. Every new block sets it back to null, so each block is told once,
-- whoever made it (that request, the engine's hourly sweep, a sign-in after 30 days); a job of
-- the same case run twice finds its own number here and lists the same accounts again.
-- Blocks made before this column existed were never told: the first report lists them, each
-- with the day it was blocked.
alter table accounts add column block_reported_in text;
create index accounts_by_block_report on accounts (block_reported_in);
