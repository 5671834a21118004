//! SMS replies: the `sms_waits` and `sms_replies` tables (migrations 0016, postgres 0007).
//!
//! `sms_waits` is the index a citizen's reply finds its case by: one row per case waiting for
//! a message with `sms_reply:`, by the number the offer went to, written in the transaction of
//! the transition that entered the wait ([`write_effects`], from `Effect::AwaitSmsReply`). A
//! row means "waiting" only while the wait's timeout timer is set: the lookup joins `timers`,
//! so a wait that ended by its timeout (the timer fired and was deleted) is never found, and a
//! wait that ended otherwise (the message came, the case closed) cancels its timer, which
//! deletes the row in the same transaction. `sms_replies` keeps each reply's id with what was
//! made of it, so a repeat answers the same and does nothing.

use chrono::{DateTime, Utc};

use super::backend::on;
use super::{Conn, Error};
use crate::runtime::{Effect, Transition};

/// A case waiting for a reply from a number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    /// The case's id.
    pub case_id: i64,
    /// The case's registration number.
    pub number: String,
    /// Its region.
    pub region: String,
    /// Its service.
    pub service: String,
    /// The version it is pinned to.
    pub version: String,
    /// The message it waits for.
    pub message: String,
}

/// A number as the index keeps it: its digits, a Kazakh number in its 11-digit form
/// (`8 701 …` and `+7 701 …` are both `7701…`), so the number the case data holds and the
/// number the aggregator reports meet however each was written.
pub fn phone_key(phone: &str) -> String {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    match digits.strip_prefix('8') {
        Some(rest) if digits.len() == 11 => format!("7{rest}"),
        _ if digits.len() == 10 => format!("7{digits}"),
        _ => digits,
    }
}

/// Writes the SMS-wait rows a transition's effects ask for: a row per
/// `Effect::AwaitSmsReply`, and the rows of every timer it cancels deleted. In the writer's
/// transaction, after the transition's own rows.
pub async fn write_effects(
    conn: &mut Conn,
    t: &Transition,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    for effect in &t.effects {
        match effect {
            Effect::AwaitSmsReply {
                phone,
                message,
                timer,
            } => {
                let (id, key) = (t.state.id, phone_key(phone));
                on!(conn, |c| {
                    sqlx::query(sql(
                        "insert into sms_waits (phone, case_id, message, timer_key, created_at) \
                         values (?, ?, ?, ?, ?)",
                    ))
                    .bind(&key)
                    .bind(id)
                    .bind(message)
                    .bind(timer)
                    .bind(bind_ts(now))
                    .execute(&mut *c)
                    .await?;
                    Ok::<(), Error>(())
                })?;
            }
            Effect::CancelTimer { key } if key.starts_with("timer:") => {
                on!(conn, |c| {
                    sqlx::query(sql("delete from sms_waits where timer_key = ?"))
                        .bind(key)
                        .execute(&mut *c)
                        .await?;
                    Ok::<(), Error>(())
                })?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// The open cases waiting for a reply from `phone`, the one that entered its wait last first.
pub async fn waiting(conn: &mut Conn, phone: &str) -> Result<Vec<Waiting>, Error> {
    let key = phone_key(phone);
    on!(conn, |c| {
        let rows = sqlx::query(sql(
            "select c.id, c.number, c.region, c.service, c.version, w.message from sms_waits w \
             join timers t on t.key = w.timer_key \
             join cases c on c.id = w.case_id \
             where w.phone = ? and c.status = 'active' order by w.id desc limit 10",
        ))
        .bind(&key)
        .fetch_all(&mut *c)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Waiting {
                    case_id: r.try_get(0)?,
                    number: r.try_get(1)?,
                    region: r.try_get(2)?,
                    service: r.try_get(3)?,
                    version: r.try_get(4)?,
                    message: r.try_get(5)?,
                })
            })
            .collect()
    })
}

/// What was made of a reply before: its outcome and case, when its id is known.
pub async fn find(conn: &mut Conn, id: &str) -> Result<Option<(String, Option<String>)>, Error> {
    on!(conn, |c| {
        let row = sqlx::query(sql(
            "select outcome, case_number from sms_replies where id = ?",
        ))
        .bind(id)
        .fetch_optional(&mut *c)
        .await?;
        row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
    })
}

/// Records what was made of reply `id`; `false` when it was recorded before (a repeat that
/// raced this one: its outcome stands).
pub async fn record(
    conn: &mut Conn,
    id: &str,
    outcome: &str,
    case: Option<&str>,
    received_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    on!(conn, |c| {
        let done = sqlx::query(sql(
            "insert into sms_replies (id, outcome, case_number, received_at, created_at) \
             values (?, ?, ?, ?, ?) on conflict (id) do nothing",
        ))
        .bind(id)
        .bind(outcome)
        .bind(case)
        .bind(bind_ts(received_at))
        .bind(bind_ts(now))
        .execute(&mut *c)
        .await?;
        Ok(done.rows_affected() == 1)
    })
}

#[cfg(test)]
mod tests {
    use super::phone_key;

    #[test]
    fn a_number_written_either_way_is_one_key() {
        assert_eq!(phone_key("+7 (701) 123-45-67"), "77011234567");
        assert_eq!(phone_key("87011234567"), "77011234567");
        assert_eq!(phone_key("7011234567"), "77011234567");
    }
}
