//! The few words the scenario runner puts around the data in its messages and its trace:
//! dates with their day of the week, lists ("`a`, `b` and `c`"), in the methodologist's
//! language (`--lang`), so that a failure reads in one language from end to end.

use chrono::{Datelike, NaiveDate, NaiveDateTime, Weekday};

use crate::definition::messages::Lang;
use crate::msg;

/// The short name of a day of the week: `Mon`, `дс`, `пн`.
fn weekday(day: Weekday, lang: Lang) -> &'static str {
    let index = day.num_days_from_monday() as usize;
    match lang {
        Lang::En => ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][index],
        Lang::Kk => ["дс", "сс", "ср", "бс", "жм", "сб", "жс"][index],
        Lang::Ru => ["пн", "вт", "ср", "чт", "пт", "сб", "вс"][index],
    }
}

/// A date with its day of the week: `Mon 2026-04-20`.
pub fn day(date: NaiveDate, lang: Lang) -> String {
    format!(
        "{} {}",
        weekday(date.weekday(), lang),
        date.format("%Y-%m-%d")
    )
}

/// A local time with its day of the week: `Mon 2026-04-20 09:00`, seconds only when it has
/// some.
pub fn moment(at: NaiveDateTime, lang: Lang) -> String {
    let format = if at.and_utc().timestamp() % 60 == 0 {
        "%Y-%m-%d %H:%M"
    } else {
        "%Y-%m-%d %H:%M:%S"
    };
    format!("{} {}", weekday(at.weekday(), lang), at.format(format))
}

/// A local time to the minute with its day of the week, as the trace shows it.
pub fn minute(at: NaiveDateTime, lang: Lang) -> String {
    format!(
        "{} {}",
        weekday(at.weekday(), lang),
        at.format("%Y-%m-%d %H:%M")
    )
}

/// Names in backquotes, joined: `` `a`, `b` and `c` ``, or "nothing".
pub fn listing<S: AsRef<str>>(items: &[S], lang: Lang) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("`{}`", s.as_ref())).collect();
    match quoted.as_slice() {
        [] => msg!("scenario.nothing").render(lang),
        [one] => one.clone(),
        [init @ .., last] => msg!("scenario.and", init = init.join(", "), last = last).render(lang),
    }
}

/// `none` when `items` is empty, else the items joined by commas.
pub fn or_none(items: &[String], lang: Lang) -> String {
    if items.is_empty() {
        msg!("scenario.none").render(lang)
    } else {
        items.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_lists_read_in_each_language() {
        let date = NaiveDate::from_ymd_opt(2026, 4, 20).unwrap();
        assert_eq!(day(date, Lang::En), "Mon 2026-04-20");
        assert_eq!(day(date, Lang::Kk), "дс 2026-04-20");
        assert_eq!(day(date, Lang::Ru), "пн 2026-04-20");
        assert_eq!(listing(&["a", "b", "c"], Lang::En), "`a`, `b` and `c`");
        assert_eq!(listing(&["a", "b"], Lang::Ru), "`a` и `b`");
        assert_eq!(listing::<&str>(&[], Lang::Kk), "ештеңе");
    }
}
