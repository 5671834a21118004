//! Rendering: every template of `templates/` compiled once, in strict mode.
//!
//! A template is a folder, `templates/<id>/`, with one file per language and part:
//! `kk.sms.hbs`, `ru.subject.hbs`, `kk.text.hbs`, `ru.html.hbs`… Shared partials live in
//! `templates/_partials/<lang>.<name>.hbs` and are cited by name alone (`{{> deadline}}`):
//! each language has its own registry, so a Kazakh template gets the Kazakh partial.
//!
//! Two registries per language: plain text (SMS, subject, text body) is rendered without
//! HTML escaping — a citizen's SMS must not read `&quot;` — and HTML (documents, an e-mail's
//! HTML body) with it. Strict mode: a variable the data do not hold is an error, never an
//! empty gap in a letter. Dates print as `dd.mm.yyyy` through the `date` helper, amounts as
//! `1 850 000,50 тенге` through `money` (in the registry's language) and in words, `сто
//! двадцать тысяч тенге`, through `money_words` (see [`super::words`]), and decimals as
//! `1 850 000,5` through `number`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate};
use handlebars::{
    Context, Handlebars, Helper, HelperDef, HelperResult, Output, RenderContext, RenderError,
    RenderErrorReason,
};
use serde_json::Value;

use super::Error;
use crate::money::{Money, decimal_from_json, number_text};
use crate::runtime::Language;

/// The folder of shared partials inside the templates folder.
pub const PARTIALS: &str = "_partials";

/// The languages every template exists in.
pub const LANGUAGES: [Language; 2] = [Language::Kk, Language::Ru];

/// A part of a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Part {
    /// The SMS text.
    Sms,
    /// The e-mail subject.
    Subject,
    /// The e-mail's plain-text body.
    Text,
    /// A document, or an e-mail's HTML body.
    Html,
}

impl Part {
    /// The part's name in file names.
    pub fn name(self) -> &'static str {
        match self {
            Part::Sms => "sms",
            Part::Subject => "subject",
            Part::Text => "text",
            Part::Html => "html",
        }
    }

    fn parse(name: &str) -> Option<Part> {
        Some(match name {
            "sms" => Part::Sms,
            "subject" => Part::Subject,
            "text" => Part::Text,
            "html" => Part::Html,
            _ => return None,
        })
    }
}

/// The code of a language in file names and in `vars.language`.
pub fn lang_code(lang: Language) -> &'static str {
    match lang {
        Language::Kk => "kk",
        Language::Ru => "ru",
    }
}

/// The language a code names.
pub fn parse_lang(code: &str) -> Option<Language> {
    match code {
        "kk" => Some(Language::Kk),
        "ru" => Some(Language::Ru),
        _ => None,
    }
}

/// The file of a template part.
pub fn file_name(lang: Language, part: Part) -> String {
    format!("{}.{}.hbs", lang_code(lang), part.name())
}

/// Every template of a folder, compiled.
pub struct Templates {
    /// The folder they were read from.
    dir: PathBuf,
    /// Per language: (plain text, HTML).
    registries: BTreeMap<&'static str, (Handlebars<'static>, Handlebars<'static>)>,
    /// The sources, by (template, language code, part), for the checks.
    sources: BTreeMap<(String, &'static str, Part), String>,
    /// The partials' sources, by (language code, name).
    partials: BTreeMap<(&'static str, String), String>,
}

impl Templates {
    /// Reads and compiles every template under `dir`; all syntax errors at once.
    pub fn load(dir: &Path) -> Result<Templates, Error> {
        let mut registries = BTreeMap::new();
        for lang in LANGUAGES {
            registries.insert(
                lang_code(lang),
                (registry(lang, false), registry(lang, true)),
            );
        }
        let mut sources = BTreeMap::new();
        let mut partials = BTreeMap::new();
        let mut errors = Vec::new();
        let entries = read_dir_sorted(dir).map_err(|e| Error::Templates {
            dir: dir.to_path_buf(),
            errors: vec![e],
        })?;
        for folder in entries.iter().filter(|p| p.is_dir()) {
            let id = file_stem(folder);
            let files = match read_dir_sorted(folder) {
                Ok(files) => files,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            for file in files {
                let name = file_stem(&file);
                let Some(rest) = name.strip_suffix(".hbs") else {
                    continue;
                };
                let Some((code, part)) = rest.split_once('.') else {
                    continue;
                };
                let Some(lang) = parse_lang(code) else {
                    continue;
                };
                let code = lang_code(lang);
                let source = match std::fs::read_to_string(&file) {
                    Ok(s) => s,
                    Err(e) => {
                        errors.push(format!("{}: {e}", file.display()));
                        continue;
                    }
                };
                let (text, html) = registries.get_mut(code).expect("both languages");
                if id == PARTIALS {
                    for r in [&mut *text, &mut *html] {
                        if let Err(e) = r.register_partial(part, &source) {
                            errors.push(format!("{}: {e}", file.display()));
                        }
                    }
                    partials.insert((code, part.to_string()), source);
                    continue;
                }
                let Some(part) = Part::parse(part) else {
                    continue;
                };
                let r = if part == Part::Html { html } else { text };
                if let Err(e) = r.register_template_string(&key(&id, part), &source) {
                    errors.push(format!("{}: {e}", file.display()));
                    continue;
                }
                sources.insert((id.clone(), code, part), source);
            }
        }
        if !errors.is_empty() {
            return Err(Error::Templates {
                dir: dir.to_path_buf(),
                errors,
            });
        }
        Ok(Templates {
            dir: dir.to_path_buf(),
            registries,
            sources,
            partials,
        })
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether a template has this part in this language.
    pub fn has(&self, template: &str, lang: Language, part: Part) -> bool {
        self.sources
            .contains_key(&(template.to_string(), lang_code(lang), part))
    }

    /// The source of a template part.
    pub fn source(&self, template: &str, lang: Language, part: Part) -> Option<&str> {
        self.sources
            .get(&(template.to_string(), lang_code(lang), part))
            .map(String::as_str)
    }

    /// The source of a partial.
    pub fn partial(&self, lang: Language, name: &str) -> Option<&str> {
        self.partials
            .get(&(lang_code(lang), name.to_string()))
            .map(String::as_str)
    }

    /// Renders one part. Text parts come back trimmed; a subject on one line.
    pub fn render(
        &self,
        template: &str,
        lang: Language,
        part: Part,
        vars: &Value,
    ) -> Result<String, Error> {
        if !self.has(template, lang, part) {
            return Err(Error::MissingTemplate {
                template: template.to_string(),
                file: file_name(lang, part),
            });
        }
        let (text, html) = &self.registries[lang_code(lang)];
        let r = if part == Part::Html { html } else { text };
        let out = r
            .render(&key(template, part), vars)
            .map_err(|e| Error::Render {
                template: template.to_string(),
                file: file_name(lang, part),
                reason: e.to_string(),
            })?;
        Ok(match part {
            Part::Subject => out.split_whitespace().collect::<Vec<_>>().join(" "),
            Part::Sms | Part::Text => out.trim().to_string(),
            Part::Html => out,
        })
    }
}

/// The name a template part is registered under.
fn key(template: &str, part: Part) -> String {
    format!("{template}/{}", part.name())
}

fn registry(lang: Language, html: bool) -> Handlebars<'static> {
    let mut r = Handlebars::new();
    r.set_strict_mode(true);
    if !html {
        r.register_escape_fn(handlebars::no_escape);
    }
    r.register_helper("date", Box::new(date_helper));
    r.register_helper("money", Box::new(NumberHelper::Money(lang, html)));
    r.register_helper("money_words", Box::new(NumberHelper::MoneyWords(lang)));
    r.register_helper("number", Box::new(NumberHelper::Number(html)));
    r
}

/// `{{money x}}`: an amount as a citizen reads it, `1 850 000,50 тенге` (ru) or
/// `1 850 000,50 теңге` (kk), rounded to the tiyn; `{{number x}}`: a decimal with its
/// thousands grouped and a comma, `1 850 000,5`. In SMS and e-mail text the groups are split
/// by a plain space: every phone shows it, and GSM-7 has no no-break space. In HTML (documents,
/// e-mail bodies) by a no-break space, so that a printed decision never splits an amount
/// across lines (`599 700,00` / `тенге`). `{{money_words x}}`: the amount in words in the
/// registry's language, `сто двадцать тысяч тенге` / `жүз жиырма мың теңге` (see
/// [`super::words`]); words may wrap, so their spaces stay plain; a negative amount is an
/// error, never printed. A missing value is an error, as in strict mode; null prints nothing.
enum NumberHelper {
    /// `money`, in the registry's language; whether the registry is HTML's.
    Money(Language, bool),
    /// `money_words`, in the registry's language.
    MoneyWords(Language),
    /// `number`; whether the registry is HTML's.
    Number(bool),
}

impl HelperDef for NumberHelper {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let name = match self {
            NumberHelper::Money(..) => "money",
            NumberHelper::MoneyWords(_) => "money_words",
            NumberHelper::Number(_) => "number",
        };
        let param = h
            .param(0)
            .ok_or(RenderErrorReason::ParamNotFoundForIndex(name, 0))?;
        if param.is_value_missing() {
            return Err(RenderErrorReason::MissingVariable(
                param.relative_path().map(|p| p.to_string()),
            )
            .into());
        }
        if param.value().is_null() {
            return Ok(());
        }
        let value = decimal_from_json(param.value()).map_err(|_| {
            RenderErrorReason::Other(format!("`{}` is not a number", param.value()))
        })?;
        let (text, html) = match self {
            NumberHelper::Money(lang, html) => (Money::from_decimal(value).display(*lang), *html),
            NumberHelper::MoneyWords(lang) => (
                super::words::of_decimal(value, *lang)
                    .map_err(|e| RenderErrorReason::Other(e.to_string()))?,
                false,
            ),
            NumberHelper::Number(html) => (number_text(value), *html),
        };
        let text = if html {
            text.replace(' ', "\u{a0}")
        } else {
            text
        };
        out.write(&text).map_err(RenderError::from)
    }
}

/// `{{date x}}`: an ISO date (`2026-04-20`) or an RFC 3339 instant, printed `20.04.2026`
/// (an instant in Asia/Almaty time). A missing value is an error, as in strict mode; null
/// prints nothing (an optional date not given).
fn date_helper(
    h: &Helper<'_>,
    _: &Handlebars<'_>,
    _: &Context,
    _: &mut RenderContext<'_, '_>,
    out: &mut dyn Output,
) -> HelperResult {
    let param = h
        .param(0)
        .ok_or_else(|| RenderErrorReason::ParamNotFoundForIndex("date", 0))?;
    if param.is_value_missing() {
        return Err(RenderErrorReason::MissingVariable(
            param.relative_path().map(|p| p.to_string()),
        )
        .into());
    }
    match param.value() {
        Value::Null => Ok(()),
        Value::String(s) => match format_date(s) {
            Some(d) => out.write(&d).map_err(RenderError::from),
            None => Err(RenderErrorReason::Other(format!("`{s}` is not a date")).into()),
        },
        other => Err(RenderErrorReason::Other(format!("`{other}` is not a date")).into()),
    }
}

/// `2026-04-20` or an RFC 3339 instant → `20.04.2026`.
pub fn format_date(s: &str) -> Option<String> {
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(d.format("%d.%m.%Y").to_string());
    }
    let t = DateTime::parse_from_rfc3339(s).ok()?;
    Some(
        t.with_timezone(&crate::clock::ZONE)
            .format("%d.%m.%Y")
            .to_string(),
    )
}

fn read_dir_sorted(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    out.sort();
    Ok(out)
}

fn file_stem(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// `(template, vars, ru, kk)`: what `money` and `number` print in each language.
    #[test]
    fn amounts_and_numbers_print_as_people_read_them() {
        let cases = [
            (
                "{{money a}}",
                json!({"a": "1850000.50"}),
                "1 850 000,50 тенге",
                "1 850 000,50 теңге",
            ),
            (
                "{{money a}}",
                json!({"a": 432500.0}),
                "432 500,00 тенге",
                "432 500,00 теңге",
            ),
            (
                "{{money a}}",
                json!({"a": 0.125}),
                "0,13 тенге",
                "0,13 теңге",
            ),
            ("{{money a}}", json!({"a": null}), "", ""),
            (
                "{{number a}}",
                json!({"a": 1850000.5}),
                "1 850 000,5",
                "1 850 000,5",
            ),
            ("{{number a}}", json!({"a": "0.20"}), "0,2", "0,2"),
        ];
        for (template, vars, ru, kk) in cases {
            for (lang, want) in [(Language::Ru, ru), (Language::Kk, kk)] {
                let plain = registry(lang, false)
                    .render_template(template, &vars)
                    .unwrap();
                assert_eq!(plain, want, "{template} {vars} {lang:?}");
                // A printed amount never splits across lines: no-break spaces in HTML.
                let html = registry(lang, true)
                    .render_template(template, &vars)
                    .unwrap();
                assert_eq!(
                    html,
                    want.replace(' ', "\u{a0}"),
                    "{template} {vars} {lang:?}"
                );
            }
        }
        let r = registry(Language::Ru, false);
        let missing = r.render_template("{{money a}}", &json!({})).unwrap_err();
        assert!(missing.to_string().contains("a"), "{missing}");
        let text = r
            .render_template("{{money a}}", &json!({"a": "много"}))
            .unwrap_err();
        assert!(text.to_string().contains("is not a number"), "{text}");
    }

    /// `money_words` in both languages and both registries: the same words (they may wrap,
    /// so no no-break spaces); null prints nothing; a negative amount is refused.
    #[test]
    fn amounts_print_in_words_in_the_registrys_language() {
        let cases = [
            (
                json!({"a": "120000.00"}),
                "сто двадцать тысяч тенге",
                "жүз жиырма мың теңге",
            ),
            (
                json!({"a": 1234567.89}),
                "один миллион двести тридцать четыре тысячи пятьсот шестьдесят семь тенге 89 тиын",
                "бір миллион екі жүз отыз төрт мың бес жүз алпыс жеті теңге 89 тиын",
            ),
            (
                json!({"a": 0.125}),
                "ноль тенге 13 тиын",
                "нөл теңге 13 тиын",
            ),
            (json!({"a": null}), "", ""),
        ];
        for (vars, ru, kk) in cases {
            for (lang, want) in [(Language::Ru, ru), (Language::Kk, kk)] {
                for html in [false, true] {
                    let got = registry(lang, html)
                        .render_template("{{money_words a}}", &vars)
                        .unwrap();
                    assert_eq!(got, want, "{vars} {lang:?} html={html}");
                }
            }
        }
        let r = registry(Language::Kk, true);
        let negative = r
            .render_template("{{money_words a}}", &json!({"a": "-5"}))
            .unwrap_err();
        assert!(
            negative
                .to_string()
                .contains("`-5.00` is negative: an amount in words is never negative"),
            "{negative}"
        );
        let missing = r
            .render_template("{{money_words a}}", &json!({}))
            .unwrap_err();
        assert!(missing.to_string().contains("a"), "{missing}");
    }
}
