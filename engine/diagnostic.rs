//! A positioned message about a file a person wrote: a workflow, a calendar year, a scenario.
//!
//! Every loader in the engine reports problems as [`Diagnostic`]s so that a methodologist
//! sees the same `file:line:column: message` shape, with a hint, wherever the mistake is.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::definition::messages::{Lang, text};

/// How much a problem matters.
///
/// An error makes a file invalid: it is not loaded, served or deployed. A warning breaks
/// one of the guide's "always" rules (every step has a title and a source; every SMS
/// carries the registration number) that the engine can run without: it is printed as
/// `warning:` and fails `validate` and `test` only with `--deny-warnings`, which CI uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The file is invalid.
    #[default]
    Error,
    /// The file works, but breaks a rule of the guide.
    Warning,
}

/// One problem found in a source file, with the place it was found and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Diagnostic {
    /// The file as the user named it, so the message can be clicked in an editor.
    pub file: PathBuf,
    /// 1-based line of the offending node.
    pub line: usize,
    /// 1-based column (in characters) of the offending node.
    pub column: usize,
    /// What is wrong, in one sentence.
    pub message: String,
    /// How to put it right, when we can tell (e.g. "did you mean `fetch_person`?").
    pub hint: Option<String>,
    /// An error, or a warning (last, so that sorting still goes by file and position).
    pub severity: Severity,
}

impl Diagnostic {
    /// A diagnostic at a known position.
    pub fn new(
        file: impl AsRef<Path>,
        line: usize,
        column: usize,
        message: impl Into<String>,
    ) -> Self {
        Self {
            file: file.as_ref().to_path_buf(),
            line,
            column,
            message: message.into(),
            hint: None,
            severity: Severity::Error,
        }
    }

    /// The same diagnostic, as a warning: see [`Severity::Warning`].
    pub fn as_warning(mut self) -> Self {
        self.severity = Severity::Warning;
        self
    }

    /// Whether this is a warning.
    pub fn is_warning(&self) -> bool {
        self.severity == Severity::Warning
    }

    /// The diagnostic as the command line prints it in `lang`: `file:line:column: message`
    /// (`warning: message` for a warning), then the indented hint. The words `warning` and
    /// `hint` are in `lang` too: a methodologist reading Kazakh reads no English.
    pub fn display_in(&self, lang: Lang) -> String {
        let mut out = format!("{}:{}:{}: ", self.file.display(), self.line, self.column);
        if self.is_warning() {
            out.push_str(text("word.warning", lang));
            out.push_str(": ");
        }
        out.push_str(&self.message);
        if let Some(hint) = &self.hint {
            out.push_str(&format!("\n  {}: {hint}", text("word.hint", lang)));
        }
        out
    }

    /// Adds a hint; an empty hint is ignored so callers can pass computed suggestions.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        let hint = hint.into();
        if !hint.is_empty() {
            self.hint = Some(hint);
        }
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display_in(Lang::En))
    }
}

/// The longest name, in characters, that gets a "did you mean" hint.
const SUGGEST_UP_TO: usize = 100;

/// Suggests the closest of `candidates` to a misspelt `word`, for "did you mean" hints.
///
/// A candidate is close when the Jaro-Winkler similarity is high (a shared beginning, as
/// in most typos of ids) or the edit distance, counting a swap of two letters as one edit,
/// is small for the word's length (`deu` for `due`).
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let length = word.chars().count();
    // Both measures take time in the product of the lengths: a posted file's 300 KB name
    // against another's would keep a core busy for minutes. No name people type is this long.
    if length > SUGGEST_UP_TO {
        return None;
    }
    let allowed_edits = (length / 3).max(1);
    candidates
        .into_iter()
        // In bytes, which are at most four per character, so this costs nothing to ask.
        .filter(|c| c.len() <= 4 * SUGGEST_UP_TO)
        .filter_map(|c| {
            let similarity = strsim::jaro_winkler(word, c);
            let edits = strsim::osa_distance(word, c);
            (similarity >= 0.8 || edits <= allowed_edits).then_some((edits, -similarity, c))
        })
        .min_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)))
        .map(|(_, _, c)| c)
}

/// Several diagnostics, one per line, for an error message that lists them all.
pub fn lines(diags: &[Diagnostic]) -> String {
    diags
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}
