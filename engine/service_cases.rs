//! The `qyzmet.service_cases` request: the cases of one service whose date falls in a period,
//! counted and summed for a report that must count them, and linked to the case that asked
//! (issue #17; the quarterly form on home-education compensation, seeds/004 list item 1:
//! order No. 28 item 5, counts the cases of `home-education-cost-recovery`).
//!
//! **Why the engine answers it, as a request.** A report's figures are only as good as the
//! cases behind them: a figure a clerk typed cannot be checked, a figure qyzmet counted from
//! its own cases can, case by case, from the report's page. Made a request like any other (a
//! contract in `workflows/catalog.yaml`, an outbox job, retried, answered once), a definition
//! asks for it as it asks a state system, a scenario answers it, and a failure takes the
//! step's failure path.
//!
//! **What is counted.** A case of the service whose `date_field` holds a date in the period
//! and, when a `result` is asked for, that has ended with it. Cases are read among those that
//! were alive in the period (opened before its end, still running or changed after its start;
//! [`store::case_links::alive`]), a page at a time and a transaction a page, so that the
//! writer is held for a page only and a service's whole history is never read: the date must
//! be one the case sets while it runs (a decision's date), which the catalog says.
//!
//! **The links.** Written in one transaction, replacing what the same request of the same
//! case wrote before (its `query`: the selection), so a repeat after a crash or a report
//! returned for revision counts afresh and never twice.

use chrono::{Days, NaiveDate, TimeZone, Utc};
use serde_json::{Value, json};

use crate::money::Money;
use crate::runtime::{CaseState, Work, get_path};
use crate::store::case_links::{self, Alive, Link};
use crate::worker::jobs::{BoxFuture, JobError, Performer};
use crate::worker::{Engine, EngineSlot};

/// The connector id in `workflows/catalog.yaml`.
pub const CONNECTOR: &str = "qyzmet.service_cases";

/// The cases read in one transaction.
const PAGE: u32 = 500;

/// Why a request cannot be answered. `qyzmet validate` checks what a definition asks for, so
/// each is a definition that did not pass it, or a bug: an incident, not a retry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A required input is missing or not text.
    #[error("the request has no `{0}`")]
    Missing(&'static str),
    /// The period is not a year, a quarter or a month.
    #[error("`{0}` is not a period: write a year (2026), a quarter (2026-Q3) or a month (2026-07)")]
    BadPeriod(String),
}

/// A period: a year, a quarter or a month, by its first and last day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// As written: `2026`, `2026-Q3`, `2026-07` (a schedule's occurrence key).
    pub key: String,
    /// Its first day.
    pub first: NaiveDate,
    /// Its last day.
    pub last: NaiveDate,
}

impl Period {
    /// `2026`, `2026-Q3` or `2026-07`.
    pub fn parse(text: &str) -> Result<Period, Error> {
        let bad = || Error::BadPeriod(text.to_string());
        let (year, rest) = text.split_at_checked(4).ok_or_else(bad)?;
        if !year.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let year: i32 = year.parse().map_err(|_| bad())?;
        let (first_month, months) = match rest {
            "" => (1, 12),
            _ => match rest.strip_prefix("-Q") {
                Some(q @ ("1" | "2" | "3" | "4")) => {
                    let q: u32 = q.parse().map_err(|_| bad())?;
                    ((q - 1) * 3 + 1, 3)
                }
                Some(_) => return Err(bad()),
                None => {
                    let m = rest.strip_prefix('-').ok_or_else(bad)?;
                    if m.len() != 2 || !m.bytes().all(|b| b.is_ascii_digit()) {
                        return Err(bad());
                    }
                    let m: u32 = m.parse().map_err(|_| bad())?;
                    if !(1..=12).contains(&m) {
                        return Err(bad());
                    }
                    (m, 1)
                }
            },
        };
        let first = NaiveDate::from_ymd_opt(year, first_month, 1).ok_or_else(bad)?;
        let last = first
            .checked_add_months(chrono::Months::new(months))
            .and_then(|d| d.pred_opt())
            .ok_or_else(bad)?;
        Ok(Period {
            key: text.to_string(),
            first,
            last,
        })
    }

    /// Whether `date` is one of its days.
    pub fn contains(&self, date: NaiveDate) -> bool {
        (self.first..=self.last).contains(&date)
    }
}

/// What a request selects, from its input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// The service whose cases are counted.
    pub service: String,
    /// The period.
    pub period: Period,
    /// The date field the cases are selected by.
    pub date_field: String,
    /// Only the cases ended with this result; `None` (an empty input): every case.
    pub result: Option<String>,
    /// The money field summed; `None` (an empty input): nothing summed.
    pub amount_field: Option<String>,
}

impl Query {
    /// The request's input, as the contract has it.
    pub fn from_input(input: &Value) -> Result<Query, Error> {
        let text = |name: &'static str| {
            input
                .get(name)
                .and_then(Value::as_str)
                .ok_or(Error::Missing(name))
        };
        let optional =
            |name: &'static str| text(name).map(|t| Some(t.to_string()).filter(|t| !t.is_empty()));
        Ok(Query {
            service: text("service")?.to_string(),
            period: Period::parse(text("period")?)?,
            date_field: text("date_field")?.to_string(),
            result: optional("result")?,
            amount_field: optional("amount_field")?,
        })
    }

    /// The selection as the links keep it: a repeat of the same one replaces them.
    pub fn key(&self) -> String {
        [
            self.service.as_str(),
            &self.period.key,
            &self.date_field,
            self.result.as_deref().unwrap_or(""),
            self.amount_field.as_deref().unwrap_or(""),
        ]
        .join("|")
    }

    /// `case` as this query counts it, or `None` when it does not. An amount that is not
    /// money (a definition's field of another type) counts the case without an amount.
    pub fn link(&self, case: &CaseState) -> Option<Link> {
        let data = case.data.get("")?;
        let date = get_path(data, &self.date_field)
            .and_then(Value::as_str)
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())?;
        if !self.period.contains(date) {
            return None;
        }
        if self.result.is_some() && case.result != self.result {
            return None;
        }
        let amount = self
            .amount_field
            .as_deref()
            .and_then(|f| get_path(data, f))
            .and_then(|v| Money::from_json(v).ok());
        Some(Link {
            number: case.number.clone(),
            service: case.service.clone(),
            period: self.period.key.clone(),
            result: case.result.clone(),
            on_date: date.format("%Y-%m-%d").to_string(),
            amount: amount.map(Money::canonical),
        })
    }

    /// Which cases may hold a date in the period: opened before its end, and running or
    /// changed since its start. A day of margin each side, for the time zones a date was set in.
    fn alive(&self) -> Alive<'_> {
        let midnight = |d: NaiveDate| Utc.from_utc_datetime(&d.and_time(chrono::NaiveTime::MIN));
        Alive {
            service: &self.service,
            result: self.result.as_deref(),
            opened_before: midnight(
                self.period
                    .last
                    .checked_add_days(Days::new(2))
                    .unwrap_or(NaiveDate::MAX),
            ),
            changed_since: midnight(
                self.period
                    .first
                    .checked_sub_days(Days::new(1))
                    .unwrap_or(NaiveDate::MIN),
            ),
        }
    }
}

/// The answer to `links`: how many, and the sum of their amounts.
pub fn answer(links: &[Link]) -> Value {
    let sum = links
        .iter()
        .filter_map(|l| l.amount.as_deref())
        .filter_map(|a| Money::parse(a).ok())
        .fold(Money::from_decimal(Default::default()), |sum, a| {
            Money::from_decimal(sum.amount() + a.amount())
        });
    json!({ "count": links.len(), "amount": sum.to_json() })
}

/// Performs `qyzmet.service_cases` requests through the engine's writer.
#[derive(Default)]
pub struct ServiceCasesPerformer {
    engine: EngineSlot,
}

impl ServiceCasesPerformer {
    /// A performer still without its engine: work that reaches it before
    /// [`ServiceCasesPerformer::set_engine`] is retried.
    pub fn new() -> Self {
        Self::default()
    }

    /// Hands over the engine (once). Kept weakly: the engine owns this performer.
    pub fn set_engine(&self, engine: &Engine) {
        self.engine.set(engine);
    }

    async fn count(&self, key: &str, input: &Value) -> Result<Value, JobError> {
        let query = Query::from_input(input).map_err(|e| JobError::Fatal(e.to_string()))?;
        let engine = self.engine.get()?;
        let retry = |e: crate::worker::Error| JobError::Retryable(e.to_string());
        let mut links = Vec::new();
        let mut after = 0;
        loop {
            let q = query.clone();
            let page = engine
                .transact(move |conn, _| {
                    let q = q.clone();
                    Box::pin(async move {
                        case_links::alive(conn, q.alive(), after, PAGE)
                            .await
                            .map_err(|e| e.to_string())
                    })
                })
                .await
                .map_err(retry)?
                .map_err(JobError::Retryable)?;
            let Some(last) = page.last() else { break };
            after = last.id;
            let full = page.len() == PAGE as usize;
            links.extend(page.iter().filter_map(|case| query.link(case)));
            if !full {
                break;
            }
        }
        let answer = answer(&links);
        let (key, selection) = (key.to_string(), query.key());
        let count = links.len();
        engine
            .transact(move |conn, now| {
                let (key, selection, links) = (key.clone(), selection.clone(), links.clone());
                Box::pin(async move {
                    let (case_id, _) = case_links::case_of_job(conn, &key)
                        .await
                        .map_err(|e| e.to_string())?
                        .ok_or_else(|| format!("job {key} belongs to no case"))?;
                    case_links::replace(conn, case_id, &selection, &links, now)
                        .await
                        .map_err(|e| e.to_string())
                })
            })
            .await
            .map_err(retry)?
            .map_err(JobError::Retryable)?;
        tracing::info!(
            service = %query.service,
            period = %query.period.key,
            count,
            "cases counted and linked for a report"
        );
        Ok(answer)
    }
}

impl Performer for ServiceCasesPerformer {
    fn perform<'a>(
        &'a self,
        key: &'a str,
        work: &'a Work,
    ) -> BoxFuture<'a, Result<Value, JobError>> {
        Box::pin(async move {
            match work {
                Work::Request {
                    connector, input, ..
                } if connector == CONNECTOR => self.count(key, input).await,
                _ => Err(JobError::Fatal(format!(
                    "not a `{CONNECTOR}` request: the cases performer got it by mistake"
                ))),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_a_year_a_quarter_or_a_month() {
        let p = Period::parse("2026-Q3").unwrap();
        assert_eq!(
            (p.first.to_string(), p.last.to_string()),
            ("2026-07-01".into(), "2026-09-30".into())
        );
        let p = Period::parse("2027-Q4").unwrap();
        assert_eq!(p.last.to_string(), "2027-12-31");
        let p = Period::parse("2028-02").unwrap();
        assert_eq!(p.last.to_string(), "2028-02-29");
        let p = Period::parse("2026").unwrap();
        assert_eq!(
            (p.first.to_string(), p.last.to_string()),
            ("2026-01-01".into(), "2026-12-31".into())
        );
        for bad in [
            "", "26", "2026-Q5", "2026-Q", "2026-13", "2026-7", "2026/07", "x026",
        ] {
            assert_eq!(
                Period::parse(bad),
                Err(Error::BadPeriod(bad.into())),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_sum_is_exact_to_the_tiyn() {
        let link = |amount: Option<&str>| Link {
            number: "N".into(),
            service: "s".into(),
            period: "2026-Q3".into(),
            result: Some("assigned".into()),
            on_date: "2026-08-01".into(),
            amount: amount.map(str::to_string),
        };
        let links = [link(Some("1000000.10")), link(Some("0.20")), link(None)];
        assert_eq!(
            answer(&links),
            json!({ "count": 3, "amount": "1000000.30" })
        );
        assert_eq!(answer(&[]), json!({ "count": 0, "amount": "0.00" }));
    }
}
