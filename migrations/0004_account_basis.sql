-- The basis of an account's last change: the registration number of the access request
-- (a case of the `access-request` service) that created, changed, blocked or reactivated it
-- (seeds/003 appendix 1, the "Basis" column of the journal of registration of users; items
-- 19, 27, 29). Null for accounts an administrator made by hand and for the first
-- administrator. A repeated job of the same request finds its own number here and does
-- nothing twice.
alter table accounts add column basis text;
