//! Money and exact decimals: what `money` and `decimal` data are, how people type them, how
//! the case keeps them and how a citizen reads them.
//!
//! A ministry that pays money cannot compute in binary floating point: 1 000 000.10 − 999
//! 999.90 is 0.19999999995343387 there. Every number a definition declares `decimal` or
//! `money` is a [`Decimal`] (base 10, 28 significant digits) from the moment it is read to
//! the moment it is printed; `f64` appears only at the JSON edge of a `decimal`, see below.
//!
//! # Money
//!
//! [`Money`] is an amount in tenge with exactly two digits of tiyn. Arithmetic that can make
//! more digits (a share, a rate) rounds to the tiyn **half away from zero**, as a person does
//! on paper: 0.005 → 0.01, −0.005 → −0.01 ([`Money::from_decimal`]).
//!
//! # In the case's JSON
//!
//! - `money` is a JSON **string** with the canonical text, `"1850000.50"`: exact whatever the
//!   amount, the two tiyn digits kept, and `serde_json` (without its `arbitrary_precision`
//!   feature, which the engine does not enable) never turns it into a float. Old data holding
//!   a JSON number is still read ([`Money::from_json`]).
//! - `decimal` stays a JSON **number**, as it always was (other systems and old cases read it
//!   so): the `f64` nearest to the decimal's text. It is read back through the `f64`'s
//!   shortest text, which gives the same decimal for up to 15 significant digits — every
//!   figure a form or a gateway gives. Computation never happens in `f64`.
//!
//! **Architecture Invariant:** this module is the only place that turns text or JSON into a
//! number of these types, or a number into figures a person reads; an amount in words (the
//! decisions' "sum in words") is `notify::words`, from the figures this module gives.

use std::fmt;

pub use rust_decimal::Decimal;
use rust_decimal::RoundingStrategy;
use serde_json::Value;

use crate::runtime::Language;

/// Why a text or a JSON value is not an amount or a number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Not digits with at most one `,` or `.` before the fraction.
    #[error("`{0}` is not a number: write digits, with a comma or a dot before the fraction")]
    NotANumber(String),
    /// More than two digits after the separator: tiyn are two digits.
    #[error(
        "`{0}` has more than two digits after the comma: an amount has tenge and two digits of tiyn"
    )]
    TooPrecise(String),
    /// Too many digits for 28 significant ones.
    #[error("`{0}` is too large")]
    TooLarge(String),
    /// A JSON value that is neither a number nor text.
    #[error("{0} is not a number")]
    NotNumeric(&'static str),
}

/// An amount in tenge, with exactly two digits of tiyn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(Decimal);

impl Money {
    /// The amount of a decimal, rounded to the tiyn half away from zero.
    pub fn from_decimal(value: Decimal) -> Money {
        let mut rounded = value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        rounded.rescale(2);
        Money(rounded)
    }

    /// An amount as a person types it: `1 850 000,50`, `1850000.50`, `1850000`. More than two
    /// digits of tiyn is refused rather than rounded: nobody meant them.
    pub fn parse(text: &str) -> Result<Money, Error> {
        let value = parse_decimal(text)?;
        if value.normalize().scale() > 2 {
            return Err(Error::TooPrecise(text.trim().to_string()));
        }
        Ok(Money::from_decimal(value))
    }

    /// An amount from the case's JSON: its canonical string, or a number (old data, a
    /// gateway, a scenario's `432500`).
    pub fn from_json(value: &Value) -> Result<Money, Error> {
        match value {
            Value::String(text) => Money::parse(text),
            Value::Number(_) => {
                let value = decimal_from_json(value)?;
                if value.normalize().scale() > 2 {
                    return Err(Error::TooPrecise(value.to_string()));
                }
                Ok(Money::from_decimal(value))
            }
            other => Err(Error::NotNumeric(kind(other))),
        }
    }

    /// The amount as a decimal.
    pub fn amount(self) -> Decimal {
        self.0
    }

    /// The canonical text, `1850000.50`: what the case's JSON holds.
    pub fn canonical(self) -> String {
        self.0.to_string()
    }

    /// The JSON the case holds: the canonical text, as a string (see the module's doc).
    pub fn to_json(self) -> Value {
        Value::String(self.canonical())
    }

    /// What a citizen reads: `1 850 000,50 тенге` (ru), `1 850 000,50 теңге` (kk).
    pub fn display(self, lang: Language) -> String {
        let currency = match lang {
            Language::Kk => "теңге",
            Language::Ru => "тенге",
        };
        format!("{} {currency}", grouped(self.0))
    }
}

/// The canonical text.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical())
    }
}

/// A number as a person types it: spaces (plain or no-break) between groups of digits, a comma
/// or a dot before the fraction, an optional leading minus. `1,850,000.50` is refused: with
/// both marks, which one is the fraction's cannot be told.
pub fn parse_decimal(text: &str) -> Result<Decimal, Error> {
    let trimmed = text.trim();
    let not_a_number = || Error::NotANumber(trimmed.to_string());
    let mut digits = String::with_capacity(trimmed.len());
    let mut separators = 0;
    for (i, c) in trimmed.chars().enumerate() {
        match c {
            '0'..='9' => digits.push(c),
            '-' | '−' if i == 0 => digits.push('-'),
            ',' | '.' => {
                separators += 1;
                digits.push('.');
            }
            ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}' => {}
            _ => return Err(not_a_number()),
        }
    }
    let body = digits.trim_start_matches('-');
    if separators > 1
        || body.is_empty()
        || body.starts_with('.')
        || body.ends_with('.')
        || digits.len() - body.len() > 1
    {
        return Err(not_a_number());
    }
    Decimal::from_str_exact(&digits).map_err(|_| Error::TooLarge(trimmed.to_string()))
}

/// A decimal from the case's JSON: a number (see the module's doc for how a float is read),
/// or text as [`parse_decimal`] reads it.
pub fn decimal_from_json(value: &Value) -> Result<Decimal, Error> {
    match value {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                return Ok(Decimal::from(i));
            }
            if let Some(u) = n.as_u64() {
                return Ok(Decimal::from(u));
            }
            let f = n.as_f64().ok_or(Error::NotNumeric("a number"))?;
            // Rust prints the shortest text that reads back as the same f64, never with an
            // exponent: the decimal a person or a system meant when it wrote the number.
            let text = format!("{f}");
            Decimal::from_str_exact(&text).map_err(|_| Error::TooLarge(text))
        }
        Value::String(text) => parse_decimal(text),
        other => Err(Error::NotNumeric(kind(other))),
    }
}

/// A decimal as the case's JSON holds it: a number (see the module's doc). `None` only for a
/// decimal no `f64` comes near, which 28 digits cannot be.
pub fn decimal_to_json(value: Decimal) -> Value {
    value
        .to_string()
        .parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map_or(Value::Null, Value::Number)
}

/// A number as a person reads it here: groups of three digits with a space, a comma before
/// the fraction, no trailing zeros (`1 850 000,5`); money keeps its two digits of tiyn.
pub fn grouped(value: Decimal) -> String {
    let text = value.to_string();
    let (sign, text) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text, None),
    };
    let mut out = String::from(sign);
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(digit);
    }
    if let Some(fraction) = fraction {
        out.push(',');
        out.push_str(fraction);
    }
    out
}

/// A number for `{{number x}}`: [`grouped`], without trailing zeros after the comma.
pub fn number_text(value: Decimal) -> String {
    grouped(value.normalize())
}

/// What a JSON value is, for messages.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "true or false",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn dec(text: &str) -> Decimal {
        Decimal::from_str_exact(text).unwrap()
    }

    #[test]
    fn amounts_are_read_as_people_type_them() {
        // (typed, canonical)
        let cases = [
            ("1 850 000,50", "1850000.50"),
            ("1850000.50", "1850000.50"),
            ("1850000", "1850000.00"),
            ("1\u{a0}850\u{a0}000,5", "1850000.50"),
            ("  432500 ", "432500.00"),
            ("0,05", "0.05"),
            ("-10", "-10.00"),
        ];
        for (typed, canonical) in cases {
            assert_eq!(
                Money::parse(typed).map(Money::canonical),
                Ok(canonical.into()),
                "{typed}"
            );
        }
    }

    #[test]
    fn what_is_not_an_amount_is_refused_saying_why() {
        let cases = [
            (
                "",
                "`` is not a number: write digits, with a comma or a dot before the fraction",
            ),
            (
                "abc",
                "`abc` is not a number: write digits, with a comma or a dot before the fraction",
            ),
            (
                "1,850,000.50",
                "`1,850,000.50` is not a number: write digits, with a comma or a dot before the fraction",
            ),
            (
                "12,",
                "`12,` is not a number: write digits, with a comma or a dot before the fraction",
            ),
            (
                "1 000 тг",
                "`1 000 тг` is not a number: write digits, with a comma or a dot before the fraction",
            ),
            (
                "10,505",
                "`10,505` has more than two digits after the comma: an amount has tenge and two digits of tiyn",
            ),
        ];
        for (typed, message) in cases {
            assert_eq!(
                Money::parse(typed).unwrap_err().to_string(),
                message,
                "{typed}"
            );
        }
    }

    #[test]
    fn money_rounds_to_the_tiyn_half_away_from_zero() {
        // (exact, rounded)
        let cases = [
            ("0.005", "0.01"),
            ("-0.005", "-0.01"),
            ("0.0049", "0.00"),
            ("2.345", "2.35"),
            ("925000.255", "925000.26"),
        ];
        for (exact, rounded) in cases {
            assert_eq!(
                Money::from_decimal(dec(exact)).canonical(),
                rounded,
                "{exact}"
            );
        }
    }

    #[test]
    fn json_holds_money_as_text_and_reads_old_numbers() {
        let m = Money::parse("1 850 000,50").unwrap();
        assert_eq!(m.to_json(), json!("1850000.50"));
        assert_eq!(Money::from_json(&json!("1850000.50")), Ok(m));
        assert_eq!(Money::from_json(&json!(1850000.5)), Ok(m));
        assert_eq!(
            Money::from_json(&json!(432500)).map(Money::canonical),
            Ok("432500.00".into())
        );
        assert_eq!(
            Money::from_json(&json!(432500.0)).map(Money::canonical),
            Ok("432500.00".into())
        );
        assert!(Money::from_json(&json!(true)).is_err());
    }

    #[test]
    fn decimals_go_through_json_unchanged() {
        for text in [
            "0.2",
            "1000000.1",
            "999999.9",
            "0.0000001",
            "123456789012.345",
            "-5",
        ] {
            let d = dec(text);
            assert_eq!(decimal_from_json(&decimal_to_json(d)), Ok(d), "{text}");
        }
        assert_eq!(
            dec("1000000.10") - dec("999999.90"),
            dec("0.20"),
            "the issue's subtraction"
        );
    }

    #[test]
    fn numbers_print_grouped_with_a_comma() {
        let m = Money::parse("1850000.5").unwrap();
        assert_eq!(m.display(Language::Ru), "1 850 000,50 тенге");
        assert_eq!(m.display(Language::Kk), "1 850 000,50 теңге");
        assert_eq!(
            Money::parse("999").unwrap().display(Language::Ru),
            "999,00 тенге"
        );
        assert_eq!(
            Money::parse("-1000").unwrap().display(Language::Ru),
            "-1 000,00 тенге"
        );
        assert_eq!(number_text(dec("1850000.500")), "1 850 000,5");
        assert_eq!(number_text(dec("100000")), "100 000");
        assert_eq!(number_text(dec("0.25")), "0,25");
    }
}
