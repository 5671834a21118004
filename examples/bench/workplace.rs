//! The clerk's workplace at scale: the search and the queue page's queries with a million
//! cases and two hundred thousand open tasks in the store.
//!
//! ```sh
//! cargo build --release --example workplace
//! target/release/examples/workplace                          # SQLite in a temporary folder
//! target/release/examples/workplace --database postgres://postgres@127.0.0.1/qz_workplace
//! target/release/examples/workplace --cases 100000 --open-tasks 20000 --runs 200
//! ```
//!
//! **The fill.** The store is opened as the engine opens it (every migration applied), then
//! filled beside it on a connection of its own, in the store's schema: `cases` (each with a
//! case state the engine can read, about a kilobyte), `tasks`, and the search index
//! (`case_index`, `case_people`) as `store::search::index` writes it — names folded with
//! `store::search::fold`. Multi-row inserts in large transactions; on SQLite with
//! `synchronous = off` for the fill only. Twenty regions, two services, a year of cases; the
//! newest `--open-tasks` cases wait at one open task each (a fifth claimed, a tenth overdue),
//! the older ones completed. One applicant in ten came with a representative. Surnames come
//! from a hundred roots with their Kazakh and Russian endings, so a common surname is shared
//! by some thousands of people, as Ahmetov is. A PostgreSQL database is filled as given: give
//! an empty one; it is `vacuum analyze`d after the fill, as autovacuum would soon (without
//! the visibility map an index-only scan reads the table too, and the country-wide prefix
//! search takes twice as long). SQLite is not: the engine never runs `analyze`, and the
//! figures are what an installation gets.
//!
//! **What is timed**, each `--runs` times with a different case each run, through the
//! store's own functions (`Store::search_cases`, `Store::task_page`,
//! `Store::cases_by_numbers`) — what `GET /cases?q=` and the queue page ask the database,
//! without the HTTP layer and without the search's audit record (one append by the writer):
//!
//! - a search by IIN in the case's region, and in every region (`kz`);
//! - by a whole surname in the region; by its first three letters in the region and in every
//!   region (the largest answer: every Ахм… of the country, counted for the total);
//! - by a whole registration number;
//! - the queue page of a front-office operator of a region (the first 50 by due time, the
//!   total, and the 50 cases' states for the applicants' names), the same on page 5 sorted by
//!   arrival, and a head of department's overdue tasks in every region.
//!
//! It prints p50, p99 and the longest of each, in milliseconds, on standard error, and one
//! line of JSON on standard output.

use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, TimeZone, Utc};
use clap::Parser;
use qyzmet::store::search::{CaseSearch, Query, fold};
use qyzmet::store::{Due, Location, Store, TaskQuery, TaskSort, TaskStatus};
use serde_json::{Value, json};
use sqlx::{Connection, PgConnection, SqliteConnection};

/// Fills a store with cases and open tasks, and times the search and the queue.
#[derive(Debug, Parser)]
struct Args {
    /// The database: a `postgres://` URL (an empty database) or an SQLite file (default:
    /// `qyzmet.db` in a temporary folder).
    #[arg(long)]
    database: Option<String>,
    /// Cases in the store.
    #[arg(long, default_value_t = 1_000_000)]
    cases: i64,
    /// Of them, this many (the newest) wait at an open task.
    #[arg(long, default_value_t = 200_000)]
    open_tasks: i64,
    /// Each query is timed this many times.
    #[arg(long, default_value_t = 100)]
    runs: usize,
    /// The database is filled already (by an earlier run with the same counts): time only.
    #[arg(long)]
    filled: bool,
}

/// The regions (the republic's cities and regions by their codes).
const REGIONS: [&str; 20] = [
    "almaty",
    "astana",
    "shymkent",
    "abai",
    "akmola",
    "aktobe",
    "almaty_region",
    "atyrau",
    "east_kazakhstan",
    "zhambyl",
    "zhetisu",
    "west_kazakhstan",
    "karaganda",
    "kostanay",
    "kyzylorda",
    "mangystau",
    "pavlodar",
    "north_kazakhstan",
    "turkistan",
    "ulytau",
];

/// The services (their ids).
const SERVICES: [&str; 2] = [
    "rehabilitated-person-certificate",
    "repression-victims-compensation",
];

/// Roots of surnames; each takes a man's and a woman's ending.
const ROOTS: [&str; 100] = [
    "Ахмет",
    "Абен",
    "Жақсылық",
    "Нұрлан",
    "Серік",
    "Оспан",
    "Тәжіба",
    "Ермек",
    "Төлеген",
    "Сейіт",
    "Әбіл",
    "Бекмұхамед",
    "Қасым",
    "Мұхамед",
    "Нұрпейіс",
    "Омар",
    "Сапар",
    "Тұрсын",
    "Үсен",
    "Шәріп",
    "Ысқақ",
    "Байжан",
    "Дәулет",
    "Ерғали",
    "Жұмаба",
    "Исма",
    "Кәрім",
    "Ләтіп",
    "Мақсұт",
    "Насыр",
    "Рахым",
    "Сұлтан",
    "Тоқта",
    "Уәли",
    "Хасен",
    "Шайхы",
    "Әлім",
    "Бақыт",
    "Ғаббас",
    "Дүйсен",
    "Есен",
    "Жанұзақ",
    "Зейнолла",
    "Ибрай",
    "Көшер",
    "Мамыт",
    "Нұрғали",
    "Орынба",
    "Пірәлі",
    "Рысқұл",
    "Сәрсен",
    "Тілеу",
    "Өтеген",
    "Қайрат",
    "Һаким",
    "Іргебай",
    "Иван",
    "Петр",
    "Сидор",
    "Кузнец",
    "Смирн",
    "Попов",
    "Соколов",
    "Лебед",
    "Козл",
    "Новик",
    "Морозов",
    "Волков",
    "Алексеев",
    "Павл",
    "Семён",
    "Голуб",
    "Виноград",
    "Богдан",
    "Ворон",
    "Федор",
    "Михайл",
    "Беляев",
    "Тарас",
    "Белов",
    "Комар",
    "Орлов",
    "Киселёв",
    "Макар",
    "Андре",
    "Ковал",
    "Ильин",
    "Гусев",
    "Титов",
    "Кузьмин",
    "Кудрявц",
    "Баран",
    "Кулик",
    "Алексин",
    "Степан",
    "Яковл",
    "Сорокин",
    "Сергеев",
    "Роман",
    "Захар",
];

/// First names, a man's then a woman's.
const FIRST: [(&str, &str); 10] = [
    ("Айдос", "Айгерім"),
    ("Бауыржан", "Әлия"),
    ("Дәурен", "Гүлнар"),
    ("Ерлан", "Динара"),
    ("Нұрсұлтан", "Жанар"),
    ("Серік", "Меруерт"),
    ("Тимур", "Сәуле"),
    ("Иван", "Ольга"),
    ("Сергей", "Наталья"),
    ("Әлихан", "Айгүл"),
];

/// A small fast generator: the same data on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A valid IIN: a birth date, the century and sex digit, a serial, the control digit.
fn iin(rng: &mut Rng, woman: bool) -> String {
    loop {
        let year = 1940 + rng.below(66);
        let (month, day) = (1 + rng.below(12), 1 + rng.below(28));
        let century = match (year >= 2000, woman) {
            (false, false) => 3,
            (false, true) => 4,
            (true, false) => 5,
            (true, true) => 6,
        };
        let eleven = format!(
            "{:02}{month:02}{day:02}{century}{:04}",
            year % 100,
            rng.below(10_000)
        );
        let digits: Vec<u64> = eleven.bytes().map(|b| u64::from(b - b'0')).collect();
        let weigh = |w: [u64; 11]| digits.iter().zip(w).map(|(d, w)| d * w).sum::<u64>() % 11;
        let mut control = weigh([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
        if control == 10 {
            control = weigh([3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]);
        }
        if control < 10 {
            return format!("{eleven}{control}");
        }
    }
}

/// A person: IIN, surname, full name.
struct Person {
    iin: String,
    surname: String,
    full_name: String,
}

fn person(rng: &mut Rng) -> Person {
    let woman = rng.below(2) == 1;
    let root = ROOTS[rng.below(ROOTS.len() as u64) as usize];
    // A root that is a whole Russian surname takes `а` for a woman; the others `ов`, `ова`.
    let whole = ["ов", "ев", "ёв", "ин"].iter().any(|e| root.ends_with(e));
    let surname = match (whole, woman) {
        (true, false) => root.to_string(),
        (true, true) => format!("{root}а"),
        (false, false) => format!("{root}ов"),
        (false, true) => format!("{root}ова"),
    };
    let (man, wife) = FIRST[rng.below(FIRST.len() as u64) as usize];
    let first = if woman { wife } else { man };
    Person {
        iin: iin(rng, woman),
        full_name: format!("{surname} {first}"),
        surname,
    }
}

/// One case's rows.
struct Row {
    id: i64,
    number: String,
    service: &'static str,
    region: &'static str,
    active: bool,
    result: Option<&'static str>,
    opened_at: DateTime<Utc>,
    state: Value,
    people: Vec<(&'static str, Person)>,
    task: Option<Task>,
}

struct Task {
    key: String,
    step: &'static str,
    role: &'static str,
    assignee: Option<String>,
    due_at: DateTime<Utc>,
}

/// What the timed queries ask about: cases picked as the data were made.
#[derive(Default)]
struct Probes {
    /// (IIN, region, surname, number).
    cases: Vec<(String, &'static str, String, String)>,
}

/// "Now" for the run: the newest case was opened just before.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 4, 6, 0, 0).unwrap()
}

fn row(id: i64, args: &Args, rng: &mut Rng) -> Row {
    let year = Duration::from_secs(365 * 24 * 3600);
    let opened_at = now()
        - chrono::Duration::from_std(year.mul_f64(1.0 - id as f64 / args.cases as f64)).unwrap()
        - chrono::Duration::minutes(5);
    let region = REGIONS[rng.below(REGIONS.len() as u64) as usize];
    let service = SERVICES[(id % 2) as usize];
    let active = id > args.cases - args.open_tasks;
    let result = (!active).then(|| {
        if rng.below(5) == 0 {
            "refused"
        } else {
            "issued"
        }
    });
    let applicant = person(rng);
    let mut people = vec![("applicant", applicant)];
    if rng.below(10) == 0 {
        people.push(("representative", person(rng)));
    }
    let number = format!("QZ-2026-{id:06}");
    let task = active.then(|| {
        let (step, role) = match rng.below(3) {
            0 => ("accept_documents", "front_office_operator"),
            1 => ("review", "provider_specialist"),
            _ => ("sign", "head_of_department"),
        };
        // A tenth overdue, the rest due within the next five days.
        let due_at = if rng.below(10) == 0 {
            now() - chrono::Duration::minutes(rng.below(7 * 24 * 60) as i64 + 1)
        } else {
            now() + chrono::Duration::minutes(rng.below(5 * 24 * 60) as i64 + 1)
        };
        Task {
            key: format!("task:{id}:1:0"),
            step,
            role,
            assignee: (rng.below(5) == 0).then(|| format!("clerk{}", rng.below(400))),
            due_at,
        }
    });
    let a = &people[0].1;
    let mut data = json!({
        "applicant": {
            "iin": a.iin,
            "last_name": a.surname,
            "full_name": a.full_name,
            "birth_date": "1961-03-15",
            "address": "г. Алматы, ул. Абая, 150, кв. 12",
            "phone": "+77017654321",
        },
        "application": { "kind": "certificate", "by_representative": people.len() > 1 },
        "consent": { "personal_data": true },
        "documents": { "identity": "identity-card.pdf", "rehabilitation": "rehabilitation-certificate.pdf" },
        "rehabilitation": {
            "document_type": "rehabilitation_certificate",
            "document_number": "17-3/412",
            "document_date": "1991-06-14",
            "issued_by": "Алматы облысының прокуратурасы",
        },
    });
    if let Some((_, r)) = people.get(1) {
        data["representative"] = json!({ "iin": r.iin, "full_name": r.full_name });
    }
    let state = json!({
        "id": id,
        "number": number,
        "service": service,
        "version": if service == SERVICES[0] { "2026-04-13" } else { "2026-07-12" },
        "status": if active { "active" } else { "completed" },
        "result": result,
        "language": if id % 3 == 0 { "ru" } else { "kk" },
        "sms_consent": true,
        "channel": "state_corporation",
        "region": region,
        "data": { "": data },
        "tokens": [],
        "next_token": 1,
        "joins": {},
        "tasks": {},
        "inbox": [],
        "term": null,
        "seq": 6,
        "opened_at": opened_at,
        "closed_at": if active { Value::Null } else { json!(opened_at + chrono::Duration::days(5)) },
    });
    Row {
        id,
        number,
        service,
        region,
        active,
        result,
        opened_at,
        state,
        people,
        task,
    }
}

/// Inserts a batch of rows on one backend's connection: `$ts` turns a time into what the
/// backend binds, `$json` a state.
macro_rules! insert_batch {
    ($c:expr, $Db:ty, $ts:expr, $json:expr, $rows:expr) => {{
        let ts = $ts;
        let json = $json;
        let rows: &[Row] = $rows;
        let mut q = sqlx::QueryBuilder::<$Db>::new(
            "insert into cases (id, number, service, version, status, result, region, state, seq, created_at, updated_at) ",
        );
        q.push_values(rows, |mut b, r| {
            b.push_bind(r.id)
                .push_bind(r.number.clone())
                .push_bind(r.service)
                .push_bind(r.state["version"].as_str().unwrap().to_string())
                .push_bind(if r.active { "active" } else { "completed" })
                .push_bind(r.result)
                .push_bind(r.region)
                .push_bind(json(&r.state))
                .push_bind(6i64)
                .push_bind(ts(r.opened_at))
                .push_bind(ts(r.opened_at));
        });
        q.build().execute(&mut *$c).await?;
        let mut q = sqlx::QueryBuilder::<$Db>::new(
            "insert into case_index (case_id, number, service, region, status, result, opened_at, \
             applicant_name, applicant_iin, people, created_at, updated_at) ",
        );
        q.push_values(rows, |mut b, r| {
            let a = &r.people[0].1;
            b.push_bind(r.id)
                .push_bind(r.number.clone())
                .push_bind(r.service)
                .push_bind(r.region)
                .push_bind(if r.active { "active" } else { "completed" })
                .push_bind(r.result)
                .push_bind(ts(r.opened_at))
                .push_bind(a.full_name.clone())
                .push_bind(a.iin.clone())
                .push_bind(format!("bench:{}", r.id))
                .push_bind(ts(r.opened_at))
                .push_bind(ts(r.opened_at));
        });
        q.build().execute(&mut *$c).await?;
        let people: Vec<(&Row, &str, &Person)> = rows
            .iter()
            .flat_map(|r| r.people.iter().map(move |(role, p)| (r, *role, p)))
            .collect();
        let mut q = sqlx::QueryBuilder::<$Db>::new(
            "insert into case_people (case_id, role, iin, surname, name, service, region, opened_at, created_at, updated_at) ",
        );
        q.push_values(people, |mut b, (r, role, p)| {
            b.push_bind(r.id)
                .push_bind(role)
                .push_bind(p.iin.clone())
                .push_bind(fold(&p.surname))
                .push_bind(fold(&p.full_name))
                .push_bind(r.service)
                .push_bind(r.region)
                .push_bind(ts(r.opened_at))
                .push_bind(ts(r.opened_at))
                .push_bind(ts(r.opened_at));
        });
        q.build().execute(&mut *$c).await?;
        let tasks: Vec<(&Row, &Task)> = rows
            .iter()
            .filter_map(|r| r.task.as_ref().map(|t| (r, t)))
            .collect();
        if !tasks.is_empty() {
            let mut q = sqlx::QueryBuilder::<$Db>::new(
                "insert into tasks (key, case_id, number, step, role, region, status, assignee, due_at, evidence, created_at, updated_at) ",
            );
            q.push_values(tasks, |mut b, (r, t)| {
                b.push_bind(t.key.clone())
                    .push_bind(r.id)
                    .push_bind(r.number.clone())
                    .push_bind(t.step)
                    .push_bind(t.role)
                    .push_bind(r.region)
                    .push_bind(if t.assignee.is_some() { "claimed" } else { "open" })
                    .push_bind(t.assignee.clone())
                    .push_bind(ts(t.due_at))
                    // No evidence: a null of the backend's JSON type.
                    .push_bind(None::<&Value>.map(json))
                    .push_bind(ts(r.opened_at))
                    .push_bind(ts(r.opened_at));
            });
            q.build().execute(&mut *$c).await?;
        }
    }};
}

/// The fill's own connection.
enum Fill {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

/// Cases per insert statement: 12 values each, under SQLite's 32,766 bound values.
const BATCH: i64 = 1000;

/// Batches per transaction.
const PER_COMMIT: i64 = 50;

async fn fill(location: &Location, args: &Args) -> anyhow::Result<Probes> {
    let mut conn = match location {
        Location::Sqlite(path) => {
            use sqlx::ConnectOptions;
            let options = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(path)
                .busy_timeout(Duration::from_secs(60))
                .synchronous(sqlx::sqlite::SqliteSynchronous::Off)
                .pragma("cache_size", "-1000000");
            Fill::Sqlite(options.connect().await?)
        }
        Location::Postgres(url) => Fill::Postgres(PgConnection::connect(url).await?),
    };
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut probes = Probes::default();
    let every = (args.cases / (args.runs as i64 * 2)).max(1);
    let started = Instant::now();
    let mut id = 1;
    while id <= args.cases {
        match &mut conn {
            Fill::Sqlite(c) => {
                sqlx::query("begin").execute(&mut *c).await?;
            }
            Fill::Postgres(c) => {
                sqlx::query("begin").execute(&mut *c).await?;
            }
        }
        for _ in 0..PER_COMMIT {
            if id > args.cases {
                break;
            }
            let last = (id + BATCH - 1).min(args.cases);
            let rows: Vec<Row> = (id..=last).map(|i| row(i, args, &mut rng)).collect();
            for r in rows.iter().filter(|r| r.id % every == 0) {
                let a = &r.people[0].1;
                probes
                    .cases
                    .push((a.iin.clone(), r.region, a.surname.clone(), r.number.clone()));
            }
            match &mut conn {
                Fill::Sqlite(c) => insert_batch!(
                    c,
                    sqlx::Sqlite,
                    qyzmet::store::ts,
                    |v: &Value| v.to_string(),
                    &rows
                ),
                Fill::Postgres(c) => insert_batch!(
                    c,
                    sqlx::Postgres,
                    |t: DateTime<Utc>| t,
                    |v: &Value| sqlx::types::Json(v.clone()),
                    &rows
                ),
            }
            id = last + 1;
        }
        match &mut conn {
            Fill::Sqlite(c) => {
                sqlx::query("commit").execute(&mut *c).await?;
            }
            Fill::Postgres(c) => {
                sqlx::query("commit").execute(&mut *c).await?;
            }
        }
        eprintln!(
            "filled {} of {} cases in {:.0} s",
            id - 1,
            args.cases,
            started.elapsed().as_secs_f64()
        );
    }
    match conn {
        Fill::Sqlite(c) => c.close().await?,
        Fill::Postgres(mut c) => {
            // What autovacuum does after a bulk insert: the statistics, and the visibility
            // map that lets the search's covering indexes answer without the table.
            sqlx::raw_sql("vacuum analyze").execute(&mut c).await?;
            c.close().await?;
        }
    }
    eprintln!("filled in {:.0} s", started.elapsed().as_secs_f64());
    Ok(probes)
}

/// The probes of a database filled by an earlier run: the same generator, no insert.
fn probes_again(args: &Args) -> Probes {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut probes = Probes::default();
    let every = (args.cases / (args.runs as i64 * 2)).max(1);
    for id in 1..=args.cases {
        let r = row(id, args, &mut rng);
        if r.id % every == 0 {
            let a = &r.people[0].1;
            probes
                .cases
                .push((a.iin.clone(), r.region, a.surname.clone(), r.number.clone()));
        }
    }
    probes
}

/// Durations of one query; p50, p99 and the longest in milliseconds, and the mean answer.
struct Timing {
    name: &'static str,
    took: Vec<Duration>,
    rows: u64,
}

impl Timing {
    fn quantile(&self, q: f64) -> f64 {
        let mut sorted = self.took.clone();
        sorted.sort();
        let i = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1;
        sorted[i].as_secs_f64() * 1e3
    }

    fn json(&self) -> Value {
        json!({
            "query": self.name,
            "p50_ms": round(self.quantile(0.5)),
            "p99_ms": round(self.quantile(0.99)),
            "max_ms": round(self.quantile(1.0)),
            "mean_total": self.rows / self.took.len().max(1) as u64,
        })
    }
}

fn round(ms: f64) -> f64 {
    (ms * 100.0).round() / 100.0
}

/// Times `run` over the probes; it answers how many rows the query found in all.
async fn time<F, Fut>(name: &'static str, runs: usize, mut run: F) -> anyhow::Result<Timing>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<u64>>,
{
    // One run unmeasured: the statement prepared, as in a running server.
    run(runs).await?;
    let mut timing = Timing {
        name,
        took: Vec::with_capacity(runs),
        rows: 0,
    };
    for i in 0..runs {
        let started = Instant::now();
        timing.rows += run(i).await?;
        timing.took.push(started.elapsed());
    }
    eprintln!(
        "{name:<44} p50 {:>8.2} ms   p99 {:>8.2} ms   max {:>8.2} ms   found {:>7} on average",
        timing.quantile(0.5),
        timing.quantile(0.99),
        timing.quantile(1.0),
        timing.rows / runs as u64
    );
    Ok(timing)
}

fn search(query: &str, region: Option<&str>) -> CaseSearch {
    CaseSearch {
        query: Query::parse(query).expect("a search"),
        region: region.map(str::to_string),
        services: None,
        limit: 50,
        offset: 0,
    }
}

async fn measure(store: &Store, probes: &Probes, runs: usize) -> anyhow::Result<Vec<Timing>> {
    let p = |i: usize| &probes.cases[i % probes.cases.len()];
    let mut out = Vec::new();
    out.push(
        time("search by IIN, the case's region", runs, |i| async move {
            let (iin, region, _, _) = p(i);
            Ok(store.search_cases(&search(iin, Some(region))).await?.1)
        })
        .await?,
    );
    out.push(
        time("search by IIN, every region", runs, |i| async move {
            let (iin, _, _, _) = p(i);
            Ok(store.search_cases(&search(iin, None)).await?.1)
        })
        .await?,
    );
    out.push(
        time(
            "search by whole surname, the region",
            runs,
            |i| async move {
                let (_, region, surname, _) = p(i);
                Ok(store.search_cases(&search(surname, Some(region))).await?.1)
            },
        )
        .await?,
    );
    out.push(
        time(
            "search by surname's 3 letters, the region",
            runs,
            |i| async move {
                let (_, region, surname, _) = p(i);
                let prefix: String = surname.chars().take(3).collect();
                Ok(store.search_cases(&search(&prefix, Some(region))).await?.1)
            },
        )
        .await?,
    );
    out.push(
        time(
            "search by surname's 3 letters, every region",
            runs,
            |i| async move {
                let (_, _, surname, _) = p(i);
                let prefix: String = surname.chars().take(3).collect();
                Ok(store.search_cases(&search(&prefix, None)).await?.1)
            },
        )
        .await?,
    );
    out.push(
        time("search by registration number", runs, |i| async move {
            let (_, _, _, number) = p(i);
            Ok(store.search_cases(&search(number, None)).await?.1)
        })
        .await?,
    );
    let queue = |region: &'static str, offset: u32, sort: TaskSort| TaskQuery {
        roles: Some(vec!["front_office_operator".into()]),
        region: Some(region.into()),
        status: None,
        due: Due::Any,
        sort,
        limit: 50,
        offset,
        ..TaskQuery::default()
    };
    out.push(
        time("queue page: an operator's first 50, by due", runs, |i| {
            let q = queue(REGIONS[i % REGIONS.len()], 0, TaskSort::Due);
            async move {
                let (tasks, total) = store.task_page(&q).await?;
                let numbers: Vec<String> = tasks.iter().map(|t| t.number.clone()).collect();
                let cases = store.cases_by_numbers(&numbers).await?;
                anyhow::ensure!(cases.len() == tasks.len(), "every row's case read");
                Ok(total)
            }
        })
        .await?,
    );
    out.push(
        time("queue page 5: an operator's, by arrival", runs, |i| {
            let mut q = queue(REGIONS[i % REGIONS.len()], 200, TaskSort::Created);
            q.descending = true;
            async move {
                let (tasks, total) = store.task_page(&q).await?;
                let numbers: Vec<String> = tasks.iter().map(|t| t.number.clone()).collect();
                store.cases_by_numbers(&numbers).await?;
                Ok(total)
            }
        })
        .await?,
    );
    out.push(
        time("queue page: overdue of every region (head)", runs, |_| {
            let q = TaskQuery {
                roles: Some(vec!["head_of_department".into()]),
                region: None,
                status: Some(TaskStatus::Open),
                due: Due::Before(now()),
                limit: 50,
                ..TaskQuery::default()
            };
            async move {
                let (tasks, total) = store.task_page(&q).await?;
                let numbers: Vec<String> = tasks.iter().map(|t| t.number.clone()).collect();
                store.cases_by_numbers(&numbers).await?;
                Ok(total)
            }
        })
        .await?,
    );
    Ok(out)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(
        args.open_tasks <= args.cases && args.runs > 0,
        "--open-tasks at most --cases, and --runs at least 1"
    );
    let temp = tempfile::tempdir()?;
    let location = match &args.database {
        Some(d) => Location::parse(d),
        None => Location::Sqlite(temp.path().join("qyzmet.db")),
    };
    let store = Store::open(&location)
        .await
        .with_context(|| format!("opening {}", location.describe()))?;
    let probes = if args.filled {
        probes_again(&args)
    } else {
        fill(&location, &args).await?
    };
    let timings = measure(&store, &probes, args.runs).await?;
    store.close().await;
    let size = match &location {
        Location::Sqlite(path) => std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
        Location::Postgres(_) => 0,
    };
    println!(
        "{}",
        json!({
            "backend": location.backend().name(),
            "cases": args.cases,
            "open_tasks": args.open_tasks,
            "runs": args.runs,
            "sqlite_bytes": size,
            "timings": timings.iter().map(Timing::json).collect::<Vec<_>>(),
        })
    );
    Ok(())
}
