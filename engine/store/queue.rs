//! What the queue page reads besides its tasks: the cases of one page's rows, in one
//! statement, for the applicant's name, the service and the calendar of each row.
//!
//! The task query itself ([`super::TaskQuery`], [`super::Store::task_page`]) stays beside the
//! other task statements in `mod.rs`.

use super::backend::on;
use super::{Error, Store};
use crate::runtime::CaseState;

/// The most cases one call reads: a page of the queue holds at most 500 tasks, and 500 bound
/// values are far under both databases' limits.
pub const MAX_CASES: usize = 500;

impl Store {
    /// The cases of these registration numbers that exist, in no particular order; at most
    /// [`MAX_CASES`] numbers are read (the rest are ignored), so a caller cannot make it
    /// read the whole table.
    pub async fn cases_by_numbers(&self, numbers: &[String]) -> Result<Vec<CaseState>, Error> {
        let numbers = &numbers[..numbers.len().min(MAX_CASES)];
        if numbers.is_empty() {
            return Ok(Vec::new());
        }
        let marks = vec!["?"; numbers.len()].join(", ");
        let text = format!("select state from cases where number in ({marks})");
        on!(self.pool, |p| {
            let mut query = sqlx::query(sql_owned(text));
            for n in numbers {
                query = query.bind(n.as_str());
            }
            let rows = query.fetch_all(p).await?;
            rows.iter().map(|r| read_json(r, 0, "case state")).collect()
        })
    }
}
