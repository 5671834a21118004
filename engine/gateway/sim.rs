//! A simulator of the state systems behind the gateway, and of the monitoring receiver.
//!
//! It answers as GBD FL (a person by IIN: names, birth date, sex, residence, identity
//! document), a second-tier bank (an account check), TsBDI (disability group and term),
//! ENPF (the pension account and accruals) and the provider's register (an earlier
//! assignment, payment or refusal), over JSON, and as GBD FL over the gateway's SOAP sync
//! and async channels. It receives the results of the state services sent to the State
//! Corporation (seeds/001 item 12 part 5) and keeps them ([`Sim::results`]). It registers applications in
//! ITsS TsON, the State Corporation's "Service Centre of the Population" system, and keeps them
//! ([`Sim::registrations`]). It receives the stage feed like the monitoring system would, drops
//! repeats by idempotency key, and counts reports that arrive out of order.
//!
//! The people are fictional, with valid IINs. The systems name their fields their own way
//! (`surname`, `birthDate`, `regAddress/full`, groups as `1`/`2`/`3`, dates as `dd.mm.yyyy`
//! at TsBDI), so `config/connectors.yaml` has real mapping to do.
//!
//! **Faults**, per connector (the catalog's name, or `monitoring`), set at start or at run
//! time with `POST /faults {connector, latency_ms, error_rate, timeout, down}`:
//! `latency_ms` delays each answer; `error_rate` (0…1) answers that share with HTTP 503 (a
//! SOAP `Server` fault on the SOAP channels); `timeout` holds the request without answering
//! (the client's timeout fires); `down` answers 503 at once, as a gateway in front of a dead
//! system does. `DELETE /faults` clears them all; `GET /faults` shows them.
//!
//! What it saw is there for tests and demonstrations: `GET /requests` (connector and
//! idempotency key of every request, the SOAP `messageId`, `serviceId` and sender),
//! `GET /monitoring/stages` (the reports kept, in arrival order), `GET /shep/async/answers`
//! (asynchronous answers not yet picked up).
//!
//! **The asynchronous channel** answers as the gateway does: it acknowledges the message at
//! once and answers later, with our `messageId` as the `correlationId` (`RESPONSE` with the
//! person, `ERROR` for an IIN it does not know). With a [`Callback`] (the engine's
//! `POST /gateway/answers` and the API token of its `gateway_system` account) it posts each
//! answer there after the acknowledgement, and keeps what the engine said
//! ([`Sim::callbacks`]); without one it keeps the answers for `GET /shep/async/answers` —
//! an answer that never comes, unless someone picks it up.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{FixedOffset, SecondsFormat};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::soap;
use crate::clock::{Clock, SystemClock};
use crate::domain::Iin;

/// One fictional person, as the state systems know them.
#[derive(Debug, Clone)]
pub struct Person {
    /// The IIN.
    pub iin: &'static str,
    /// Surname.
    pub last_name: &'static str,
    /// Given name.
    pub first_name: &'static str,
    /// Patronymic, when there is one.
    pub middle_name: Option<&'static str>,
    /// YYYY-MM-DD.
    pub birth_date: &'static str,
    /// The registered permanent residence.
    pub address: &'static str,
    /// The identity card's number.
    pub document_number: &'static str,
    /// Issued on.
    pub document_issued_on: &'static str,
    /// Valid until.
    pub document_valid_until: &'static str,
    /// (IBAN, bank, CARD, CURRENT or CONTROL — the control account of cash of an institution
    /// of the criminal-executive system, seeds/001 item 9 para 3).
    pub bank: Option<(&'static str, &'static str, &'static str)>,
    /// (group 1-3, established dd.mm.yyyy, until dd.mm.yyyy or none when indefinite).
    pub disability: Option<(u8, &'static str, Option<&'static str>)>,
    /// (accruals in tenge, payments established).
    pub enpf: Option<(f64, bool)>,
    /// An earlier assignment (date, decision number), payment date, refusal date.
    pub register: Register,
}

/// What the provider's register holds about a person.
#[derive(Debug, Clone, Copy, Default)]
pub struct Register {
    /// (date, decision number) of an earlier assignment.
    pub assignment: Option<(&'static str, &'static str)>,
    /// The date of a payment.
    pub payment: Option<&'static str>,
    /// The date of a refusal.
    pub refusal: Option<&'static str>,
}

/// The seeded people. Every IIN is valid (the tests check it); one needs the second pass of
/// the control digit (850315301801). `workflows/README.md` lists them ("People the gateway
/// simulator knows"), with what each system answers; a test keeps the two the same, so add a
/// person in both places.
pub fn people() -> Vec<Person> {
    vec![
        Person {
            iin: "520315400126",
            last_name: "Абенова",
            first_name: "Айгүл",
            middle_name: Some("Серікқызы"),
            birth_date: "1952-03-15",
            address: "г. Алматы, ул. Жамбыла, 12, кв. 4",
            document_number: "041234567",
            document_issued_on: "2019-05-20",
            document_valid_until: "2029-05-19",
            bank: Some(("KZ86125KZT5004100100", "АО «Халык Банк Казахстана»", "CARD")),
            disability: None,
            enpf: Some((1_250_300.5, false)),
            register: Register::default(),
        },
        Person {
            iin: "550404400195",
            last_name: "Ермекова",
            first_name: "Алия",
            middle_name: Some("Сабитқызы"),
            birth_date: "1955-04-04",
            address: "г. Алматы, ул. Сатпаева, 90, кв. 17",
            document_number: "037654321",
            document_issued_on: "2017-02-11",
            document_valid_until: "2027-02-10",
            bank: Some(("KZ56722S000001234567", "АО «Kaspi Bank»", "CARD")),
            disability: Some((3, "14.09.2021", Some("14.09.2026"))),
            enpf: Some((980_000.0, true)),
            register: Register {
                assignment: None,
                payment: None,
                refusal: Some("2024-10-02"),
            },
        },
        Person {
            iin: "480722301507",
            last_name: "Жақсылықов",
            first_name: "Бауыржан",
            middle_name: Some("Омарұлы"),
            birth_date: "1948-07-22",
            address: "Абай облысы, г. Семей, ул. Шәкәрім, 41",
            document_number: "029988776",
            document_issued_on: "2016-08-30",
            document_valid_until: "2026-08-29",
            bank: Some((
                "KZ40601A871001726091",
                "АО «Народный сберегательный банк»",
                "CURRENT",
            )),
            disability: Some((2, "03.03.2010", None)),
            enpf: Some((2_310_750.0, true)),
            register: Register {
                assignment: Some(("2012-06-15", "148/2012")),
                payment: Some("2012-07-01"),
                refusal: None,
            },
        },
        Person {
            iin: "610105302311",
            last_name: "Нұрланов",
            first_name: "Ерлан",
            middle_name: None,
            birth_date: "1961-01-05",
            address: "г. Шымкент, мкр. Нурсат, 7, кв. 55",
            document_number: "045551212",
            document_issued_on: "2021-11-03",
            document_valid_until: "2031-11-02",
            bank: None,
            disability: None,
            enpf: None,
            register: Register::default(),
        },
        Person {
            iin: "790930400789",
            last_name: "Сергеева",
            first_name: "Ольга",
            middle_name: Some("Петровна"),
            birth_date: "1979-09-30",
            address: "г. Караганда, пр. Бухар-Жырау, 56, кв. 3",
            document_number: "039871234",
            document_issued_on: "2018-03-14",
            document_valid_until: "2028-03-13",
            bank: Some(("KZ21998CTB0000123456", "АО «Jusan Bank»", "CURRENT")),
            disability: Some((1, "21.01.2019", Some("21.01.2027"))),
            enpf: Some((431_000.25, false)),
            register: Register::default(),
        },
        Person {
            iin: "050211500445",
            last_name: "Төлеген",
            first_name: "Әлихан",
            middle_name: Some("Бекұлы"),
            birth_date: "2005-02-11",
            address: "г. Астана, ул. Кенесары, 40, кв. 112",
            document_number: "051112233",
            document_issued_on: "2021-02-15",
            document_valid_until: "2031-02-14",
            bank: None,
            disability: Some((2, "11.02.2023", Some("11.02.2028"))),
            enpf: Some((12_000.0, false)),
            register: Register::default(),
        },
        Person {
            iin: "850315301801",
            last_name: "Оспанов",
            first_name: "Дәурен",
            middle_name: Some("Маратұлы"),
            birth_date: "1985-03-15",
            address: "г. Актобе, пр. Абилкайыр хана, 3, кв. 8",
            document_number: "046667788",
            document_issued_on: "2022-04-01",
            document_valid_until: "2032-03-31",
            bank: Some(("KZ75125KZT2069100100", "АО «Халык Банк Казахстана»", "CARD")),
            disability: None,
            enpf: Some((3_905_100.0, false)),
            register: Register::default(),
        },
        // The man of the scenario `no-patronymic-bank-account-not-found`: no patronymic, no
        // account the bank finds, nothing on record.
        Person {
            iin: "381117300234",
            last_name: "Тәжібаев",
            first_name: "Болат",
            middle_name: None,
            birth_date: "1938-11-17",
            address: "Қарағанды облысы, Теміртау қ., Республика даңғылы, 14, 8-пәтер",
            document_number: "043219876",
            document_issued_on: "2020-10-05",
            document_valid_until: "2030-10-04",
            bank: None,
            disability: None,
            enpf: None,
            register: Register::default(),
        },
        // A man serving a sentence: the account check finds no account of his own but the
        // control account of cash of the institution that holds him, which the treasury
        // keeps (seeds/001 item 9 para 3: "or the control account of cash of an
        // organisation of the criminal-executive system"). The monthly payment goes there.
        Person {
            iin: "750612398291",
            last_name: "Қасымов",
            first_name: "Нұржан",
            middle_name: Some("Ерболұлы"),
            birth_date: "1975-06-12",
            address: "Павлодар облысы, Екібастұз қ., Машхүр Жүсіп көшесі, 27, 14-пәтер",
            document_number: "044102938",
            document_issued_on: "2020-06-15",
            document_valid_until: "2030-06-14",
            bank: Some((
                "KZ80070101KSN0045127",
                "РГУ «Комитет казначейства Министерства финансов Республики Казахстан»",
                "CONTROL",
            )),
            disability: Some((3, "18.04.2016", None)),
            enpf: Some((640_000.0, false)),
            register: Register::default(),
        },
        // Ольга Сергеева's son, a child with a disability taught at home: the child of the
        // home-education cost recovery (workflows/home-education-cost-recovery). At 17 he has
        // a group (TsBDI gives none under 16) and an identity card; no account of his own.
        Person {
            iin: "091015591215",
            last_name: "Сергеев",
            first_name: "Максим",
            middle_name: Some("Андреевич"),
            birth_date: "2009-10-15",
            address: "г. Караганда, пр. Бухар-Жырау, 56, кв. 3",
            document_number: "052233441",
            document_issued_on: "2025-10-20",
            document_valid_until: "2035-10-19",
            bank: None,
            disability: Some((2, "15.10.2025", Some("15.10.2027"))),
            enpf: None,
            register: Register::default(),
        },
    ]
}

/// A valid IIN (a man born 1950-01-01, test serial 9001) that no simulated system knows:
/// every connector answers it `404 no such person`, GBD FL's SOAP channels a fault.
pub const UNKNOWN_IIN: &str = "500101390019";

/// Faults of one connector.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// Delay before each answer.
    #[serde(default)]
    pub latency_ms: u64,
    /// The share of requests answered 503 (0…1).
    #[serde(default)]
    pub error_rate: f64,
    /// Hold every request without answering.
    #[serde(default)]
    pub timeout: bool,
    /// Answer 503 at once.
    #[serde(default)]
    pub down: bool,
}

/// `POST /faults`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetFault {
    /// The connector (`gbd_fl.person`, `monitoring`, …).
    pub connector: String,
    /// Delay before each answer.
    #[serde(default)]
    pub latency_ms: u64,
    /// The share of requests answered 503.
    #[serde(default)]
    pub error_rate: f64,
    /// Hold every request without answering.
    #[serde(default)]
    pub timeout: bool,
    /// Answer 503 at once.
    #[serde(default)]
    pub down: bool,
}

/// One request the simulator received.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Received {
    /// The connector it was for.
    pub connector: String,
    /// The `Idempotency-Key` header.
    pub idempotency_key: Option<String>,
    /// The envelope's `messageId`, on SOAP.
    pub message_id: Option<String>,
    /// The envelope's `serviceId`, on SOAP.
    pub service_id: Option<String>,
    /// The envelope's sender, on SOAP.
    pub sender_id: Option<String>,
    /// Whether an `Authorization` or `X-Api-Key` header came.
    pub authenticated: bool,
}

/// What the monitoring receiver holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Monitor {
    /// The reports kept, in arrival order (repeats dropped).
    pub stages: Vec<Value>,
    /// Repeats dropped by idempotency key.
    pub repeats: u64,
    /// Reports whose sequence was lower than one already kept for the case.
    pub out_of_order: u64,
}

/// A result of a state service, as the State Corporation received it
/// (`state_corporation.result`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivered {
    /// The application's registration number: a result is received once per number.
    pub registration_number: String,
    /// The citizen's IIN.
    pub iin: String,
    /// `assigned` or `refused`.
    pub result: String,
    /// The decision's number.
    pub decision_number: String,
    /// The decision's date, as sent.
    pub decision_date: String,
    /// The day it was received, `dd.mm.yyyy` (Almaty).
    pub received_on: String,
}

/// An application registered in ITsS TsON, the State Corporation's integrated digital system
/// "Service Centre of the Population" (`service_centre.register`; seeds/001, home-education
/// rules item 10 part 1 para 3, ENPF payment rules item 10).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Registration {
    /// qyzmet's registration number of the application: registered once per number.
    pub registration_number: String,
    /// The applicant's IIN.
    pub iin: String,
    /// The service's code, as sent.
    pub service: String,
    /// The number ITsS TsON gave it: `TSON-yyyymmdd-NNNNNN`, the day and the order of
    /// registration, which the receipt on acceptance prints.
    pub tson_number: String,
    /// The day it was registered, `dd.mm.yyyy` (Almaty).
    pub registered_on: String,
}

/// A result of a state service, as the citizen's account on the eGov portal received it
/// (`egov_portal.result`): the application was filed on the portal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PortalResult {
    /// The application's registration number: a result is delivered once per number.
    pub registration_number: String,
    /// The citizen's IIN: whose account it goes to.
    pub iin: String,
    /// The service's id, as sent.
    pub service: String,
    /// `issued`, `assigned`, `refused` or `not_accepted`.
    pub result: String,
    /// The decision's number.
    pub decision_number: String,
    /// The decision's date, as sent.
    pub decision_date: String,
    /// The day it was delivered, `dd.mm.yyyy` (Almaty).
    pub delivered_on: String,
}

/// Where the asynchronous channel's answers are posted: the engine's answers endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callback {
    /// `http://…/gateway/answers`.
    pub url: String,
    /// The API token of the engine's `gateway_system` account, sent as `Bearer`: the
    /// endpoint takes no answer without it.
    pub token: Option<String>,
}

/// What the simulator keeps once per registration number, in arrival order, found by the
/// number without a scan: a wave of 100,000 proactive cases sends as many, and a list searched
/// whole for each would make the simulator, not the engine, the slow part of a load run.
#[derive(Debug)]
struct ByNumber<T> {
    items: Vec<T>,
    index: HashMap<String, usize>,
}

impl<T> Default for ByNumber<T> {
    fn default() -> Self {
        ByNumber {
            items: Vec::new(),
            index: HashMap::new(),
        }
    }
}

impl<T: Clone> ByNumber<T> {
    /// What `number` was first kept with, or `make()` kept for it now.
    fn first_or_keep(&mut self, number: &str, make: impl FnOnce() -> T) -> &T {
        let at = match self.index.get(number) {
            Some(&at) => at,
            None => {
                self.items.push(make());
                self.index.insert(number.to_string(), self.items.len() - 1);
                self.items.len() - 1
            }
        };
        &self.items[at]
    }

    fn len(&self) -> usize {
        self.items.len()
    }
}

/// The monitoring receiver: the reports as [`Monitor`] shows them, and what finds a repeat and
/// a case's latest sequence without reading them all.
#[derive(Debug, Default)]
struct Monitoring {
    view: Monitor,
    keys: std::collections::HashSet<String>,
    latest: HashMap<String, u64>,
}

/// The simulator's state: shared by its handlers, changeable at run time.
#[derive(Debug, Default)]
pub struct Sim {
    people: BTreeMap<String, Person>,
    faults: Mutex<HashMap<String, Fault>>,
    received: Mutex<Vec<Received>>,
    monitor: Mutex<Monitoring>,
    answers: Mutex<Vec<String>>,
    results: Mutex<ByNumber<Delivered>>,
    registrations: Mutex<ByNumber<Registration>>,
    portal_results: Mutex<ByNumber<PortalResult>>,
    callback: Mutex<Option<Callback>>,
    /// What the callback's receiver said to each answer posted, in the order they settled:
    /// its HTTP status, or why none came.
    called_back: Mutex<Vec<Result<u16, String>>>,
    /// Woken as each posted answer settles.
    settled: tokio::sync::Notify,
}

impl Sim {
    /// A simulator with the seeded people and no faults.
    pub fn new() -> Arc<Sim> {
        Arc::new(Sim {
            people: people()
                .into_iter()
                .map(|p| (p.iin.to_string(), p))
                .collect(),
            ..Sim::default()
        })
    }

    /// Sets (replaces) a connector's faults.
    pub fn set_fault(&self, connector: &str, fault: Fault) {
        let mut faults = self.faults.lock().unwrap_or_else(|e| e.into_inner());
        if fault == Fault::default() {
            faults.remove(connector);
        } else {
            faults.insert(connector.to_string(), fault);
        }
    }

    /// Clears every fault.
    pub fn clear_faults(&self) {
        self.faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Where asynchronous answers are posted; `None` keeps them for `GET /shep/async/answers`.
    pub fn set_callback(&self, callback: Option<Callback>) {
        *self.callback.lock().unwrap_or_else(|e| e.into_inner()) = callback;
    }

    /// What the callback's receiver said to each answer posted so far: its HTTP status, or
    /// why the post failed.
    pub fn callbacks(&self) -> Vec<Result<u16, String>> {
        self.called_back
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Waits until `n` posted answers have settled, and returns what was said to each: so a
    /// test waits for the answer itself, not for a guess at how long it takes.
    pub async fn callbacks_settled(&self, n: usize) -> Vec<Result<u16, String>> {
        loop {
            // Created before the look, so a settlement in between still wakes it.
            let settled = self.settled.notified();
            let now = self.callbacks();
            if now.len() >= n {
                return now;
            }
            settled.await;
        }
    }

    async fn call_back(self: Arc<Self>, callback: Callback, answer: String) {
        let mut post = reqwest::Client::new()
            .post(&callback.url)
            .header(header::CONTENT_TYPE, "text/xml; charset=utf-8")
            .body(answer);
        if let Some(token) = &callback.token {
            post = post.bearer_auth(token);
        }
        let said = post
            .send()
            .await
            .map(|r| r.status().as_u16())
            .map_err(|e| e.to_string());
        self.called_back
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(said);
        self.settled.notify_waiters();
    }

    /// The requests received so far.
    pub fn received(&self) -> Vec<Received> {
        self.received
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// What the monitoring receiver holds.
    pub fn monitor(&self) -> Monitor {
        self.monitor
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .view
            .clone()
    }

    /// The results of state services the State Corporation received, in arrival order, each
    /// registration number once.
    pub fn results(&self) -> Vec<Delivered> {
        self.results
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .items
            .clone()
    }

    /// The results delivered to citizens' accounts on the eGov portal, in arrival order, each
    /// registration number once.
    pub fn portal_results(&self) -> Vec<PortalResult> {
        self.portal_results
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .items
            .clone()
    }

    /// The applications registered in ITsS TsON, in order, each registration number once.
    pub fn registrations(&self) -> Vec<Registration> {
        self.registrations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .items
            .clone()
    }

    /// Takes the asynchronous answers waiting to be picked up.
    pub fn take_answers(&self) -> Vec<String> {
        std::mem::take(&mut *self.answers.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn fault(&self, connector: &str) -> Fault {
        self.faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(connector)
            .cloned()
            .unwrap_or_default()
    }

    fn log(&self, r: Received) {
        self.received
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(r);
    }
}

/// Parses `--fault` arguments: `gbd_fl.person:down`, `bank.account:latency_ms=800,error_rate=0.2`,
/// `tsbdi.disability:timeout`.
pub fn parse_fault(text: &str) -> Result<SetFault, String> {
    let (connector, spec) = text
        .split_once(':')
        .ok_or_else(|| format!("`{text}`: write connector:setting[,setting…]"))?;
    let mut f = SetFault {
        connector: connector.to_string(),
        latency_ms: 0,
        error_rate: 0.0,
        timeout: false,
        down: false,
    };
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.split_once('=') {
            None if part == "down" => f.down = true,
            None if part == "timeout" => f.timeout = true,
            Some(("latency_ms", v)) => {
                f.latency_ms = v
                    .parse()
                    .map_err(|_| format!("`{v}` is not milliseconds"))?
            }
            Some(("error_rate", v)) => {
                f.error_rate = v
                    .parse()
                    .ok()
                    .filter(|r: &f64| (0.0..=1.0).contains(r))
                    .ok_or_else(|| format!("`{v}` is not a rate between 0 and 1"))?
            }
            _ => {
                return Err(format!(
                    "`{part}`: settings are down, timeout, latency_ms=N, error_rate=R"
                ));
            }
        }
    }
    Ok(f)
}

/// The simulator's routes.
pub fn router(sim: Arc<Sim>) -> Router {
    Router::new()
        .route("/gbd_fl/person", post(gbd_fl_json))
        .route("/bank/account", post(bank))
        .route("/tsbdi/disability", post(tsbdi))
        .route("/enpf/account", post(enpf))
        .route("/provider/register", post(register))
        .route(
            "/state_corporation/result",
            post(state_corporation_result).get(state_corporation_results),
        )
        .route("/service_centre/register", post(service_centre_register))
        .route(
            "/egov_portal/result",
            post(egov_portal_result).get(egov_portal_results),
        )
        .route("/shep/sync", post(shep_sync))
        .route("/shep/async", post(shep_async))
        .route("/shep/async/answers", get(async_answers))
        .route("/monitoring/stages", post(monitoring).get(monitoring_list))
        .route(
            "/faults",
            post(set_fault).get(list_faults).delete(clear_faults),
        )
        .route("/requests", get(requests))
        .with_state(sim)
}

/// Serves the simulator on a bound listener until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    sim: Arc<Sim>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(sim))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Starts the simulator on `127.0.0.1:0`; returns its base URL and state (for tests, and for
/// `qyzmet serve` to run it in-process). It stops with the runtime.
pub async fn spawn() -> std::io::Result<(String, Arc<Sim>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let sim = Sim::new();
    let state = sim.clone();
    tokio::spawn(async move {
        let _ = serve(listener, state, std::future::pending()).await;
    });
    Ok((format!("http://{addr}"), sim))
}

// ── Handlers ────────────────────────────────────────────────────────────────────────────────

/// Applies a connector's faults: `Some(response)` when the fault answers instead.
async fn faulted(sim: &Sim, connector: &str, soap_channel: bool) -> Option<Response> {
    let f = sim.fault(connector);
    if f.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(f.latency_ms)).await;
    }
    if f.timeout {
        // Hold the request well past any client's timeout; the client gives up first.
        tokio::time::sleep(Duration::from_secs(300)).await;
    }
    let fail = f.down || (f.error_rate > 0.0 && rand::random::<f64>() < f.error_rate);
    if !fail {
        return None;
    }
    Some(if soap_channel {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
            soap::fault(&soap::Fault {
                code: "Server".into(),
                message: format!("{connector}: the system is not available"),
            }),
        )
            .into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "error": format!("{connector} is not available") })),
        )
            .into_response()
    })
}

fn received(connector: &str, headers: &HeaderMap) -> Received {
    Received {
        connector: connector.to_string(),
        idempotency_key: headers
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        message_id: None,
        service_id: None,
        sender_id: None,
        authenticated: headers.contains_key(header::AUTHORIZATION)
            || headers.contains_key("x-api-key"),
    }
}

/// Why a JSON request names no one the system knows.
enum Miss {
    /// The IIN does not parse: 400.
    Invalid,
    /// No such person: 404.
    Unknown,
}

impl IntoResponse for Miss {
    fn into_response(self) -> Response {
        match self {
            Miss::Invalid => (
                StatusCode::BAD_REQUEST,
                Json(json!({ "error": "invalid IIN" })),
            ),
            Miss::Unknown => (
                StatusCode::NOT_FOUND,
                Json(json!({ "error": "no such person" })),
            ),
        }
        .into_response()
    }
}

/// Reads `iin` from a JSON body and finds the person.
fn person<'a>(sim: &'a Sim, body: &Value) -> Result<&'a Person, Miss> {
    let iin = body.get("iin").and_then(Value::as_str).unwrap_or("");
    if Iin::parse(iin).is_err() {
        return Err(Miss::Invalid);
    }
    sim.people.get(iin).ok_or(Miss::Unknown)
}

/// GBD FL's person, in its own field names. `zoned` writes the birth date as xsd:date with
/// Kazakhstan's old offset, as SOAP stacks do.
fn person_json(p: &Person, zoned: bool) -> Value {
    let sex = if matches!(p.iin.as_bytes()[6], b'1' | b'3' | b'5') {
        "MALE"
    } else {
        "FEMALE"
    };
    let birth = if zoned {
        format!("{}+06:00", p.birth_date)
    } else {
        p.birth_date.to_string()
    };
    let mut person = json!({
        "iin": p.iin,
        "surname": p.last_name,
        "name": p.first_name,
        "birthDate": birth,
        "sex": sex,
        "regAddress": { "full": p.address },
        "document": {
            "type": "IDENTITY_CARD",
            "number": p.document_number,
            "issuer": "МВД РК",
            "issueDate": p.document_issued_on,
            "expiryDate": p.document_valid_until,
        },
    });
    if let Some(m) = p.middle_name {
        person["patronymic"] = json!(m);
    }
    json!({ "person": person })
}

async fn gbd_fl_json(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    sim.log(received("gbd_fl.person", &headers));
    if let Some(r) = faulted(&sim, "gbd_fl.person", false).await {
        return r;
    }
    match person(&sim, &body) {
        Ok(p) => Json(person_json(p, false)).into_response(),
        Err(m) => m.into_response(),
    }
}

async fn bank(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    sim.log(received("bank.account", &headers));
    if let Some(r) = faulted(&sim, "bank.account", false).await {
        return r;
    }
    let p = match person(&sim, &body) {
        Ok(p) => p,
        Err(m) => return m.into_response(),
    };
    let asked = body
        .get("accountNumber")
        .and_then(Value::as_str)
        .unwrap_or("");
    match p.bank {
        Some((iban, bank, kind)) if asked.is_empty() || asked == iban => Json(json!({
            "exists": true, "bank": { "name": bank }, "type": kind
        }))
        .into_response(),
        _ => Json(json!({ "exists": false })).into_response(),
    }
}

async fn tsbdi(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    sim.log(received("tsbdi.disability", &headers));
    if let Some(r) = faulted(&sim, "tsbdi.disability", false).await {
        return r;
    }
    let p = match person(&sim, &body) {
        Ok(p) => p,
        Err(m) => return m.into_response(),
    };
    match p.disability {
        Some((group, from, until)) => Json(json!({
            "disabled": true,
            "group": group,
            "from": from,
            "until": until,
            "indefinite": until.is_none(),
        }))
        .into_response(),
        None => Json(json!({ "disabled": false })).into_response(),
    }
}

async fn enpf(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    sim.log(received("enpf.account", &headers));
    if let Some(r) = faulted(&sim, "enpf.account", false).await {
        return r;
    }
    let p = match person(&sim, &body) {
        Ok(p) => p,
        Err(m) => return m.into_response(),
    };
    // The right to payments from the retirement age; the simulator's rule of thumb: born
    // in 1963 or earlier.
    let born: i32 = p.birth_date[..4].parse().unwrap_or(2000);
    match p.enpf {
        Some((accruals, established)) => Json(json!({
            "account": { "open": true, "paymentsEstablished": established, "pendingApplication": false },
            "rightToPayments": born <= 1963,
            "accruals": accruals,
        }))
        .into_response(),
        None => Json(json!({ "account": { "open": false }, "rightToPayments": false, "accruals": 0 }))
            .into_response(),
    }
}

async fn register(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    sim.log(received("provider.register", &headers));
    if let Some(r) = faulted(&sim, "provider.register", false).await {
        return r;
    }
    let p = match person(&sim, &body) {
        Ok(p) => p,
        Err(m) => return m.into_response(),
    };
    let r = p.register;
    let mut out = json!({
        "assigned": r.assignment.is_some(),
        "paid": r.payment.is_some(),
        "refused": r.refusal.is_some(),
    });
    if let Some((date, number)) = r.assignment {
        out["assignmentDate"] = json!(date);
        out["decisionNumber"] = json!(number);
    }
    if let Some(d) = r.payment {
        out["paymentDate"] = json!(d);
    }
    if let Some(d) = r.refusal {
        out["refusalDate"] = json!(d);
    }
    Json(out).into_response()
}

/// The State Corporation receives a result (seeds/001 item 12 part 5), for any valid IIN:
/// `{accepted: true, acceptedDate: dd.mm.yyyy}`, today in Almaty. A repeat of a registration
/// number already received is answered as the first time, with the first day, and not kept
/// twice. An invalid IIN is 400; a result other than `assigned` or `refused`, or a field
/// missing, 422.
async fn state_corporation_result(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    sim.log(received("state_corporation.result", &headers));
    if let Some(r) = faulted(&sim, "state_corporation.result", false).await {
        return r;
    }
    let text = |name: &str| text_field(&body, name);
    let iin = text("iin").unwrap_or_default();
    if Iin::parse(&iin).is_err() {
        return Miss::Invalid.into_response();
    }
    let (Some(number), Some(result), Some(decision_number), Some(decision_date)) = (
        text("registrationNumber"),
        text("result"),
        text("decisionNumber"),
        text("decisionDate"),
    ) else {
        return unfit("registrationNumber, result, decisionNumber and decisionDate are required");
    };
    if !matches!(result.as_str(), "assigned" | "refused") {
        return unfit("result is assigned or refused");
    }
    let mut results = sim.results.lock().unwrap_or_else(|e| e.into_inner());
    let day = results
        .first_or_keep(&number.clone(), || Delivered {
            registration_number: number,
            iin,
            result,
            decision_number,
            decision_date,
            received_on: today_almaty(),
        })
        .received_on
        .clone();
    Json(json!({ "accepted": true, "acceptedDate": day })).into_response()
}

async fn state_corporation_results(State(sim): State<Arc<Sim>>) -> Json<Vec<Delivered>> {
    Json(sim.results())
}

/// The eGov portal delivers a result to the citizen's account (`egov_portal.result`), for any
/// valid IIN: `{delivered: true}`. A repeat of a registration number is answered as the first
/// time and not kept twice. An invalid IIN is 400; a result other than `issued`, `assigned`,
/// `refused` or `not_accepted`, or a field missing, 422.
async fn egov_portal_result(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    sim.log(received("egov_portal.result", &headers));
    if let Some(r) = faulted(&sim, "egov_portal.result", false).await {
        return r;
    }
    let text = |name: &str| text_field(&body, name);
    let iin = text("iin").unwrap_or_default();
    if Iin::parse(&iin).is_err() {
        return Miss::Invalid.into_response();
    }
    let (Some(number), Some(service), Some(result), Some(decision_number), Some(decision_date)) = (
        text("registrationNumber"),
        text("service"),
        text("result"),
        text("decisionNumber"),
        text("decisionDate"),
    ) else {
        return unfit(
            "registrationNumber, service, result, decisionNumber and decisionDate are required",
        );
    };
    if !matches!(
        result.as_str(),
        "issued" | "assigned" | "refused" | "not_accepted"
    ) {
        return unfit("result is issued, assigned, refused or not_accepted");
    }
    let mut results = sim.portal_results.lock().unwrap_or_else(|e| e.into_inner());
    results.first_or_keep(&number.clone(), || PortalResult {
        registration_number: number,
        iin,
        service,
        result,
        decision_number,
        decision_date,
        delivered_on: today_almaty(),
    });
    Json(json!({ "delivered": true })).into_response()
}

async fn egov_portal_results(State(sim): State<Arc<Sim>>) -> Json<Vec<PortalResult>> {
    Json(sim.portal_results())
}

/// ITsS TsON registers an application (`service_centre.register`) for any valid IIN — the
/// front office registers what it accepted, known to GBD FL or not: `{registered: true,
/// tsonNumber, registeredDate: dd.mm.yyyy}`, today in Almaty. A repeat of a registration
/// number is answered as the first time and not registered twice. The simulator never
/// answers `registered: false` (the real system does for an unexecuted application of the
/// same service and IIN); scenarios try that answer with `answer:`. An invalid IIN is 400; a
/// field missing, 422.
async fn service_centre_register(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    sim.log(received("service_centre.register", &headers));
    if let Some(r) = faulted(&sim, "service_centre.register", false).await {
        return r;
    }
    let text = |name: &str| text_field(&body, name);
    let iin = text("iin").unwrap_or_default();
    if Iin::parse(&iin).is_err() {
        return Miss::Invalid.into_response();
    }
    let (Some(number), Some(service)) = (text("registrationNumber"), text("service")) else {
        return unfit("registrationNumber and service are required");
    };
    let mut registrations = sim.registrations.lock().unwrap_or_else(|e| e.into_inner());
    let next = registrations.len() + 1;
    let r = registrations
        .first_or_keep(&number.clone(), || {
            let today = today_almaty();
            let day = format!("{}{}{}", &today[6..], &today[3..5], &today[..2]);
            Registration {
                registration_number: number,
                iin,
                service,
                tson_number: format!("TSON-{day}-{next:06}"),
                registered_on: today,
            }
        })
        .clone();
    Json(json!({
        "registered": true,
        "tsonNumber": r.tson_number,
        "registeredDate": r.registered_on,
    }))
    .into_response()
}

/// A text field of a JSON body, trimmed; `None` when it is missing, not text or blank.
fn text_field(body: &Value, name: &str) -> Option<String> {
    body.get(name)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// A 422 naming what of the request does not fit the contract.
fn unfit(why: &str) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(json!({ "error": why })),
    )
        .into_response()
}

/// Today in Almaty, `dd.mm.yyyy`, as the State Corporation's system writes a date.
pub fn today_almaty() -> String {
    SystemClock
        .now()
        .with_timezone(&FixedOffset::east_opt(5 * 3600).expect("a valid offset"))
        .format("%d.%m.%Y")
        .to_string()
}

fn now_almaty() -> String {
    SystemClock
        .now()
        .with_timezone(&FixedOffset::east_opt(5 * 3600).expect("a valid offset"))
        .to_rfc3339_opts(SecondsFormat::Millis, false)
}

fn xml(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        body,
    )
        .into_response()
}

fn client_fault(message: &str) -> Response {
    xml(
        StatusCode::INTERNAL_SERVER_ERROR,
        soap::fault(&soap::Fault {
            code: "Client".into(),
            message: message.into(),
        }),
    )
}

/// The person data of the GBD FL services (`GBDFL_PERSON` sync, `GBDFL_PERSON_ASYNC`).
fn gbd_fl_data(sim: &Sim, data: &Value) -> Result<Value, (String, String)> {
    let iin = data.get("iin").and_then(Value::as_str).unwrap_or("");
    if Iin::parse(iin).is_err() {
        return Err(("ERR_INVALID_IIN".into(), "invalid IIN".into()));
    }
    match sim.people.get(iin) {
        Some(p) => Ok(person_json(p, true)),
        None => Err(("ERR_NOT_FOUND".into(), "no such person".into())),
    }
}

/// Logs a SOAP request to GBD FL and admits it: a client fault for an envelope that does
/// not read or names another service, the injected fault if one is set; `None` to go on.
async fn admit_gbd_fl(
    sim: &Sim,
    headers: &HeaderMap,
    ids: Result<(&str, &str, &str), String>,
    service_id: &str,
) -> Option<Response> {
    let mut r = received("gbd_fl.person", headers);
    if let Ok((message_id, service, sender)) = ids {
        r.message_id = Some(message_id.to_string());
        r.service_id = Some(service.to_string());
        r.sender_id = Some(sender.to_string());
    }
    sim.log(r);
    match ids {
        Err(e) => Some(client_fault(&e)),
        Ok((_, service, _)) if service != service_id => {
            Some(client_fault(&format!("unknown serviceId {service}")))
        }
        Ok(_) => faulted(sim, "gbd_fl.person", true).await,
    }
}

async fn shep_sync(State(sim): State<Arc<Sim>>, headers: HeaderMap, body: String) -> Response {
    let request = soap::parse_sync_request(&body);
    let ids = request
        .as_ref()
        .map(|r| {
            (
                r.message_id.as_str(),
                r.service_id.as_str(),
                r.sender_id.as_str(),
            )
        })
        .map_err(ToString::to_string);
    if let Some(refused) = admit_gbd_fl(&sim, &headers, ids, "GBDFL_PERSON").await {
        return refused;
    }
    let Ok(req) = request else {
        unreachable!("an envelope that does not read is refused above")
    };
    let (code, message, data) = match gbd_fl_data(&sim, &req.data) {
        Ok(data) => (
            "SCSS001".to_string(),
            "Message has been processed successfully".to_string(),
            data,
        ),
        Err((code, message)) => (code, message, Value::Null),
    };
    xml(
        StatusCode::OK,
        soap::sync_response(&soap::SyncResponse {
            message_id: req.message_id,
            response_date: now_almaty(),
            status_code: code,
            status_message: message,
            data,
        }),
    )
}

async fn shep_async(State(sim): State<Arc<Sim>>, headers: HeaderMap, body: String) -> Response {
    let request = soap::parse_async_message(&body);
    let ids = request
        .as_ref()
        .map(|r| {
            (
                r.message_id.as_str(),
                r.service_id.as_str(),
                r.sender_id.as_str(),
            )
        })
        .map_err(ToString::to_string);
    if let Some(refused) = admit_gbd_fl(&sim, &headers, ids, "GBDFL_PERSON_ASYNC").await {
        return refused;
    }
    let Ok(req) = request else {
        unreachable!("an envelope that does not read is refused above")
    };
    let (message_type, data) = match gbd_fl_data(&sim, &req.data) {
        Ok(data) => ("RESPONSE", data),
        Err((code, message)) => ("ERROR", json!({ "code": code, "message": message })),
    };
    let answer = soap::async_message(&soap::AsyncMessage {
        message_id: format!("sim-{}", req.message_id),
        correlation_id: Some(req.message_id.clone()),
        service_id: req.service_id.clone(),
        message_type: message_type.into(),
        message_date: now_almaty(),
        sender_id: "GBDFL".into(),
        password: String::new(),
        data,
    });
    let callback = sim
        .callback
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    match callback {
        // Answer later, as the gateway does: after the acknowledgement.
        Some(callback) => {
            tokio::spawn(sim.clone().call_back(callback, answer));
        }
        None => sim
            .answers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(answer),
    }
    xml(
        StatusCode::OK,
        soap::async_ack(&req.message_id, &now_almaty()),
    )
}

async fn async_answers(State(sim): State<Arc<Sim>>) -> Json<Vec<String>> {
    Json(sim.take_answers())
}

async fn monitoring(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    sim.log(received("monitoring", &headers));
    if let Some(r) = faulted(&sim, "monitoring", false).await {
        return r;
    }
    let Some(key) = body.get("idempotency_key").and_then(Value::as_str) else {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({ "error": "no idempotency_key" })),
        )
            .into_response();
    };
    let mut m = sim.monitor.lock().unwrap_or_else(|e| e.into_inner());
    if !m.keys.insert(key.to_string()) {
        m.view.repeats += 1;
        return (StatusCode::OK, Json(json!({ "repeat": true }))).into_response();
    }
    // A report without a number is a case of its own: "" keeps their sequences together, as
    // the reports without one were compared with each other before.
    let case = body
        .get("registration_number")
        .map(Value::to_string)
        .unwrap_or_default();
    let sequence = body.get("sequence").and_then(Value::as_u64).unwrap_or(0);
    let Monitoring { view, latest, .. } = &mut *m;
    let latest = latest.entry(case).or_insert(0);
    if sequence < *latest {
        view.out_of_order += 1;
    }
    *latest = (*latest).max(sequence);
    view.stages.push(body);
    (StatusCode::CREATED, Json(json!({ "accepted": true }))).into_response()
}

async fn monitoring_list(State(sim): State<Arc<Sim>>) -> Json<Monitor> {
    Json(sim.monitor())
}

async fn set_fault(State(sim): State<Arc<Sim>>, Json(f): Json<SetFault>) -> Response {
    if !(0.0..=1.0).contains(&f.error_rate) {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({ "error": "error_rate is between 0 and 1" })),
        )
            .into_response();
    }
    sim.set_fault(
        &f.connector,
        Fault {
            latency_ms: f.latency_ms,
            error_rate: f.error_rate,
            timeout: f.timeout,
            down: f.down,
        },
    );
    StatusCode::NO_CONTENT.into_response()
}

async fn list_faults(State(sim): State<Arc<Sim>>) -> Json<HashMap<String, Fault>> {
    Json(sim.faults.lock().unwrap_or_else(|e| e.into_inner()).clone())
}

async fn clear_faults(State(sim): State<Arc<Sim>>) -> StatusCode {
    sim.clear_faults();
    StatusCode::NO_CONTENT
}

async fn requests(State(sim): State<Arc<Sim>>) -> Json<Vec<Received>> {
    Json(sim.received())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seeded_iins_are_valid() {
        for p in people() {
            let iin = Iin::parse(p.iin).unwrap_or_else(|e| panic!("{}: {e}", p.iin));
            assert_eq!(
                iin.birth_date().format("%Y-%m-%d").to_string(),
                p.birth_date,
                "{}",
                p.iin
            );
        }
        let unknown = Iin::parse(UNKNOWN_IIN).unwrap();
        assert!(people().iter().all(|p| p.iin != unknown.as_str()));
    }

    #[test]
    fn faults_parse_from_the_command_line() {
        let f = parse_fault("bank.account:latency_ms=800,error_rate=0.25").unwrap();
        assert_eq!(
            (f.connector.as_str(), f.latency_ms, f.error_rate),
            ("bank.account", 800, 0.25)
        );
        assert!(parse_fault("gbd_fl.person:down").unwrap().down);
        assert!(parse_fault("gbd_fl.person:error_rate=2").is_err());
        assert!(parse_fault("gbd_fl.person").is_err());
    }
}
