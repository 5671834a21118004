//! The `qyzmet` binary run as a methodologist runs it, for the tests of its commands: in the
//! repository's root, with no language or calendar folder inherited from the environment.

use std::path::Path;
use std::process::Command;

/// What a command printed, and its exit code.
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `qyzmet ARGS`, with `QYZMET_LANG` set to `lang` when given.
pub fn run_with_lang(args: &[&str], lang: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_qyzmet"));
    command
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("QYZMET_LANG")
        .env_remove("QYZMET_CALENDAR_DIR");
    if let Some(lang) = lang {
        command.env("QYZMET_LANG", lang);
    }
    let out = command.output().expect("qyzmet runs");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).expect("utf-8"),
        stderr: String::from_utf8(out.stderr).expect("utf-8"),
    }
}

/// Runs `qyzmet ARGS`.
pub fn run(args: &[&str]) -> Output {
    run_with_lang(args, None)
}

/// Runs `qyzmet ARGS`: (exit code, stdout, stderr).
pub fn qyzmet(args: &[&str]) -> (i32, String, String) {
    let out = run(args);
    (out.code, out.stdout, out.stderr)
}

/// Copies a folder, as a methodologist copies a service to try a change.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A workflows folder of its own in a scratch directory, as a methodologist sets one up to
/// try a change: the fixtures' catalog and shared hearing, the fixture service `all-kinds`
/// (its text passed through `edit`), the fixtures' templates beside it, and the named
/// fixture scenarios (`tests/fixtures/scenarios/<name>`) in its `scenarios/`. Returns the
/// directory (dropped: removed) and the workflows folder.
pub fn fixture_workflows(
    edit: impl Fn(String) -> String,
    scenarios: &[&str],
) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("workflows");
    let service = root.join("all-kinds");
    std::fs::create_dir_all(service.join("scenarios")).unwrap();
    std::fs::create_dir_all(root.join("_shared")).unwrap();
    let defs = Path::new("tests/fixtures/definitions");
    std::fs::copy(defs.join("catalog.yaml"), root.join("catalog.yaml")).unwrap();
    std::fs::copy(
        defs.join("_shared/hearing.yaml"),
        root.join("_shared/hearing.yaml"),
    )
    .unwrap();
    let definition = std::fs::read_to_string(defs.join("valid/all_kinds.yaml")).unwrap();
    std::fs::write(service.join("2026-04-13.yaml"), edit(definition)).unwrap();
    copy_dir(
        Path::new("tests/fixtures/templates"),
        &dir.path().join("templates"),
    );
    for name in scenarios {
        std::fs::copy(
            Path::new("tests/fixtures/scenarios").join(name),
            service.join("scenarios").join(name),
        )
        .unwrap();
    }
    (dir, root)
}
