//! The audit journal over a real SQLite store: append-only in the database, a hash chain
//! that names the first record someone edited, and `qyzmet audit verify` saying so from the
//! command line, beside a running server. (seeds/003 item 26; engine/audit/mod.rs.)

use std::path::Path;
use std::process::Command;

use chrono::{DateTime, Duration, TimeZone, Utc};
use qyzmet::audit::{self, Action, Broken, Entry, Reason, Record, chain};
use qyzmet::store::{self, Store};
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::{ConnectOptions, Connection, SqliteConnection, sqlite::SqliteConnectOptions};

/// 13 April 2026, 09:00 in Almaty (UTC+5).
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 4, 13, 4, 0, 0).unwrap()
}

/// A day's work, one record a minute from `t0`.
fn entries() -> Vec<Entry> {
    vec![
        Entry::new("a.saparova", Action::SignIn)
            .source(Some("10.0.0.7"))
            .object("a.saparova"),
        Entry::new("a.saparova", Action::CaseOpened)
            .source(Some("10.0.0.7"))
            .object("QZ-2026-000001"),
        Entry::new("a.saparova", Action::TaskClaimed)
            .source(Some("10.0.0.7"))
            .object("QZ-2026-000001:accept")
            .details(json!({ "step": "accept", "role": "front_office_operator" })),
        Entry::new(audit::CITIZEN, Action::MessageDelivered)
            .source(Some("egov"))
            .object("QZ-2026-000001")
            .details(json!({ "message": "objection", "nested": { "b": 2, "a": [1, "x"] } })),
        Entry::new(audit::SYSTEM, Action::AccountBlocked)
            .object("b.nurlanov")
            .details(json!({ "reason": "unused_30_days" })),
    ]
}

struct Journal {
    store: Store,
    dir: tempfile::TempDir,
}

impl Journal {
    fn database(&self) -> std::path::PathBuf {
        self.dir.path().join("qyzmet.db")
    }
}

/// A store with the day's records appended.
async fn journal() -> (Journal, Vec<Record>) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("qyzmet.db")).await.unwrap();
    let mut conn = store.writer().await.unwrap();
    let mut records = Vec::new();
    for (n, entry) in entries().iter().enumerate() {
        conn.begin().await.unwrap();
        let at = t0() + Duration::minutes(n as i64);
        records.push(store::audit::append(&mut conn, entry, at).await.unwrap());
        conn.commit().await.unwrap();
    }
    (Journal { store, dir }, records)
}

async fn stored(store: &Store) -> Vec<Record> {
    store::audit::page(&mut store.read().await.unwrap(), 0, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .collect()
}

/// A connection that edits the file as someone with the file would: the triggers dropped.
async fn tamper(database: &Path) -> SqliteConnection {
    let mut conn = SqliteConnectOptions::new()
        .filename(database)
        .connect()
        .await
        .unwrap();
    sqlx::raw_sql("drop trigger audit_no_update; drop trigger audit_no_delete;")
        .execute(&mut conn)
        .await
        .unwrap();
    conn
}

async fn verify_stored(store: &Store) -> Result<audit::Verified, Broken> {
    let mut verifier = audit::Verifier::new();
    for row in store::audit::page(&mut store.read().await.unwrap(), 0, 1000)
        .await
        .unwrap()
    {
        match row {
            Ok(record) => verifier.push(&record)?,
            Err(unreadable) => return Err(verifier.unreadable(&unreadable)),
        }
    }
    Ok(verifier.finish())
}

fn qyzmet(args: &[&str], data_dir: &Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_qyzmet"))
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("QYZMET_DATA_DIR")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn every_action_is_stored_by_its_snake_case_name() {
    for action in Action::ALL {
        let name = action.as_str();
        assert_eq!(serde_json::to_value(action).unwrap(), name);
        assert_eq!(name.parse::<Action>().unwrap(), action);
        assert!(name.chars().all(|c| c.is_ascii_lowercase() || c == '_'));
    }
    assert!("sign-in".parse::<Action>().is_err());
}

#[tokio::test]
async fn appended_records_form_a_chain_that_verifies() {
    let (j, appended) = journal().await;
    let records = stored(&j.store).await;
    assert_eq!(records, appended, "what was appended is what is read");
    assert_eq!(
        records.iter().map(|r| r.seq).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );
    assert_eq!(records[0].prev_hash, "0".repeat(64));
    for pair in records.windows(2) {
        assert_eq!(pair[1].prev_hash, pair[0].hash);
    }
    let verified = audit::verify(records.clone()).unwrap();
    assert_eq!(verified.count, 5);
    assert_eq!(verified.last_hash, records[4].hash);
    assert_eq!(
        audit::verify(Vec::new()).unwrap(),
        audit::Verified {
            count: 0,
            last_hash: chain::GENESIS.into()
        }
    );
}

#[tokio::test]
async fn the_hash_is_the_sha256_of_the_documented_canonical_form() {
    // engine/audit/chain.rs: an auditor can re-compute it with any JSON library.
    let (j, _) = journal().await;
    let r = &stored(&j.store).await[3];
    let canonical = format!(
        r#"["qyzmet-audit/1",4,"2026-04-13T04:03:00.000000Z","citizen","egov","message_delivered","QZ-2026-000001","{{\"message\":\"objection\",\"nested\":{{\"a\":[1,\"x\"],\"b\":2}}}}","{}"]"#,
        r.prev_hash
    );
    assert_eq!(r.hash, hex::encode(Sha256::digest(canonical.as_bytes())));
}

#[tokio::test]
async fn the_database_refuses_to_change_or_remove_a_record() {
    let (j, _) = journal().await;
    for sql in [
        "update audit set actor = 'someone' where seq = 2",
        "delete from audit where seq = 5",
        "delete from audit",
    ] {
        let e = sqlx::query(sql)
            .execute(j.store.sqlite_pool().unwrap())
            .await
            .unwrap_err();
        assert!(
            e.to_string().contains("the audit journal is append-only"),
            "{sql}: {e}"
        );
    }
    assert_eq!(stored(&j.store).await.len(), 5);
}

#[tokio::test]
async fn an_edited_record_breaks_the_chain_at_that_record() {
    let (j, _) = journal().await;
    let mut raw = tamper(&j.database()).await;
    sqlx::query("update audit set object = 'QZ-2026-000002' where seq = 3")
        .execute(&mut raw)
        .await
        .unwrap();
    let broken = verify_stored(&j.store).await.unwrap_err();
    assert_eq!(
        broken,
        Broken {
            seq: 3,
            at: "2026-04-13T04:02:00.000000Z".into(),
            action: "task_claimed".into(),
            reason: Reason::HashMismatch
        }
    );
    assert_eq!(
        broken.to_string(),
        "audit journal broken at record 3 (2026-04-13T04:02:00.000000Z, task_claimed): hash does not match its content"
    );
}

#[tokio::test]
async fn a_record_edited_and_rehashed_is_caught_by_the_next() {
    let (j, records) = journal().await;
    let mut edited = records[1].clone();
    edited.actor = "b.nurlanov".into();
    edited.hash = chain::content_hash(&edited);
    let mut raw = tamper(&j.database()).await;
    sqlx::query("update audit set actor = ?, hash = ? where seq = 2")
        .bind(&edited.actor)
        .bind(&edited.hash)
        .execute(&mut raw)
        .await
        .unwrap();
    let broken = verify_stored(&j.store).await.unwrap_err();
    assert_eq!(
        (broken.seq, &broken.reason),
        (3, &Reason::PrevHashMismatch { previous: 2 })
    );
    assert!(
        broken
            .to_string()
            .ends_with("prev_hash does not match record 2")
    );
}

#[tokio::test]
async fn a_deleted_record_leaves_a_gap() {
    let (j, _) = journal().await;
    let mut raw = tamper(&j.database()).await;
    sqlx::query("delete from audit where seq = 2")
        .execute(&mut raw)
        .await
        .unwrap();
    let broken = verify_stored(&j.store).await.unwrap_err();
    assert_eq!(
        (broken.seq, broken.reason.to_string()),
        (3, "sequence gap after 1".to_string())
    );

    // The first record gone: the journal does not start at 1.
    sqlx::query("delete from audit where seq = 1")
        .execute(&mut raw)
        .await
        .unwrap();
    let broken = verify_stored(&j.store).await.unwrap_err();
    assert_eq!(
        (broken.seq, broken.reason),
        (3, Reason::SequenceGap { after: 0 })
    );

    // The last record gone is not seen by the chain alone: that is what writing the last
    // hash down elsewhere is for.
    let (j, records) = journal().await;
    let mut raw = tamper(&j.database()).await;
    sqlx::query("delete from audit where seq = 5")
        .execute(&mut raw)
        .await
        .unwrap();
    let verified = verify_stored(&j.store).await.unwrap();
    assert_ne!(verified.last_hash, records[4].hash);
}

#[tokio::test]
async fn reordering_the_keys_of_details_changes_nothing() {
    // The hash covers the meaning of details, not its spelling (engine/audit/chain.rs).
    let (j, _) = journal().await;
    let mut raw = tamper(&j.database()).await;
    sqlx::query(
        r#"update audit set details = '{ "role": "front_office_operator", "step": "accept" }' where seq = 3"#,
    )
    .execute(&mut raw)
    .await
    .unwrap();
    assert_eq!(verify_stored(&j.store).await.unwrap().count, 5);
    // A changed value is a changed record.
    sqlx::query(
        r#"update audit set details = '{"role":"administrator","step":"accept"}' where seq = 3"#,
    )
    .execute(&mut raw)
    .await
    .unwrap();
    assert_eq!(verify_stored(&j.store).await.unwrap_err().seq, 3);
}

#[tokio::test]
async fn a_row_that_no_longer_parses_is_where_the_journal_is_broken() {
    let (j, _) = journal().await;
    let mut raw = tamper(&j.database()).await;
    sqlx::query("update audit set action = 'coffee_break' where seq = 4")
        .execute(&mut raw)
        .await
        .unwrap();
    let broken = verify_stored(&j.store).await.unwrap_err();
    assert_eq!(
        broken.to_string(),
        "audit journal broken at record 4 (2026-04-13T04:03:00.000000Z, coffee_break): unreadable: `coffee_break` is not an audit action"
    );
    sqlx::query(
        "update audit set action = 'message_delivered', at = '2026-04-13 09:03' where seq = 4",
    )
    .execute(&mut raw)
    .await
    .unwrap();
    assert!(matches!(
        verify_stored(&j.store).await.unwrap_err().reason,
        Reason::Unreadable(_)
    ));
}

#[tokio::test]
async fn audit_verify_reads_the_journal_while_the_server_holds_the_database() {
    let (j, records) = journal().await;
    // The store is open (its lock held, as `qyzmet serve` holds it); the command reads beside.
    let (code, stdout, stderr) = qyzmet(&["audit", "verify"], j.dir.path());
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        format!(
            "audit journal intact: 5 records, last hash {}\n",
            &records[4].hash[..16]
        )
    );
    assert_eq!(stderr, "");
    drop(j.store);
}

#[tokio::test]
async fn audit_verify_names_the_first_broken_record_and_exits_1() {
    let (j, _) = journal().await;
    {
        let mut raw = tamper(&j.database()).await;
        sqlx::query("update audit set details = '{}' where seq = 3")
            .execute(&mut raw)
            .await
            .unwrap();
        sqlx::query("update audit set actor = 'b.nurlanov' where seq = 4")
            .execute(&mut raw)
            .await
            .unwrap();
        raw.close().await.unwrap();
    }
    // No process holds the database now: the command reads a closed file as well.
    j.store.close().await;
    let (code, stdout, stderr) = qyzmet(&["audit", "verify"], j.dir.path());
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert_eq!(stdout, "");
    assert_eq!(
        stderr,
        "audit journal broken at record 3 (2026-04-13T04:02:00.000000Z, task_claimed): hash does not match its content\n"
    );
}

#[test]
fn audit_verify_without_a_database_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = qyzmet(&["audit", "verify"], dir.path());
    assert_eq!(code, 2);
    assert_eq!(stdout, "");
    assert_eq!(
        stderr,
        format!(
            "error: no database at {}\n",
            dir.path().join("qyzmet.db").display()
        )
    );

    // A file that is not a database.
    std::fs::write(dir.path().join("qyzmet.db"), "not a database, just text").unwrap();
    let (code, _, stderr) = qyzmet(&["audit", "verify"], dir.path());
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.starts_with("error: cannot read "), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[tokio::test]
async fn audit_list_prints_one_line_per_record() {
    let (j, _) = journal().await;
    let (code, stdout, stderr) = qyzmet(
        &["audit", "list", "--actor", "a.saparova", "--limit", "2"],
        j.dir.path(),
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        "1 2026-04-13T04:00:00.000000Z a.saparova sign_in a.saparova 10.0.0.7 {}\n\
         2 2026-04-13T04:01:00.000000Z a.saparova case_opened QZ-2026-000001 10.0.0.7 {}\n"
    );
    let (code, stdout, _) = qyzmet(
        &["audit", "list", "--since", "2026-04-13T09:03:00+05:00"],
        j.dir.path(),
    );
    assert_eq!(code, 0);
    assert_eq!(
        stdout
            .lines()
            .map(|l| l.split(' ').next().unwrap())
            .collect::<Vec<_>>(),
        ["4", "5"]
    );
}
