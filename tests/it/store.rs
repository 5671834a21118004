//! The store's conformance suite: the same assertions on SQLite and on PostgreSQL, and what
//! a shared PostgreSQL must hold when several engine processes write to it at once — each
//! job leased by one process at a time and taken over only when its lease has expired, each
//! timer fired once, case ids never shared, the audit chain without a gap or a fork.

use std::collections::{BTreeSet, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use qyzmet::audit::{Action, Entry, Verifier};
use qyzmet::clock::{Clock, ManualClock};
use qyzmet::runtime::Status;
use qyzmet::store::{self, Location, Store, tx};
use qyzmet::worker::Engine;
use serde_json::json;

use crate::backends;
use crate::backends::fixture::{almaty, engine, submission};

/// The files the outbox wrote: notifications, documents and stage reports, one per key.
fn files(dir: &std::path::Path) -> Vec<String> {
    let mut names = Vec::new();
    for kind in ["notify", "document", "stage"] {
        if let Ok(d) = std::fs::read_dir(dir.join(kind)) {
            names.extend(
                d.flatten()
                    .map(|e| format!("{kind}/{}", e.file_name().to_string_lossy()))
                    .filter(|n| !n.contains("/.")),
            );
        }
    }
    names.sort();
    names
}

#[tokio::test]
async fn a_case_runs_the_same_on_both_backends() {
    let dir = tempfile::tempdir().unwrap();
    for database in backends::both(dir.path()).await {
        let name = database.backend().name();
        let clock = Arc::new(ManualClock::new(almaty(2026, 11, 23, 10, 0)));
        let outbox = dir.path().join(format!("outbox-{name}"));
        let e = engine(&database, clock.clone(), outbox.clone()).await;
        let first = e.submit("all-kinds", submission()).await.unwrap();
        let second = e.submit("all-kinds", submission()).await.unwrap();
        assert_eq!(
            (first.as_str(), second.as_str()),
            ("QZ-2026-000001", "QZ-2026-000002"),
            "{name}"
        );
        let accept = e.store().tasks(None, None, Some(&first)).await.unwrap();
        assert_eq!(accept.len(), 1, "{name}");
        assert_eq!(
            accept[0].due_at,
            Some(almaty(2026, 11, 23, 10, 20)),
            "{name}"
        );
        e.claim(&accept[0].key, "operator1").await.unwrap();
        assert!(
            e.claim(&accept[0].key, "operator2").await.is_err(),
            "{name}"
        );
        e.complete(&accept[0].key, "complete", json!({}), "operator1")
            .await
            .unwrap();
        e.drain().await.unwrap();
        let review = e.store().tasks(None, None, Some(&first)).await.unwrap();
        assert_eq!(review[0].step, "review", "{name}");
        e.complete(&review[0].key, "approve", json!({}), "specialist1")
            .await
            .unwrap();
        e.drain().await.unwrap();
        clock.set(almaty(2026, 11, 24, 18, 0));
        e.drain().await.unwrap();
        let view = e.case(&first).await.unwrap().unwrap();
        assert_eq!(view.case.status, Status::Completed, "{name}");
        assert_eq!(view.case.result.as_deref(), Some("issued"), "{name}");
        // The history reads back in order, with its times to the microsecond.
        assert!(
            view.history.windows(2).all(|w| w[0].at <= w[1].at),
            "{name}: {:?}",
            view.history
                .iter()
                .map(|h| (&h.kind, h.at))
                .collect::<Vec<_>>()
        );
        assert_eq!(
            view.history.iter().filter(|h| h.kind == "closed").count(),
            1
        );
        let jobs = e.store().jobs_of_case(view.case.id).await.unwrap();
        assert_eq!(jobs.len(), 7, "{name}: 5 written + 2 requests answered");
        let waiting = e.store().case_by_number(&second).await.unwrap().unwrap();
        let jobs_of_second = e.store().jobs_of_case(waiting.id).await.unwrap();
        let counts = e.store().counts().await.unwrap();
        assert_eq!(
            counts["jobs"]["done"],
            jobs.len() + jobs_of_second.len(),
            "{name}: {counts}"
        );
        assert_eq!(counts["timers"], 0, "{name}: {counts}");
        assert_eq!(
            counts["cases"],
            json!({ "active": 1, "completed": 1 }),
            "{name}"
        );
        // The queue's filters and order are the store's: overdue first, none left.
        let page = e
            .store()
            .task_page(&store::TaskQuery {
                due: store::Due::Before(almaty(2026, 11, 30, 0, 0)),
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(page.1, 1, "{name}: the second case's acceptance is overdue");
        assert_eq!(page.0[0].number, second, "{name}");
        assert_eq!(
            e.store()
                .definitions(Some("all-kinds"))
                .await
                .unwrap()
                .len(),
            1,
            "{name}"
        );
        // Every effect but the two requests was performed once, named by its key.
        assert_eq!(
            files(&outbox).len(),
            jobs.len() + jobs_of_second.len() - 2,
            "{name}: {:?}",
            files(&outbox)
        );
        e.store().close().await;
    }
}

/// A journal entry of the tests.
fn entry(n: usize) -> Entry {
    Entry::new(format!("clerk{n}"), Action::CaseOpened).object(format!("QZ-2026-{n:06}"))
}

#[tokio::test]
async fn the_audit_chain_reads_back_and_verifies_on_both_backends() {
    let dir = tempfile::tempdir().unwrap();
    for database in backends::both(dir.path()).await {
        let name = database.backend().name();
        let s = Store::open(&database).await.unwrap();
        let mut w = s.writer().await.unwrap();
        let at = Utc.with_ymd_and_hms(2026, 12, 4, 10, 0, 0).unwrap()
            + Duration::nanoseconds(123_456_789);
        w.begin().await.unwrap();
        for n in 0..5 {
            store::audit::append(&mut w, &entry(n), at).await.unwrap();
        }
        w.commit().await.unwrap();
        let rows = store::audit::page(&mut s.read().await.unwrap(), 0, 100)
            .await
            .unwrap();
        let mut verifier = Verifier::new();
        for row in &rows {
            let record = row.as_ref().unwrap_or_else(|e| panic!("{name}: {e:?}"));
            verifier
                .push(record)
                .unwrap_or_else(|e| panic!("{name}: the chain breaks at {}: {e:?}", record.seq));
        }
        assert_eq!(rows.len(), 5, "{name}");
        let listed = store::audit::list(
            &mut s.read().await.unwrap(),
            &store::audit::Filter {
                actor: Some("clerk3".into()),
                since: Some(at - Duration::seconds(1)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(listed.len(), 1, "{name}");
        assert_eq!(
            listed[0].at,
            at - Duration::nanoseconds(789),
            "{name}: to the microsecond"
        );
        s.close().await;
    }
}

#[tokio::test]
async fn processes_sharing_postgres_lease_each_job_once_and_take_over_only_expired_leases() {
    let database = backends::scratch_postgres().await;
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(almaty(2026, 11, 23, 10, 0)));
    let e = engine(&database, clock.clone(), dir.path().join("outbox")).await;
    for _ in 0..30 {
        e.submit("all-kinds", submission()).await.unwrap();
    }
    let now = clock.now();
    let (a, b) = (
        Store::open(&database).await.unwrap(),
        Store::open(&database).await.unwrap(),
    );
    assert_ne!(a.process(), b.process());
    let (mut ca, mut cb) = (a.writer().await.unwrap(), b.writer().await.unwrap());
    // Process A leases half, and has not committed yet: B passes over A's, does not wait.
    ca.begin().await.unwrap();
    cb.begin().await.unwrap();
    let lease = now + Duration::minutes(5);
    let first = tx::lease_jobs(&mut ca, a.process(), now, lease, 15)
        .await
        .unwrap();
    let second = tx::lease_jobs(&mut cb, b.process(), now, lease, 100)
        .await
        .unwrap();
    ca.commit().await.unwrap();
    cb.commit().await.unwrap();
    let keys_a: HashSet<_> = first.iter().map(|j| j.key.clone()).collect();
    let keys_b: HashSet<_> = second.iter().map(|j| j.key.clone()).collect();
    assert_eq!(keys_a.len(), 15);
    assert!(keys_a.is_disjoint(&keys_b), "a job leased twice");
    let all = keys_a.len() + keys_b.len();
    assert_eq!(all, 30, "one job a case is ready: {all}");
    // Within the lease nobody takes them again; once it has expired, another process does.
    cb.begin().await.unwrap();
    let again = tx::lease_jobs(&mut cb, b.process(), now + Duration::minutes(1), lease, 100)
        .await
        .unwrap();
    cb.commit().await.unwrap();
    assert!(again.is_empty(), "leased again within the lease: {again:?}");
    let later = lease + Duration::seconds(1);
    cb.begin().await.unwrap();
    let taken = tx::lease_jobs(
        &mut cb,
        b.process(),
        later,
        later + Duration::minutes(5),
        100,
    )
    .await
    .unwrap();
    cb.commit().await.unwrap();
    assert_eq!(taken.len(), all, "every expired lease is taken over");
    assert!(
        taken.iter().all(|j| j.attempts == 2),
        "the lost attempt stays counted"
    );
    // A clean stop hands back only the process's own leases.
    cb.begin().await.unwrap();
    assert_eq!(tx::release_leases(&mut ca, a.process()).await.unwrap(), 0);
    assert_eq!(
        tx::release_leases(&mut cb, b.process()).await.unwrap(),
        all as u64
    );
    cb.commit().await.unwrap();
    // Case ids from the sequence: two processes never take the same.
    let mut ids = BTreeSet::new();
    for _ in 0..5 {
        ids.insert(tx::next_case_id(&mut ca).await.unwrap());
        ids.insert(tx::next_case_id(&mut cb).await.unwrap());
    }
    assert_eq!(ids.len(), 10);
}

#[tokio::test]
async fn processes_sharing_postgres_fire_each_timer_once() {
    let database = backends::scratch_postgres().await;
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(almaty(2026, 11, 23, 10, 0)));
    let one = engine(&database, clock.clone(), dir.path().join("one")).await;
    let two = engine(&database, clock.clone(), dir.path().join("two")).await;
    let mut numbers = Vec::new();
    for i in 0..40 {
        let e = if i % 2 == 0 { &one } else { &two };
        let number = e.submit("all-kinds", submission()).await.unwrap();
        let accept = e.store().tasks(None, None, Some(&number)).await.unwrap();
        e.complete(&accept[0].key, "complete", json!({}), "op")
            .await
            .unwrap();
        numbers.push(number);
    }
    let (x, y) = tokio::join!(one.drain(), two.drain());
    x.unwrap();
    y.unwrap();
    for number in &numbers {
        let review = one.store().tasks(None, None, Some(number)).await.unwrap();
        assert_eq!(review.len(), 1, "{number}: {review:?}");
        one.complete(&review[0].key, "approve", json!({}), "spec")
            .await
            .unwrap();
    }
    clock.set(almaty(2026, 11, 25, 9, 0));
    // Both processes fire at once, in small batches, until nothing is due.
    let fire = |e: Engine| async move {
        let mut fired = 0;
        loop {
            let n = e.fire_due_timers(7).await.unwrap();
            if n == 0 {
                return fired;
            }
            fired += n;
        }
    };
    let (x, y) = tokio::join!(fire(one.clone()), fire(two.clone()));
    assert_eq!(x + y, 40, "each timer fired once: {x} + {y}");
    let (x, y) = tokio::join!(one.drain(), two.drain());
    x.unwrap();
    y.unwrap();
    for number in &numbers {
        let view = one.case(number).await.unwrap().unwrap();
        assert_eq!(view.case.result.as_deref(), Some("issued"), "{number}");
        assert_eq!(
            view.history
                .iter()
                .filter(|h| h.kind == "timer_fired")
                .count(),
            1,
            "{number}"
        );
    }
    // Every notification and document once, whichever process performed it.
    let total = files(&dir.path().join("one")).len() + files(&dir.path().join("two")).len();
    assert_eq!(total, 40 * 5);
}

#[tokio::test]
async fn processes_sharing_postgres_append_one_audit_chain_without_gap_or_fork() {
    let database = backends::scratch_postgres().await;
    let stores: Vec<Store> = {
        let mut v = Vec::new();
        for _ in 0..3 {
            v.push(Store::open(&database).await.unwrap());
        }
        v
    };
    let mut running = tokio::task::JoinSet::new();
    for (p, s) in stores.iter().enumerate() {
        let s = s.clone();
        running.spawn(async move {
            let mut w = s.writer().await.unwrap();
            for n in 0..40 {
                w.begin().await.unwrap();
                store::audit::append(&mut w, &entry(p * 100 + n), Utc::now())
                    .await
                    .unwrap();
                w.commit().await.unwrap();
            }
        });
    }
    while let Some(done) = running.join_next().await {
        done.unwrap();
    }
    let rows = store::audit::page(&mut stores[0].read().await.unwrap(), 0, 1000)
        .await
        .unwrap();
    assert_eq!(rows.len(), 120);
    let mut verifier = Verifier::new();
    for (i, row) in rows.iter().enumerate() {
        let record = row.as_ref().unwrap();
        assert_eq!(record.seq, i as i64 + 1, "no gap");
        verifier.push(record).unwrap();
    }
}

#[test]
fn no_module_outside_the_store_names_the_database_driver() {
    let mut offenders = Vec::new();
    let mut stack = vec![PathBuf::from("engine")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                if path != std::path::Path::new("engine/store") {
                    stack.push(path);
                }
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for (i, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                if code.contains("sqlx") {
                    offenders.push(format!("{}:{}: {}", path.display(), i + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "only engine/store/ speaks to the database; these name sqlx:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn a_database_location_reads_as_a_url_or_a_file_and_prints_without_its_password() {
    assert_eq!(
        Location::parse("postgres://qz:secret@db.local:5432/qyzmet").describe(),
        "postgres://qz:***@db.local:5432/qyzmet"
    );
    assert_eq!(
        Location::parse("postgres://qz@db.local/qyzmet?sslmode=require&password=secret").describe(),
        "postgres://qz@db.local/qyzmet?sslmode=require&password=***"
    );
    assert_eq!(
        Location::parse("postgres://postgres@127.0.0.1:5432/qz").describe(),
        "postgres://postgres@127.0.0.1:5432/qz"
    );
    assert_eq!(
        Location::parse("postgresql://postgres@127.0.0.1/qz"),
        Location::Postgres("postgresql://postgres@127.0.0.1/qz".into())
    );
    assert_eq!(
        Location::parse("sqlite:data/qyzmet.db"),
        Location::Sqlite(PathBuf::from("data/qyzmet.db"))
    );
    assert_eq!(
        Location::parse("/var/lib/qyzmet/qyzmet.db"),
        Location::Sqlite(PathBuf::from("/var/lib/qyzmet/qyzmet.db"))
    );
}

#[tokio::test]
async fn processes_starting_together_on_a_new_postgres_make_one_first_administrator() {
    let database = backends::scratch_postgres().await;
    let mut running = tokio::task::JoinSet::new();
    for _ in 0..3 {
        let database = database.clone();
        running.spawn(async move {
            let s = Store::open(&database).await.unwrap();
            let mut w = s.writer().await.unwrap();
            w.begin().await.unwrap();
            let made = qyzmet::accounts::first_administrator(&mut w, None, Utc::now())
                .await
                .unwrap();
            w.commit().await.unwrap();
            made.is_some()
        });
    }
    let mut made = 0;
    while let Some(done) = running.join_next().await {
        made += usize::from(done.unwrap());
    }
    assert_eq!(made, 1, "one administrator, one temporary password printed");
    let s = Store::open(&database).await.unwrap();
    let accounts = store::accounts::list_accounts(&mut s.read().await.unwrap())
        .await
        .unwrap();
    assert_eq!(accounts.len(), 1);
}
