//! Scenarios: a scenario file read (`scenario::load_in`, in every language), checked
//! against the shipped definitions and, when it checks, run (`scenario::run`), as
//! `qyzmet test` and `qyzmet simulate` do. Every problem placed in the scenario file must
//! be placed inside its text.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use qyzmet::definition::{self, messages::Lang};
use qyzmet::scenario::{self, Setup};

use super::mutate::{Bytes, Corpus};
use super::{assert_inside, files, run, seeds, yaml_lines};

struct World {
    corpus: Corpus,
    /// The shipped definitions, in each language.
    setups: Vec<Setup>,
    dir: tempfile::TempDir,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let mut paths = files("workflows", ".yaml");
        paths.retain(|p| p.to_string_lossy().contains("/scenarios/"));
        paths.extend(files("tests/fixtures/scenarios", ".yaml"));
        paths.extend(files("tests/fixtures/money/scenarios", ".yaml"));
        let dict = [
            "&a ",
            "*a",
            "- ",
            "{",
            "}",
            "[",
            "]",
            ": ",
            "\"",
            "'",
            "\n",
            "#",
            "---\n",
            "at: ",
            "after: ",
            "working_days: ",
            "days: ",
            "hours: ",
            "minutes: ",
            "expect: ",
            "submit: ",
            "complete: ",
            "answer: ",
            "message: ",
            "case: ",
            "2026-12-07T10:00",
            "2026-02-30T25:61",
            "+99999 working days",
            "-1",
            "999999999",
            "1e400",
            "application: ",
            "data: ",
            "outcome: ",
            "step: ",
            "clerk: ",
            "sms: ",
            "email: ",
        ];
        let corpus = Corpus {
            seeds: seeds(paths),
            dict: dict.iter().map(|s| s.to_string()).collect(),
            limit: 64 * 1024,
        };
        let setups = [Lang::En, Lang::Kk, Lang::Ru]
            .into_iter()
            .map(|lang| {
                let options = definition::Options {
                    lang,
                    ..Default::default()
                };
                Setup::load(&[PathBuf::from("workflows")], &options).expect("the shipped setup")
            })
            .collect();
        World {
            corpus,
            setups,
            dir: tempfile::tempdir().unwrap(),
        }
    })
}

fn check(text: &str, lang: usize) {
    let w = world();
    let setup = &w.setups[lang % 3];
    let lang = [Lang::En, Lang::Kk, Lang::Ru][lang % 3];
    let file = w.dir.path().join("fuzzed.yaml");
    std::fs::write(&file, text).unwrap();
    let lines = yaml_lines(text);
    let mine = |diags: &[qyzmet::diagnostic::Diagnostic]| {
        for d in diags.iter().filter(|d| d.file == file) {
            assert_inside(d, &lines);
        }
    };
    let scenario = match scenario::load_in(&file, lang) {
        Ok(s) => s,
        Err(scenario::Error::Invalid(diags)) => return mine(&diags),
        Err(_) => return,
    };
    match scenario::run(setup, &scenario) {
        Ok(run) => {
            if let Some(failure) = &run.failure {
                mine(std::slice::from_ref(failure));
            }
            for line in &run.trace {
                let _ = line.to_string();
            }
        }
        Err(scenario::Error::Invalid(diags)) => mine(&diags),
        Err(_) => {}
    }
}

fn check_input(input: &[u8]) {
    let w = world();
    let (_, text) = w.corpus.text(input);
    let mut b = Bytes::new(input.get(1..).unwrap_or_default());
    check(&text, b.byte() as usize);
}

fn replay(file: &Path) {
    let text = String::from_utf8_lossy(&std::fs::read(file).unwrap()).into_owned();
    for lang in 0..3 {
        check(&text, lang);
    }
}

#[test]
fn random() {
    world();
    run("scenario", replay, check_input);
}
