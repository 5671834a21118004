//! The methodologists' guide (`workflows/README.md`) and the project README, run as written.
//!
//! A guide whose commands no longer work teaches the wrong thing to exactly the reader who
//! cannot tell. So every `qyzmet …` line of a `sh` block in both files runs here, through
//! bash as a reader would paste it, in a scratch copy of the project's `workflows/`,
//! `templates/`, `calendars/`, `config/` and `examples/portal/` (so a `--render` folder or a `> diagram.svg`
//! lands in the copy, not in the tree). It must exit 0, unless the line ends with a comment
//! saying otherwise (`# exit 1`). `qyzmet serve`, which runs until stopped, and the commands
//! that need a running installation's database (`accounts`, `audit`, `migrate`, `backup`,
//! `restore`, `archive`) are left to their own tests.

use std::path::PathBuf;
use std::process::Command;

/// The commands the guide shows that this test does not run, with why.
const NOT_HERE: [&str; 7] = [
    "serve", "accounts", "audit", "migrate", "backup", "restore", "archive",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// One command of a guide: its line number and text.
struct Line {
    file: &'static str,
    number: usize,
    text: String,
}

/// Every `qyzmet` line of the `sh` blocks of a Markdown file, continuation lines joined.
fn commands(file: &'static str) -> Vec<Line> {
    let text = std::fs::read_to_string(root().join(file)).expect("the guide reads");
    let mut out = Vec::new();
    let mut in_sh = false;
    let mut pending: Option<Line> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.starts_with("```") {
            in_sh = !in_sh && matches!(line, "```sh" | "```bash" | "```shell");
            continue;
        }
        if !in_sh {
            continue;
        }
        if let Some(mut p) = pending.take() {
            p.text.push(' ');
            p.text.push_str(line.trim_end_matches('\\'));
            if line.ends_with('\\') {
                pending = Some(p);
            } else {
                out.push(p);
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix("qyzmet ") {
            let sub = rest.split_whitespace().next().unwrap_or("");
            if NOT_HERE.contains(&sub) {
                continue;
            }
            let l = Line {
                file,
                number: i + 1,
                text: line.trim_end_matches('\\').to_string(),
            };
            if line.ends_with('\\') {
                pending = Some(l);
            } else {
                out.push(l);
            }
        }
    }
    out
}

/// The exit code a line expects: `# exit N` at its end, else 0.
fn expected_exit(text: &str) -> i32 {
    text.rsplit_once("# exit ")
        .and_then(|(_, n)| n.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// A scratch project: the folders the commands read, and `qyzmet` on the PATH.
fn scratch() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for folder in [
        "workflows",
        "templates",
        "calendars",
        "config",
        "examples/portal",
    ] {
        crate::cli::copy_dir(&root().join(folder), &dir.path().join(folder));
    }
    let bin = dir.path().join(".bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_qyzmet"), bin.join("qyzmet")).unwrap();
    dir
}

#[test]
fn every_command_of_the_guides_runs_as_written() {
    let dir = scratch();
    let path = format!(
        "{}:{}",
        dir.path().join(".bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let lines: Vec<Line> = ["workflows/README.md", "README.md"]
        .into_iter()
        .flat_map(commands)
        .collect();
    assert!(
        lines.len() >= 5,
        "the guides show {} qyzmet command(s): the extraction is broken",
        lines.len()
    );
    let mut failures = Vec::new();
    for line in &lines {
        let out = Command::new("bash")
            .arg("-c")
            .arg(&line.text)
            .current_dir(dir.path())
            .env("PATH", &path)
            .env_remove("QYZMET_LANG")
            .output()
            .expect("bash runs");
        let code = out.status.code().unwrap_or(-1);
        let want = expected_exit(&line.text);
        if code != want {
            failures.push(format!(
                "{}:{}: `{}` exited {code}, the guide expects {want}\n{}{}",
                line.file,
                line.number,
                line.text,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
