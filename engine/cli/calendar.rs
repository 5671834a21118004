//! `qyzmet calendar …`: the working-day calendar from the command line.
//!
//! The output is meant for scripts and for the acceptance checks: stdout carries only the
//! answer (dates as `YYYY-MM-DD`, one per line, or a number); warnings and errors go to
//! stderr. Bad input exits with status 2 and exactly one line on stderr saying what is
//! wrong, so values are taken as optional strings and checked here: a count of `-3` or a
//! missing `--year` must not become clap's multi-line usage text.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::Subcommand;

use crate::calendar::{self, Calendar};

/// Working-day calendar: non-working days, deadlines, evidence.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Every non-working date of a year, weekends included, one per line.
    NonWorking {
        /// The year, e.g. 2026 (required).
        #[arg(long, value_name = "YYYY", allow_hyphen_values = true)]
        year: Option<String>,
        #[command(flatten)]
        source: Source,
    },
    /// The weekend dates made working days by an order, one per line.
    WorkingWeekends {
        /// The year, e.g. 2025 (required).
        #[arg(long, value_name = "YYYY", allow_hyphen_values = true)]
        year: Option<String>,
        #[command(flatten)]
        source: Source,
    },
    /// The Nth working day strictly after a date (the date itself is not counted); with a
    /// negative N (`--working-days -4`), the Nth working day strictly before it, for "no later
    /// than N working days before".
    Add {
        /// The date counted from (required).
        #[arg(long, value_name = "YYYY-MM-DD", allow_hyphen_values = true)]
        from: Option<String>,
        /// How many working days: 0 or more counts forward, -N counts back (required).
        #[arg(long, value_name = "N", allow_hyphen_values = true)]
        working_days: Option<String>,
        /// Print the evidence below the date: every day skipped and counted, and why.
        #[arg(long)]
        explain: bool,
        #[command(flatten)]
        source: Source,
    },
    /// The number of working days d with FROM < d <= TO (negative when TO is before FROM).
    Between {
        /// The start, not itself counted (required).
        #[arg(long, value_name = "YYYY-MM-DD", allow_hyphen_values = true)]
        from: Option<String>,
        /// The end, counted (required).
        #[arg(long, value_name = "YYYY-MM-DD", allow_hyphen_values = true)]
        to: Option<String>,
        #[command(flatten)]
        source: Source,
    },
}

/// Which calendar to read.
#[derive(Debug, clap::Args)]
struct Source {
    /// The calendar id (a directory under the calendar directory).
    #[arg(long, default_value = calendar::DEFAULT_ID)]
    calendar: String,
    /// The directory holding the calendars [default: $QYZMET_CALENDAR_DIR or `calendars`].
    #[arg(long)]
    calendar_dir: Option<PathBuf>,
}

impl Source {
    fn load(&self) -> Result<Calendar, Failure> {
        let dir = self
            .calendar_dir
            .clone()
            .unwrap_or_else(Calendar::default_dir);
        Calendar::load(&dir, &self.calendar).map_err(Failure::from)
    }
}

/// Why the command failed: bad input is one line; broken calendar files may be several
/// diagnostics, each with its `file:line:column`.
enum Failure {
    Input(String),
    Calendar(calendar::Error),
}

impl From<calendar::Error> for Failure {
    fn from(e: calendar::Error) -> Self {
        Failure::Calendar(e)
    }
}

/// Runs `qyzmet calendar …` and returns its exit status.
pub fn run(args: Args) -> ExitCode {
    match execute(args.command) {
        Ok(out) => {
            for w in &out.warnings {
                eprintln!("warning: {w}");
            }
            print!("{}", out.stdout);
            ExitCode::SUCCESS
        }
        Err(Failure::Input(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Calendar(calendar::Error::Invalid(diags))) => {
            for d in diags {
                eprintln!("{d}");
            }
            ExitCode::from(2)
        }
        Err(Failure::Calendar(e)) => {
            eprintln!("error: {}", one_line(&e.to_string()));
            ExitCode::from(2)
        }
    }
}

struct Output {
    stdout: String,
    warnings: Vec<String>,
}

fn execute(command: Command) -> Result<Output, Failure> {
    match command {
        Command::NonWorking { year, source } => {
            let year = parse_year(&required("--year", year)?)?;
            let cal = source.load()?;
            let dates = cal.non_working_dates(year)?;
            Ok(Output {
                stdout: lines(&dates),
                warnings: provisional(&cal, year)?,
            })
        }
        Command::WorkingWeekends { year, source } => {
            let year = parse_year(&required("--year", year)?)?;
            let cal = source.load()?;
            let dates = cal.working_weekends(year)?;
            Ok(Output {
                stdout: lines(&dates),
                warnings: provisional(&cal, year)?,
            })
        }
        Command::Add {
            from,
            working_days,
            explain,
            source,
        } => {
            let from = parse_date("--from", &required("--from", from)?)?;
            let n = parse_count("--working-days", &required("--working-days", working_days)?)?;
            let cal = source.load()?;
            // "-0" is read as 0 forward: the first day that could count, the same either way
            // when `from` is a working day.
            let deadline = match n {
                Count::Forward(n) => cal.add_working_days(from, n)?,
                Count::Back(n) => cal.subtract_working_days(from, n)?,
            };
            let mut stdout = format!("{}\n", deadline.result);
            if explain {
                stdout.push_str(&format!("{deadline}\n"));
            }
            Ok(Output {
                stdout,
                warnings: provisional_span(&cal, from, deadline.result),
            })
        }
        Command::Between { from, to, source } => {
            let from = parse_date("--from", &required("--from", from)?)?;
            let to = parse_date("--to", &required("--to", to)?)?;
            let cal = source.load()?;
            let n = cal.working_days_between(from, to)?;
            Ok(Output {
                stdout: format!("{n}\n"),
                warnings: provisional_span(&cal, from, to),
            })
        }
    }
}

fn lines(dates: &[NaiveDate]) -> String {
    dates.iter().map(|d| format!("{d}\n")).collect()
}

/// One warning line for a provisional year, none for a definitive one.
fn provisional(cal: &Calendar, year: i32) -> Result<Vec<String>, Failure> {
    Ok(cal
        .year_status(year)?
        .map(|why| {
            vec![format!(
                "the calendar for {year} is provisional: {}",
                one_line(why)
            )]
        })
        .unwrap_or_default())
}

/// At most one warning line naming every provisional year a computation touched.
fn provisional_span(cal: &Calendar, from: NaiveDate, to: NaiveDate) -> Vec<String> {
    let years = cal.provisional_years(from, to);
    if years.is_empty() {
        return Vec::new();
    }
    let list: Vec<String> = years
        .iter()
        .map(|(y, why)| format!("{y} ({})", one_line(why)))
        .collect();
    vec![format!(
        "the result uses a provisional calendar year: {}",
        list.join("; ")
    )]
}

/// Folds a message onto one line, so stderr keeps its one-line-per-problem shape.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn required(flag: &str, value: Option<String>) -> Result<String, Failure> {
    value.ok_or_else(|| Failure::Input(format!("{flag} is required")))
}

fn parse_date(flag: &str, text: &str) -> Result<NaiveDate, Failure> {
    calendar::parse_date(text).ok_or_else(|| {
        Failure::Input(format!(
            "{flag}: \"{text}\" is not a date (expected YYYY-MM-DD)"
        ))
    })
}

fn parse_year(text: &str) -> Result<i32, Failure> {
    let ok = text.len() == 4 && text.bytes().all(|b| b.is_ascii_digit());
    text.parse().ok().filter(|_| ok).ok_or_else(|| {
        Failure::Input(format!(
            "--year: \"{text}\" is not a year (expected four digits, e.g. 2026)"
        ))
    })
}

/// A count of working days on the command line: `N` counts forward, `-N` back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Count {
    Forward(u32),
    Back(u32),
}

fn parse_count(flag: &str, text: &str) -> Result<Count, Failure> {
    let (back, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Failure::Input(format!(
            "{flag}: \"{text}\" is not a whole number (expected N to count forward, -N to count back)"
        )));
    }
    let n = digits
        .parse()
        .map_err(|_| Failure::Input(format!("{flag}: \"{text}\" is too large")))?;
    Ok(match (back, n) {
        (true, n) if n > 0 => Count::Back(n),
        (_, n) => Count::Forward(n),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_forward_and_back() {
        let ok = |t: &str| parse_count("--working-days", t).ok();
        assert_eq!(ok("4"), Some(Count::Forward(4)));
        assert_eq!(ok("-4"), Some(Count::Back(4)));
        assert_eq!(ok("0"), Some(Count::Forward(0)));
        assert_eq!(ok("-0"), Some(Count::Forward(0)));
        for bad in ["", "-", "five", "--4", "4.5", "+4", "99999999999"] {
            assert!(ok(bad).is_none(), "{bad}");
        }
    }
}
