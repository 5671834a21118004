//! Amounts in words: what `{{money_words x}}` prints.
//!
//! The decision forms of the monthly payments write the amount "in figures and in words"
//! (seeds/000 appendix 2: "Extent of the public assistance ... _______ tenge (______ tenge)
//! (sum in words)"; appendix 3 twice, the amount before and after the increase). A person
//! checks one against the other, so the words must be the amount exactly.
//!
//! # The form we print
//!
//! Kazakhstan's payment documents write the whole tenge in words and the tiyn in figures
//! («Сто двадцать тысяч тенге 00 тиын»). On the decision the words stand in brackets after
//! the figures, inside a sentence, so they are printed in lowercase, and the tiyn part only
//! when there is one:
//!
//! | amount | ru | kk |
//! | --- | --- | --- |
//! | `120000.00` | `сто двадцать тысяч тенге` | `жүз жиырма мың теңге` |
//! | `120000.50` | `сто двадцать тысяч тенге 50 тиын` | `жүз жиырма мың теңге 50 тиын` |
//! | `0.00` | `ноль тенге` | `нөл теңге` |
//!
//! The whole amount reads exactly as issue #16 writes it; the figures beside the words
//! already show `,00`, and «00 тиын» in words would tell the reader nothing more. The tiyn are
//! two digits (`05 тиын`), as the figures have them; the word is «тиын» in both languages, as
//! the payment documents write it (the currency's name, not declined).
//!
//! **Russian**: the numerals agree with the word they count — тысяча is feminine (одна
//! тысяча, две тысячи, двадцать одна тысяча), миллион and миллиард masculine (один миллион,
//! два миллиарда) — and the word takes its plural by the last two digits (одна тысяча, две
//! тысячи, пять тысяч, одиннадцать тысяч). «Одна тысяча» and «один миллион» keep their «one»,
//! as official documents write them. тенге does not decline.
//!
//! **Kazakh**: numerals do not decline and the words they count stay singular (екі мың, бес
//! миллион). A hundred is «жүз», never «бір жүз» (жүз жиырма мың — the issue's own example,
//! and how Kazakh is spoken and written); a thousand, a million and a milliard keep their
//! «бір» (бір мың, бір миллион), as Kazakh official texts write them (years: «бір мың тоғыз
//! жүз тоқсан бірінші жыл»). Inside a larger number the same rules hold: 1 100 is «бір мың
//! жүз», 101 000 «жүз бір мың».
//!
//! A payment is never negative: a negative amount is refused, as is one of a quadrillion
//! tenge or more (the largest word here is триллион), rather than printed wrongly.
//!
//! No crate was used: `num2words2-core` 0.1.3 (a port of Python's num2words, 120 languages)
//! prints Russian correctly but Kazakh not — 0 as the English "zero", 100 as «бір жүз», so
//! 120 000 as «бір жүз жиырма мың», and every number from a milliard up as bare digits; and
//! `number-to-words-ru` has no Kazakh. Two tables and one loop are smaller than either.

use crate::money::{Decimal, Money};
use crate::runtime::Language;

/// Why an amount is not written in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A payment is never negative.
    #[error("`{0}` is negative: an amount in words is never negative")]
    Negative(Money),
    /// A quadrillion tenge or more: no word here for it.
    #[error("`{0}` is too large to write in words (at most 999 999 999 999 999,99)")]
    TooLarge(Money),
}

/// The amount in words in `lang`: the tenge in words, the tiyn in figures when there are
/// any (see the module's doc).
pub fn in_words(amount: Money, lang: Language) -> Result<String, Error> {
    let mut exact = amount.amount();
    exact.rescale(2);
    let hundredths = exact.mantissa();
    if hundredths < 0 {
        return Err(Error::Negative(amount));
    }
    let tenge = hundredths / 100;
    let tiyn = hundredths % 100;
    if tenge >= 1_000_000_000_000_000 {
        return Err(Error::TooLarge(amount));
    }
    let (words, currency) = match lang {
        Language::Ru => (russian(tenge as u64), "тенге"),
        Language::Kk => (kazakh(tenge as u64), "теңге"),
    };
    Ok(if tiyn == 0 {
        format!("{words} {currency}")
    } else {
        format!("{words} {currency} {tiyn:02} тиын")
    })
}

/// An amount of `money` as `{{money_words x}}` takes it: the case's JSON, rounded to the
/// tiyn as `{{money x}}` rounds it.
pub fn of_decimal(value: Decimal, lang: Language) -> Result<String, Error> {
    in_words(Money::from_decimal(value), lang)
}

/// The longest text [`in_words`] gives for an amount below a trillion tenge, in characters,
/// in either language: the bound the SMS budget check assumes for `{{money_words x}}`, as it
/// assumes 16 characters for a `money` value.
pub const MAX_CHARS: usize = 157;

/// The scales above the units: a group of three digits is followed by its scale's word.
const SCALES: usize = 4;

// ── Russian ──────────────────────────────────────────────────────────────────────────────────

const RU_ONES: [&str; 10] = [
    "",
    "один",
    "два",
    "три",
    "четыре",
    "пять",
    "шесть",
    "семь",
    "восемь",
    "девять",
];
const RU_TEENS: [&str; 10] = [
    "десять",
    "одиннадцать",
    "двенадцать",
    "тринадцать",
    "четырнадцать",
    "пятнадцать",
    "шестнадцать",
    "семнадцать",
    "восемнадцать",
    "девятнадцать",
];
const RU_TENS: [&str; 10] = [
    "",
    "",
    "двадцать",
    "тридцать",
    "сорок",
    "пятьдесят",
    "шестьдесят",
    "семьдесят",
    "восемьдесят",
    "девяносто",
];
const RU_HUNDREDS: [&str; 10] = [
    "",
    "сто",
    "двести",
    "триста",
    "четыреста",
    "пятьсот",
    "шестьсот",
    "семьсот",
    "восемьсот",
    "девятьсот",
];
/// Each scale's word for one, for two to four, for five and more; whether it is feminine.
const RU_SCALES: [([&str; 3], bool); SCALES] = [
    (["тысяча", "тысячи", "тысяч"], true),
    (["миллион", "миллиона", "миллионов"], false),
    (["миллиард", "миллиарда", "миллиардов"], false),
    (["триллион", "триллиона", "триллионов"], false),
];

fn russian(n: u64) -> String {
    if n == 0 {
        return "ноль".into();
    }
    let mut words = Vec::new();
    for (scale, group) in groups(n) {
        if group == 0 {
            continue;
        }
        let feminine = scale > 0 && RU_SCALES[scale - 1].1;
        russian_group(group, feminine, &mut words);
        if scale > 0 {
            let forms = RU_SCALES[scale - 1].0;
            words.push(forms[russian_plural(group)]);
        }
    }
    words.join(" ")
}

/// 1..=999 in words; `feminine` for a count of тысячи (одна, две).
fn russian_group(n: u64, feminine: bool, words: &mut Vec<&'static str>) {
    let (hundreds, rest) = ((n / 100) as usize, n % 100);
    if hundreds > 0 {
        words.push(RU_HUNDREDS[hundreds]);
    }
    let (tens, ones) = ((rest / 10) as usize, (rest % 10) as usize);
    if tens == 1 {
        words.push(RU_TEENS[ones]);
        return;
    }
    if tens > 1 {
        words.push(RU_TENS[tens]);
    }
    match (ones, feminine) {
        (0, _) => {}
        (1, true) => words.push("одна"),
        (2, true) => words.push("две"),
        _ => words.push(RU_ONES[ones]),
    }
}

/// Which form a counted word takes after `n`: 0 one (21), 1 two to four (22), 2 five and
/// more, and eleven to fourteen (25, 11, 12).
fn russian_plural(n: u64) -> usize {
    match (n % 100, n % 10) {
        (11..=14, _) => 2,
        (_, 1) => 0,
        (_, 2..=4) => 1,
        _ => 2,
    }
}

// ── Kazakh ───────────────────────────────────────────────────────────────────────────────────

const KK_ONES: [&str; 10] = [
    "",
    "бір",
    "екі",
    "үш",
    "төрт",
    "бес",
    "алты",
    "жеті",
    "сегіз",
    "тоғыз",
];
const KK_TENS: [&str; 10] = [
    "",
    "он",
    "жиырма",
    "отыз",
    "қырық",
    "елу",
    "алпыс",
    "жетпіс",
    "сексен",
    "тоқсан",
];
const KK_SCALES: [&str; SCALES] = ["мың", "миллион", "миллиард", "триллион"];

fn kazakh(n: u64) -> String {
    if n == 0 {
        return "нөл".into();
    }
    let mut words = Vec::new();
    for (scale, group) in groups(n) {
        if group == 0 {
            continue;
        }
        kazakh_group(group, &mut words);
        if scale > 0 {
            words.push(KK_SCALES[scale - 1]);
        }
    }
    words.join(" ")
}

/// 1..=999 in words: a hundred is «жүз», two hundred «екі жүз».
fn kazakh_group(n: u64, words: &mut Vec<&'static str>) {
    let (hundreds, tens, ones) = (
        (n / 100) as usize,
        (n / 10 % 10) as usize,
        (n % 10) as usize,
    );
    if hundreds > 1 {
        words.push(KK_ONES[hundreds]);
    }
    if hundreds > 0 {
        words.push("жүз");
    }
    if tens > 0 {
        words.push(KK_TENS[tens]);
    }
    if ones > 0 {
        words.push(KK_ONES[ones]);
    }
}

/// The groups of three digits of `n`, the highest first, each with its scale (0 the units,
/// 1 the thousands…).
fn groups(n: u64) -> Vec<(usize, u64)> {
    let mut out = Vec::new();
    let mut rest = n;
    let mut scale = 0;
    while rest > 0 {
        out.push((scale, rest % 1000));
        rest /= 1000;
        scale += 1;
    }
    out.reverse();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(amount: &str, lang: Language) -> String {
        in_words(Money::parse(amount).unwrap(), lang).unwrap()
    }

    /// `(amount, ru, kk)`, each checked by hand.
    #[test]
    fn amounts_read_in_words_as_the_decision_forms_write_them() {
        let cases = [
            ("0", "ноль тенге", "нөл теңге"),
            ("1", "один тенге", "бір теңге"),
            ("2", "два тенге", "екі теңге"),
            ("5", "пять тенге", "бес теңге"),
            ("11", "одиннадцать тенге", "он бір теңге"),
            ("21", "двадцать один тенге", "жиырма бір теңге"),
            ("100", "сто тенге", "жүз теңге"),
            ("101", "сто один тенге", "жүз бір теңге"),
            ("1000", "одна тысяча тенге", "бір мың теңге"),
            ("1001", "одна тысяча один тенге", "бір мың бір теңге"),
            ("2000", "две тысячи тенге", "екі мың теңге"),
            ("5000", "пять тысяч тенге", "бес мың теңге"),
            (
                "21000",
                "двадцать одна тысяча тенге",
                "жиырма бір мың теңге",
            ),
            ("120000", "сто двадцать тысяч тенге", "жүз жиырма мың теңге"),
            ("1000000", "один миллион тенге", "бір миллион теңге"),
            ("2000000", "два миллиона тенге", "екі миллион теңге"),
            (
                "1234567.89",
                "один миллион двести тридцать четыре тысячи пятьсот шестьдесят семь тенге 89 тиын",
                "бір миллион екі жүз отыз төрт мың бес жүз алпыс жеті теңге 89 тиын",
            ),
            // The plurals and genders around them.
            ("11000", "одиннадцать тысяч тенге", "он бір мың теңге"),
            ("12000", "двенадцать тысяч тенге", "он екі мың теңге"),
            ("22000", "двадцать две тысячи тенге", "жиырма екі мың теңге"),
            (
                "111000",
                "сто одиннадцать тысяч тенге",
                "жүз он бір мың теңге",
            ),
            ("1100", "одна тысяча сто тенге", "бір мың жүз теңге"),
            ("101000", "сто одна тысяча тенге", "жүз бір мың теңге"),
            ("5000000", "пять миллионов тенге", "бес миллион теңге"),
            (
                "21000000",
                "двадцать один миллион тенге",
                "жиырма бір миллион теңге",
            ),
            ("1000000000", "один миллиард тенге", "бір миллиард теңге"),
            (
                "3002000001",
                "три миллиарда два миллиона один тенге",
                "үш миллиард екі миллион бір теңге",
            ),
            ("2000000000000", "два триллиона тенге", "екі триллион теңге"),
            (
                "432500",
                "четыреста тридцать две тысячи пятьсот тенге",
                "төрт жүз отыз екі мың бес жүз теңге",
            ),
            (
                "69049",
                "шестьдесят девять тысяч сорок девять тенге",
                "алпыс тоғыз мың қырық тоғыз теңге",
            ),
            (
                "999999",
                "девятьсот девяносто девять тысяч девятьсот девяносто девять тенге",
                "тоғыз жүз тоқсан тоғыз мың тоғыз жүз тоқсан тоғыз теңге",
            ),
            // The tiyn: in figures, two digits, only when there are some.
            (
                "120000.5",
                "сто двадцать тысяч тенге 50 тиын",
                "жүз жиырма мың теңге 50 тиын",
            ),
            ("0.05", "ноль тенге 05 тиын", "нөл теңге 05 тиын"),
            ("40.00", "сорок тенге", "қырық теңге"),
        ];
        for (amount, ru, kk) in cases {
            assert_eq!(words(amount, Language::Ru), ru, "{amount} ru");
            assert_eq!(words(amount, Language::Kk), kk, "{amount} kk");
        }
    }

    #[test]
    fn a_negative_or_unwritable_amount_is_refused() {
        let negative = Money::parse("-1").unwrap();
        assert_eq!(
            in_words(negative, Language::Ru).unwrap_err().to_string(),
            "`-1.00` is negative: an amount in words is never negative"
        );
        let huge = Money::parse("1000000000000000").unwrap();
        assert!(matches!(
            in_words(huge, Language::Kk),
            Err(Error::TooLarge(_))
        ));
        assert_eq!(
            words("999999999999999.99", Language::Ru).split(' ').next(),
            Some("девятьсот")
        );
    }

    /// [`MAX_CHARS`] is the longest text below a trillion: each group of three digits is
    /// written on its own, so the longest is the longest group at each scale, with 99 tiyn.
    #[test]
    fn the_bound_for_sms_is_the_longest_amount_below_a_trillion() {
        let longest = |lang: Language| {
            let mut digits = String::new();
            for scale in (0..4).rev() {
                let group = (1..1000u64)
                    .max_by_key(|g| {
                        let n = g * 1000u64.pow(scale);
                        match lang {
                            Language::Ru => russian(n),
                            Language::Kk => kazakh(n),
                        }
                        .chars()
                        .count()
                    })
                    .unwrap();
                digits.push_str(&format!("{group:03}"));
            }
            let amount = format!("{}.99", digits.trim_start_matches('0'));
            (words(&amount, lang).chars().count(), amount)
        };
        let (ru, ru_amount) = longest(Language::Ru);
        let (kk, kk_amount) = longest(Language::Kk);
        assert_eq!(
            ru.max(kk),
            MAX_CHARS,
            "ru {ru_amount}: {ru}, kk {kk_amount}: {kk}"
        );
    }
}
