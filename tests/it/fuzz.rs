//! Hostile input for every reader of text from outside (issue #19): the YAML loader
//! (definitions, catalog, calendars, configuration, connectors), expressions, scenarios,
//! templates and the gateway's SOAP reader. For each, any input must be read without a
//! panic and within bounded time, and every error the reader places in the input must be
//! placed inside it (a line and column the text has).
//!
//! Each target runs bolero's random engine for a bounded time under plain `cargo test`
//! (`CI_SECONDS` each, the whole module about a minute), inside this one test binary; the
//! inputs are mostly real files put through edits (`mutate`). A longer run:
//! `QYZMET_FUZZ_SECONDS=300 cargo test --release --test it fuzz::yaml -- --nocapture`
//! (or `QYZMET_FUZZ_ITERATIONS=N`); coverage-guided, with libFuzzer:
//! `RUSTC_BOOTSTRAP=1 cargo bolero test --test it fuzz::yaml::random` (see the README).
//!
//! Anything found is kept as a file under `tests/fixtures/fuzz/<target>/`, the text the
//! reader was given (for YAML and scenarios the file's extension, for templates the part's
//! name, say which reader), and every file there is replayed first, every run.

mod expr;
mod mutate;
mod scenario;
mod soap;
mod template;
mod yaml;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use qyzmet::diagnostic::Diagnostic;

/// Seconds each target runs in CI: five targets share about a minute of test time.
const CI_SECONDS: u64 = 10;

/// How long one input may take before it counts as a hang: far above the slowest input
/// seen (a full definition load with its templates, unoptimised), so only a real hang —
/// an endless loop, a runaway expansion — trips it.
const HANG: Duration = Duration::from_secs(60);

/// The regression inputs of `target`: every file under `tests/fixtures/fuzz/<target>/`.
fn regressions(target: &str) -> Vec<PathBuf> {
    let dir = Path::new("tests/fixtures/fuzz").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|f| f.is_file());
    files.sort();
    files
}

/// Runs `check` on random inputs for the bounded time, after replaying the target's
/// regression files through `replay`. A panic fails the test with the input that caused
/// it (bolero shrinks it first); a hang aborts the process after writing the input to
/// `target/fuzz-hang-<target>.bin`.
fn run(target: &str, replay: impl Fn(&Path), check: impl Fn(&[u8]) + std::panic::RefUnwindSafe) {
    for file in regressions(target) {
        eprintln!("fuzz {target}: replaying {}", file.display());
        replay(&file);
    }
    // One input again, as the fuzzer gave it (`QYZMET_FUZZ_LAST` after a crash); with
    // `QYZMET_FUZZ_TEXT=FILE` the text it makes is written there.
    if let Some(input) = std::env::var_os("QYZMET_FUZZ_INPUT") {
        check(&std::fs::read(input).unwrap());
        return;
    }
    // The second run of `tests/run` (every service test again on PostgreSQL) reads no
    // database here: the regression files are enough.
    if std::env::var("QYZMET_TEST_BACKEND").is_ok_and(|b| b == "postgres") {
        return;
    }
    let seconds = std::env::var("QYZMET_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok());
    let iterations: Option<usize> = std::env::var("QYZMET_FUZZ_ITERATIONS")
        .ok()
        .and_then(|s| s.parse().ok());
    // A stack overflow aborts the process before bolero can report the input: with
    // `QYZMET_FUZZ_LAST=FILE` each input is written there first, to be found after a crash.
    let last = std::env::var_os("QYZMET_FUZZ_LAST").map(PathBuf::from);
    let watchdog = Watchdog::start(target);
    let count = AtomicUsize::new(0);
    let started = Instant::now();
    let mut test = bolero::check!(name = target).with_max_len(4096);
    test = match (seconds, iterations) {
        (None, Some(n)) => test.with_iterations(n),
        (s, n) => {
            let t = test.with_test_time(Duration::from_secs(s.unwrap_or(CI_SECONDS)));
            match n {
                Some(n) => t.with_iterations(n),
                None => t,
            }
        }
    };
    let watch = std::panic::AssertUnwindSafe(&watchdog);
    test.for_each(|input: &[u8]| {
        if let Some(last) = &last {
            std::fs::write(last, input).unwrap();
        }
        watch.begin(input);
        check(input);
        watch.end();
        count.fetch_add(1, Ordering::Relaxed);
    });
    eprintln!(
        "fuzz {target}: {} inputs in {:.1} s",
        count.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64()
    );
}

/// Aborts the process when one input runs longer than [`HANG`], leaving the input behind:
/// a hang would otherwise stall the whole test run with nothing to show for it.
struct Watchdog {
    tx: mpsc::Sender<Option<Vec<u8>>>,
}

impl Watchdog {
    fn start(target: &str) -> Watchdog {
        let (tx, rx) = mpsc::channel::<Option<Vec<u8>>>();
        let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("target")
            .join(format!("fuzz-hang-{target}.bin"));
        std::thread::spawn(move || {
            let mut current: Option<Vec<u8>> = None;
            loop {
                match rx.recv_timeout(HANG) {
                    Ok(next) => current = next,
                    Err(mpsc::RecvTimeoutError::Disconnected) => return,
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        if let Some(input) = &current {
                            let _ = std::fs::write(&file, input);
                            eprintln!(
                                "one input ran longer than {HANG:?}: a hang; the input is in {}",
                                file.display()
                            );
                            std::process::abort();
                        }
                    }
                }
            }
        });
        Watchdog { tx }
    }

    fn begin(&self, input: &[u8]) {
        let _ = self.tx.send(Some(input.to_vec()));
    }

    fn end(&self) {
        let _ = self.tx.send(None);
    }
}

/// The lines of a YAML text as YAML (and an editor) ends them: at `\r\n`, `\r` or `\n`.
/// Split once per text: a text may carry a problem on each of its thousands of lines.
fn yaml_lines(text: &str) -> Vec<&str> {
    text.split("\r\n")
        .flat_map(|l| l.split(['\r', '\n']))
        .collect()
}

/// Checks that `diag`, about the text of `lines` (the content of `diag.file`), is placed
/// inside it: a line the text has and a column within that line or just past its end.
#[track_caller]
fn assert_inside(diag: &Diagnostic, lines: &[&str]) {
    assert_in_lines(diag.line, diag.column, lines, &diag.to_string());
}

/// [`assert_inside`] for a line and column of a text whose lines end at `\n` only (a
/// template, as the handlebars parser counts them).
#[track_caller]
fn assert_position(line: usize, column: usize, text: &str, what: &str) {
    let lines: Vec<&str> = text.split('\n').collect();
    assert_in_lines(line, column, &lines, what);
}

#[track_caller]
fn assert_in_lines(line: usize, column: usize, lines: &[&str], what: &str) {
    assert!(
        line >= 1 && line <= lines.len(),
        "line {line} of a text of {} lines: {what}",
        lines.len()
    );
    let width = lines[line - 1].trim_end_matches('\r').chars().count();
    assert!(
        column >= 1 && column <= width + 1,
        "column {column} of line {line} of {width} characters: {what}"
    );
}

/// The files under `dir` (recursively) whose names end with `suffix`, sorted.
fn files(dir: &str, suffix: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::from(dir)];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().ends_with(suffix) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Sets `value` at the path `segments` of `root`, making objects on the way; a path that
/// runs into something other than an object is left alone.
fn put(root: &mut serde_json::Value, segments: &[&str], value: serde_json::Value) {
    let Some((last, parents)) = segments.split_last() else {
        return;
    };
    let mut at = root;
    for s in parents {
        let Some(map) = at.as_object_mut() else {
            return;
        };
        at = map
            .entry(s.to_string())
            .or_insert_with(|| serde_json::Value::Object(Default::default()));
    }
    if let Some(m) = at.as_object_mut() {
        m.insert(last.to_string(), value);
    }
}

/// The seeds of a corpus: each file's path and text.
fn seeds(paths: impl IntoIterator<Item = PathBuf>) -> Vec<(String, String)> {
    paths
        .into_iter()
        .filter_map(|p| Some((p.display().to_string(), std::fs::read_to_string(&p).ok()?)))
        .collect()
}
