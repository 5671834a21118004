//! `qyzmet iin --born 1952-03-15 --sex female`: valid, fictional IINs for scenarios and tests.
//!
//! A methodologist writing a scenario needs an IIN that the engine accepts (the control digit
//! right, the birth date and sex encoded) and that is plainly not a real person's. The numbers
//! are made by [`Iin::generate`], the same rules [`Iin::parse`] checks, with serial digits
//! (the 8th to the 11th) from [`TEST_SERIALS`]: that range is the project's mark of test
//! data. stdout carries only the IINs, one a line; bad input exits 2 with one line on stderr.

use std::process::ExitCode;

use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::calendar;
use crate::domain::{Iin, Sex};

/// The serial numbers (8th to 11th digits) of the IINs this command makes: 9000-9999 marks
/// a fictional person in this project's scenarios, examples and tests.
pub const TEST_SERIALS: std::ops::RangeInclusive<u16> = 9000..=9999;

/// Make valid fictional IINs: the birth date and sex encoded, the control digit computed.
///
/// The serial digits (the 8th to the 11th) are 9000-9999: in this project that range marks
/// test data, so a number made here is recognisably fictional. Different numbers each call,
/// or the same ones again with `--seed`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The date of birth (1800-01-01 to 2099-12-31), e.g. 1952-03-15 (required).
    #[arg(long, value_name = "YYYY-MM-DD", allow_hyphen_values = true)]
    born: Option<String>,
    /// male or female (required): with the century, it gives the 7th digit.
    #[arg(long, value_name = "male|female", allow_hyphen_values = true)]
    sex: Option<String>,
    /// How many different IINs to print (1 to 100).
    #[arg(
        long,
        value_name = "N",
        default_value = "1",
        allow_hyphen_values = true
    )]
    count: String,
    /// Make the same IINs on every call with the same seed (any whole number).
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    seed: Option<String>,
}

/// The most IINs one call prints: a scenario needs a few, and a birthday and sex has fewer
/// than a thousand test serials.
const MAX_COUNT: usize = 100;

/// Runs `qyzmet iin` and returns its exit status.
pub fn run(args: Args) -> ExitCode {
    match make(&args) {
        Ok(iins) => {
            for iin in iins {
                println!("{}", iin.as_str());
            }
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn make(args: &Args) -> Result<Vec<Iin>, String> {
    let born_text = args.born.as_deref().ok_or("--born is required")?;
    let born = calendar::parse_date(born_text)
        .ok_or_else(|| format!("--born: \"{born_text}\" is not a date (expected YYYY-MM-DD)"))?;
    let sex = match args.sex.as_deref() {
        None => return Err("--sex is required (male or female)".into()),
        Some("male") => Sex::Male,
        Some("female") => Sex::Female,
        Some(other) => return Err(format!("--sex: \"{other}\" is not male or female")),
    };
    let count: usize = args
        .count
        .parse()
        .ok()
        .filter(|n| (1..=MAX_COUNT).contains(n))
        .ok_or_else(|| {
            format!(
                "--count: \"{}\" is not a whole number from 1 to {MAX_COUNT}",
                args.count
            )
        })?;
    let mut rng = match &args.seed {
        Some(text) => StdRng::seed_from_u64(
            text.parse()
                .map_err(|_| format!("--seed: \"{text}\" is not a whole number, 0 or more"))?,
        ),
        None => StdRng::from_os_rng(),
    };
    // Every test serial that has a control digit, in a random order; the first `count`.
    let mut serials: Vec<u16> = TEST_SERIALS.collect();
    rand::seq::SliceRandom::shuffle(serials.as_mut_slice(), &mut rng);
    let iins: Vec<Iin> = serials
        .into_iter()
        .filter_map(|serial| Iin::generate(born, sex, serial))
        .take(count)
        .collect();
    if iins.is_empty() {
        return Err(format!(
            "--born: {born} is outside the years an IIN encodes (1800 to 2099)"
        ));
    }
    Ok(iins)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(born: &str, sex: &str, count: &str, seed: Option<&str>) -> Args {
        Args {
            born: Some(born.into()),
            sex: Some(sex.into()),
            count: count.into(),
            seed: seed.map(Into::into),
        }
    }

    #[test]
    fn makes_distinct_valid_test_iins() {
        let iins = make(&args("1952-03-15", "female", "100", Some("7"))).unwrap();
        let mut seen: Vec<&str> = iins.iter().map(Iin::as_str).collect();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 100);
        for iin in &iins {
            let parsed = Iin::parse(iin.as_str()).unwrap();
            assert_eq!(parsed.sex(), Sex::Female);
            assert_eq!(parsed.birth_date().to_string(), "1952-03-15");
            let serial: u16 = iin.as_str()[7..11].parse().unwrap();
            assert!(TEST_SERIALS.contains(&serial), "{}", iin.as_str());
        }
        let again = make(&args("1952-03-15", "female", "100", Some("7"))).unwrap();
        assert_eq!(iins, again);
    }

    #[test]
    fn refuses_bad_input_in_one_line() {
        let err = |a: Args| make(&a).unwrap_err();
        assert_eq!(
            err(args("1952-02-30", "male", "1", None)),
            "--born: \"1952-02-30\" is not a date (expected YYYY-MM-DD)"
        );
        assert_eq!(
            err(args("1952-03-15", "f", "1", None)),
            "--sex: \"f\" is not male or female"
        );
        assert_eq!(
            err(args("2100-01-01", "male", "1", None)),
            "--born: 2100-01-01 is outside the years an IIN encodes (1800 to 2099)"
        );
        assert_eq!(
            err(args("1952-03-15", "male", "0", None)),
            "--count: \"0\" is not a whole number from 1 to 100"
        );
    }
}
