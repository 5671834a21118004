//! Templates: a notice or document template as the engine loads it (`Templates::load`,
//! with the shipped partials beside it), its syntax problem in plain words at its line and
//! column (`notify::syntax::check_source`, what `qyzmet validate` reports), the checks of
//! its own file (`notify::check::lint_all`), and, when it loads, rendered with data of any
//! shape — the citizen's name, an answer's amount, whatever a case holds.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use qyzmet::notify::render::{Part, Templates, file_name};
use qyzmet::notify::{check, syntax};
use qyzmet::runtime::Language;
use regex::Regex;
use serde_json::{Value, json};

use super::mutate::{Bytes, Corpus, HOSTILE};
use super::{assert_position, files, run, seeds};

struct World {
    corpus: Corpus,
    /// A templates folder: the shipped partials and one template, `fuzzed/`.
    dir: tempfile::TempDir,
    names: Regex,
    /// Held by a check for as long as it uses `dir`: `random` and `deep_nesting` run at
    /// once and would otherwise write and load each other's files.
    busy: Mutex<()>,
}

const PARTS: [Part; 4] = [Part::Sms, Part::Subject, Part::Text, Part::Html];

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let mut paths = files("templates", ".hbs");
        paths.extend(files("tests/fixtures/templates", ".hbs"));
        let dict = [
            "{{",
            "}}",
            "{{{",
            "}}}",
            "{{#if ",
            "{{else}}",
            "{{/if}}",
            "{{#each ",
            "{{/each}}",
            "{{#with ",
            "{{/with}}",
            "{{#unless ",
            "{{/unless}}",
            "{{> ",
            "{{> deadline}}",
            "{{!-- ",
            " --}}",
            "{{! ",
            "{{~",
            "~}}",
            "{{{{raw}}}}",
            "{{{{/raw}}}}",
            "\\{{",
            "{{money ",
            "{{money_words ",
            "{{number ",
            "{{date ",
            "{{lookup ",
            "(",
            ")",
            "this",
            "../",
            "@index",
            "@root.",
            "as |x|",
            "=",
            "\"",
            "'",
            "\n",
            "<script>",
            "&amp;",
            "{{!-- variables: ",
            "applicant.name",
            "registration_number",
        ];
        let corpus = Corpus {
            seeds: seeds(paths),
            dict: dict.iter().map(|s| s.to_string()).collect(),
            limit: 32 * 1024,
        };
        let dir = tempfile::tempdir().unwrap();
        let partials = dir.path().join("_partials");
        std::fs::create_dir_all(&partials).unwrap();
        for p in files("templates/_partials", ".hbs") {
            std::fs::copy(&p, partials.join(p.file_name().unwrap())).unwrap();
        }
        std::fs::create_dir_all(dir.path().join("fuzzed")).unwrap();
        World {
            corpus,
            dir,
            names: Regex::new(r"[A-Za-z_@][A-Za-z0-9_.]*").unwrap(),
            busy: Mutex::new(()),
        }
    })
}

/// Data for every name the source mentions: a plain value, or one of no expected shape.
fn vars(names: &[String], b: &mut Bytes) -> Value {
    let mut root = json!({});
    for name in names {
        let v = match b.byte() % 10 {
            0 => Value::Null,
            1 => json!("<script>alert(1)</script> & \"ы\""),
            2 => json!(["1850000.50", "-5.00", "1e400", "", "2026-02-30", "abc"][b.below(6)]),
            3 => json!([1e308, -0.0, 0.1][b.below(3)]),
            4 => json!(u64::MAX),
            5 => json!([{"a": 1}, [], "x"]),
            6 => json!({"name": "Асель", "amount": "0.01"}),
            7 => json!(HOSTILE[b.below(HOSTILE.len())]),
            8 => json!("x".repeat(5000)),
            _ => json!(true),
        };
        // A name of thousands of segments would make data nested as deep: the harness's own
        // stack, not the reader's, so the data stops at 16 levels.
        let segments: Vec<&str> = name.split('.').filter(|s| !s.is_empty()).take(16).collect();
        super::put(&mut root, &segments, v);
    }
    root
}

/// Loads `source` as part `part` of a template in `lang`; checks where its problems are
/// placed, and renders it when it loads.
fn check(source: &str, lang: Language, part: Part, b: &mut Bytes) {
    let w = world();
    // A check that failed in another test poisoned the lock; the folder is rewritten here.
    let _only = w.busy.lock().unwrap_or_else(|e| e.into_inner());
    let folder = w.dir.path().join("fuzzed");
    for entry in std::fs::read_dir(&folder).unwrap().flatten() {
        std::fs::remove_file(entry.path()).unwrap();
    }
    let file = folder.join(file_name(lang, part));
    std::fs::write(&file, source).unwrap();
    let problem = syntax::check_source(&file, source);
    if let Some(p) = &problem {
        assert_position(p.line, p.column, source, &p.message.to_string());
    }
    let templates = match Templates::load(w.dir.path()) {
        Ok(t) => t,
        Err(e) => {
            // What `qyzmet validate` reports: the file's own problem, at its line and
            // column; with none, only the folder's error at `templates:1:1` would remain.
            assert!(
                !syntax::check_dir(w.dir.path()).is_empty(),
                "the template does not load and no problem is placed in it: {e}"
            );
            return;
        }
    };
    for lint in check::lint_all(&templates) {
        if lint.file == file {
            assert_position(lint.line, lint.column, source, &lint.message.to_string());
        }
    }
    let names: Vec<String> = w
        .names
        .find_iter(source)
        .map(|m| m.as_str().trim_start_matches('@').to_string())
        .take(64)
        .collect();
    for _ in 0..3 {
        let data = vars(&names, b);
        let out = templates.render("fuzzed", lang, part, &data);
        // A value's markup is escaped in HTML: only the template's own `{{{ }}}` may print it.
        if part == Part::Html
            && let Ok(html) = &out
            && !source.contains("{{{")
            && !source.contains("<script")
            && !source.contains("&")
        {
            assert!(
                !html.contains("<script"),
                "unescaped markup from the data: {html}"
            );
        }
    }
}

/// The part and the language a template file's name gives (`kk.sms.hbs`).
fn part_of(name: &str) -> (Language, Part) {
    let lang = if name.contains("kk.") {
        Language::Kk
    } else {
        Language::Ru
    };
    let part = PARTS
        .into_iter()
        .find(|p| name.contains(&format!(".{}.", p.name())))
        .unwrap_or(Part::Html);
    (lang, part)
}

fn check_input(input: &[u8]) {
    let w = world();
    let (seed, source) = w.corpus.text(input);
    let mut b = Bytes::new(input);
    let pick = b.byte();
    let (lang, part) = match seed {
        Some(i) => part_of(&w.corpus.seeds[i].0),
        None => (
            [Language::Kk, Language::Ru][pick as usize % 2],
            PARTS[pick as usize / 2 % 4],
        ),
    };
    check(&source, lang, part, &mut b);
}

/// A regression file, as the part and language its name gives (`…kk.sms.hbs`; else an
/// HTML document in Russian), rendered with data made from its own bytes.
fn replay(file: &Path) {
    let bytes = std::fs::read(file).unwrap();
    let source = String::from_utf8_lossy(&bytes).into_owned();
    let (lang, part) = part_of(&PathBuf::from(file).to_string_lossy());
    check(&source, lang, part, &mut Bytes::new(&bytes));
}

#[test]
fn random() {
    world();
    run("template", replay, check_input);
}

/// Blocks nested ten thousand deep: loaded or refused with a place, never a stack overflow.
#[test]
fn deep_nesting() {
    world();
    let source = "{{#if a}}".repeat(10_000) + "x" + &"{{/if}}".repeat(10_000);
    check(&source, Language::Ru, Part::Html, &mut Bytes::new(b"deep"));
    let source = "{{#each a}}".repeat(10_000) + "{{this}}" + &"{{/each}}".repeat(10_000);
    check(&source, Language::Kk, Part::Text, &mut Bytes::new(b"deep"));
    let source = "{{lookup ".repeat(5_000) + "a" + &")".repeat(5_000) + "}}";
    check(&source, Language::Kk, Part::Sms, &mut Bytes::new(b"deep"));
}
