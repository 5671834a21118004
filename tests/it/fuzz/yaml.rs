//! The YAML loader, as everything that reads a YAML file calls it: a workflow through the
//! definition loader (`qyzmet validate`, `POST /definitions`: `definition::load_with`), the
//! catalog, a calendar year or its rules, the engine's configuration and the connectors.
//! Every problem placed in the file must be placed inside its text.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use qyzmet::calendar::Calendar;
use qyzmet::definition::{self, Options, catalog::Catalog, messages::Lang};
use qyzmet::gateway::GatewayConfig;
use qyzmet::service::FileConfig;
use qyzmet::yaml;

use super::mutate::{Bytes, Corpus};
use super::{assert_inside, files, run, seeds, yaml_lines};

/// Which reader a text goes to, by the seed it came from (or a regression file's name).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Workflow,
    Catalog,
    Calendar,
    Rules,
    Connectors,
    Config,
}

impl Kind {
    fn of(path: &str) -> Kind {
        let name = Path::new(path)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.contains("catalog") {
            Kind::Catalog
        } else if name.contains("rules") {
            Kind::Rules
        } else if name.contains("calendar") || path.contains("calendars/") {
            Kind::Calendar
        } else if name.contains("connectors") {
            Kind::Connectors
        } else if name.contains("qyzmet") || name.contains("config") {
            Kind::Config
        } else {
            Kind::Workflow
        }
    }
}

struct World {
    corpus: Corpus,
    catalog: Catalog,
    dir: tempfile::TempDir,
    /// Held by a check for as long as it uses `dir`: `random` and `deep_nesting` run at
    /// once and would otherwise write and load each other's files.
    busy: Mutex<()>,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let mut paths = files("workflows", ".yaml");
        paths.retain(|p| !p.to_string_lossy().contains("/scenarios/"));
        paths.extend(files("tests/fixtures/definitions", ".yaml"));
        paths.extend(files("calendars", ".yaml"));
        paths.extend(files("config", ".yaml"));
        paths.push(PathBuf::from("tests/fixtures/crash/qyzmet.yaml"));
        let dict = [
            "&a ",
            "*a",
            "&b [",
            "*b, *b, *b, *b",
            "<<: *a",
            "- ",
            "- - - - ",
            "{",
            "}",
            "[",
            "]",
            ", ",
            ": ",
            "? ",
            "\"",
            "'",
            "|\n",
            ">-\n",
            "|+2\n",
            "\n",
            "\r\n",
            "#",
            "---\n",
            "...\n",
            "!!str ",
            "!!binary ",
            "!!map ",
            "!local ",
            "%YAML 1.2\n",
            "%TAG ! tag:x:\n",
            "0x1F",
            "0o17",
            ".inf",
            ".nan",
            "~",
            "null",
            "true",
            "\\u0000",
            "\\x",
            "${X}",
            "{{",
            "}}",
            "&&",
            "||",
            "when: ",
            "steps:\n",
            "next: ",
            "type: ",
            "  ",
            "- { when: \"",
            "\"x\": ",
            "? [a, b]\n: c\n",
            "a: b: c",
        ];
        let corpus = Corpus {
            seeds: seeds(paths),
            dict: dict.iter().map(|s| s.to_string()).collect(),
            limit: 64 * 1024,
        };
        let catalog = definition::load_catalog(Path::new("workflows/catalog.yaml"), Lang::En)
            .expect("the shipped catalog loads");
        let dir = tempfile::tempdir().unwrap();
        World {
            corpus,
            catalog,
            dir,
            busy: Mutex::new(()),
        }
    })
}

/// How far an input goes: the reader alone costs a millisecond, a whole definition load
/// fifty, with the templates checked five hundred (unoptimised), so most inputs stop early.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
enum Depth {
    /// `yaml::parse` only.
    Parse,
    /// And the loader of its kind.
    Load,
    /// And, for a workflow, the checks of the templates it names.
    Templates,
}

/// Reads `text` as a file of `kind`, in `lang`, as far as `depth`; panics on a problem
/// placed outside the text.
fn check(kind: Kind, text: &str, lang: Lang, depth: Depth) {
    let w = world();
    // A check that failed in another test poisoned the lock; the folder is rewritten here.
    let _only = w.busy.lock().unwrap_or_else(|e| e.into_inner());
    let dir = w.dir.path();
    // The reader on its own, as every loader first calls it.
    let file = dir.join("fuzzed.yaml");
    let parsed = yaml::parse_in(&file, text, lang);
    let lines = yaml_lines(text);
    if let Err(diags) = &parsed {
        for d in diags {
            assert_inside(d, &lines);
        }
    }
    if depth == Depth::Parse {
        return;
    }
    let templates = depth == Depth::Templates;
    let mine = |diags: &[qyzmet::diagnostic::Diagnostic], file: &Path| {
        for d in diags.iter().filter(|d| d.file == file) {
            assert_inside(d, &lines);
        }
    };
    match kind {
        Kind::Workflow => {
            let root = dir.join("workflows");
            let file = root.join("fuzzed-service").join("2026-01-01.yaml");
            let options = Options {
                catalog: Some(PathBuf::from("workflows/catalog.yaml")),
                templates: Some(if templates {
                    PathBuf::from("templates")
                } else {
                    dir.join("no-templates")
                }),
                calendars: Some(PathBuf::from("calendars")),
                lang,
            };
            let report = definition::load_with(&root, &file, text, &options);
            mine(&report.diagnostics, &file);
            mine(&report.warnings, &file);
        }
        Kind::Catalog => {
            let file = dir.join("catalog.yaml");
            std::fs::write(&file, text).unwrap();
            if let Err(diags) = definition::load_catalog(&file, lang) {
                mine(&diags, &file);
            }
        }
        Kind::Calendar | Kind::Rules => {
            let cal = dir.join("calendars").join("kz");
            std::fs::create_dir_all(&cal).unwrap();
            for name in ["rules.yaml", "2026.yaml"] {
                std::fs::copy(Path::new("calendars/kz").join(name), cal.join(name)).unwrap();
            }
            let name = if kind == Kind::Rules {
                "rules.yaml"
            } else {
                "2026.yaml"
            };
            let file = cal.join(name);
            std::fs::write(&file, text).unwrap();
            if let Err(qyzmet::calendar::Error::Invalid(diags)) =
                Calendar::load(&dir.join("calendars"), "kz")
            {
                mine(&diags, &file);
            }
        }
        Kind::Connectors => {
            let file = dir.join("connectors.yaml");
            let env = |_: &str| Some("secret".to_string());
            if let Err(diags) = GatewayConfig::parse(&file, text, &w.catalog, &env) {
                mine(&diags, &file);
            }
        }
        Kind::Config => {
            let file = dir.join("qyzmet.yaml");
            std::fs::write(&file, text).unwrap();
            if let Err(qyzmet::service::Error::Config(diags)) = FileConfig::load(&file) {
                mine(&diags, &file);
            }
        }
    }
}

/// One fuzzer input: the text, the reader by its seed, the language and how far it goes
/// (the loader for one in four, the templates too for one in 32).
fn check_input(input: &[u8]) {
    let w = world();
    let (seed, text) = w.corpus.text(input);
    let kind = seed.map_or(Kind::Workflow, |i| Kind::of(&w.corpus.seeds[i].0));
    let mut b = Bytes::new(input.get(1..).unwrap_or_default());
    let flags = b.byte();
    let lang = [Lang::En, Lang::Kk, Lang::Ru][flags as usize % 3];
    let depth = match flags >> 3 {
        0 => Depth::Templates,
        n if n.is_multiple_of(4) => Depth::Load,
        _ => Depth::Parse,
    };
    check(kind, &text, lang, depth);
}

/// A regression file, by the reader its name says (`…connectors.yaml`, `…catalog.yaml`,
/// `…calendar.yaml`, `…rules.yaml`, `…config.yaml`; anything else is a workflow), in every
/// language, with the templates.
fn replay(file: &Path) {
    let text = String::from_utf8_lossy(&std::fs::read(file).unwrap()).into_owned();
    let kind = Kind::of(&file.to_string_lossy());
    for lang in [Lang::En, Lang::Kk, Lang::Ru] {
        check(kind, &text, lang, Depth::Templates);
    }
}

#[test]
fn random() {
    world();
    run("yaml", replay, check_input);
}

/// The finding, and its kin: 100,000 nested `- ` (200 KB), `[` and `{a: `, and a
/// block of 1,000 nested mappings (500 KB); refused with a place, never a stack overflow.
#[test]
fn deep_nesting() {
    world();
    for text in [
        "- ".repeat(100_000) + "x\n",
        "[".repeat(100_000),
        "{a: ".repeat(100_000),
        (0..1_000)
            .map(|i| format!("{}k:\n", " ".repeat(i)))
            .collect(),
    ] {
        check(Kind::Workflow, &text, Lang::En, Depth::Load);
    }
}
