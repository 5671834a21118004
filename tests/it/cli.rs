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
