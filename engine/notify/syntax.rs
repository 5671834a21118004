//! A template's syntax mistakes in plain words, at the template's own file, line and column.
//!
//! The handlebars crate stops at the first mistake and says what its grammar expected
//! ("expected escape, expression, html_expression, … or hbs_comment_compact") at the end of
//! the file, and the notifier's load reported the whole folder at `templates:1:1`. A
//! methodologist needs the tag that is wrong: `{{#if}}` opened on line 3 and never closed,
//! an `{{` that never ends. So when a template does not compile, its source is scanned tag
//! by tag for the mistakes people make, each named in a sentence (in English, Kazakh and
//! Russian) at the tag; a mistake the scan does not recognise keeps the crate's own words
//! and position. Lines and columns are the file's: the `{{!-- variables: … --}}` header
//! counts like any other line.

use std::path::{Path, PathBuf};

use handlebars::template::Template;

use super::render::{PARTIALS, parse_lang};
use crate::definition::messages::Msg;
use crate::msg;

/// A template file that does not compile, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxProblem {
    /// The template file.
    pub file: PathBuf,
    /// 1-based line in the file.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What is wrong.
    pub message: Msg,
    /// How to put it right.
    pub hint: Option<Msg>,
}

/// The parts a template (not a partial) may have, as `Templates::load` reads them.
const PARTS: [&str; 4] = ["sms", "subject", "text", "html"];

/// The syntax problems of every template file under `dir` that the notifier compiles
/// (`<id>/<kk|ru>.<part>.hbs`, and the partials): one per file that fails, sorted by file.
pub fn check_dir(dir: &Path) -> Vec<SyntaxProblem> {
    let mut out = Vec::new();
    for folder in sorted(dir).into_iter().filter(|p| p.is_dir()) {
        let partials = folder.file_name().is_some_and(|n| n == PARTIALS);
        for file in sorted(&folder) {
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let Some((code, part)) = name
                .strip_suffix(".hbs")
                .and_then(|rest| rest.split_once('.'))
            else {
                continue;
            };
            if parse_lang(code).is_none() || !(partials || PARTS.contains(&part)) {
                continue;
            }
            if let Ok(source) = std::fs::read_to_string(&file)
                && let Some(problem) = check_source(&file, &source)
            {
                out.push(problem);
            }
        }
    }
    out
}

fn sorted(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|e| e.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    entries.sort();
    entries
}

/// The first syntax problem of `source` (the text of `file`), or `None` when it is right.
///
/// One mistake compiles: a comment opened with `{{!--` but never closed with `--}}` is taken
/// by the crate as a short comment (`{{! … }}`) that ends at the next `}}`, and the text up
/// to there silently disappears from every message. It is reported as never closed.
pub fn check_source(file: &Path, source: &str) -> Option<SyntaxProblem> {
    let at = |(offset, message, hint): (usize, Msg, Option<Msg>)| {
        let (line, column) = position(source, offset);
        SyntaxProblem {
            file: file.to_path_buf(),
            line,
            column,
            message,
            hint,
        }
    };
    let Err(error) = Template::compile(source) else {
        return scan(source)
            .filter(|(_, message, _)| message.key == "hbs.unclosed_comment")
            .map(at);
    };
    if let Some(found) = scan(source) {
        return Some(at(found));
    }
    // A mistake the scan does not know: the crate's words, at its position within the file.
    let (line, column) = error.pos().unwrap_or((1, 1));
    let lines: Vec<&str> = source.lines().collect();
    let line = line.clamp(1, lines.len().max(1));
    let width = lines.get(line - 1).map_or(0, |l| l.chars().count());
    let detail = error.reason().to_string();
    let detail = detail
        .strip_prefix("invalid handlebars syntax: ")
        .unwrap_or(&detail);
    // The grammar's words, where they mean one thing only, in plain ones.
    let message = match detail {
        "expected helper_parameter" => msg!("hbs.expected_value"),
        "expected partial_identifier, subexpression, or path_inline" => {
            msg!("hbs.expected_partial")
        }
        _ => msg!("hbs.syntax", detail = detail),
    };
    Some(SyntaxProblem {
        file: file.to_path_buf(),
        line,
        column: column.clamp(1, width + 1),
        message,
        hint: None,
    })
}

/// The 1-based line and column (in characters) of a byte offset.
fn position(source: &str, offset: usize) -> (usize, usize) {
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, source[start..offset].chars().count() + 1)
}

/// An open block: its helper's name and where its tag starts.
struct Open {
    name: String,
    offset: usize,
}

/// Scans the tags of `source` for a mistake people make: the byte offset of the tag, the
/// message and a hint.
fn scan(source: &str) -> Option<(usize, Msg, Option<Msg>)> {
    let mut open: Vec<Open> = Vec::new();
    let mut at = 0;
    while let Some(found) = source[at..].find("{{") {
        let start = at + found;
        // `\{{` is literal text.
        if start > 0 && source.as_bytes()[start - 1] == b'\\' {
            at = start + 2;
            continue;
        }
        let rest = &source[start..];
        if rest.starts_with("{{{{") {
            // A raw block: rare enough to leave to the crate's own words.
            return None;
        }
        if let Some(comment) = rest
            .strip_prefix("{{!--")
            .or_else(|| rest.strip_prefix("{{~!--"))
        {
            let Some(end) = comment.find("--}}").or_else(|| comment.find("--~}}")) else {
                return Some((start, msg!("hbs.unclosed_comment"), None));
            };
            at = start + (rest.len() - comment.len()) + end + 4;
            continue;
        }
        if rest.starts_with("{{!") || rest.starts_with("{{~!") {
            let Some(end) = rest.find("}}") else {
                return Some((start, msg!("hbs.unclosed_comment"), None));
            };
            at = start + end + 2;
            continue;
        }
        let triple = rest.starts_with("{{{");
        let body_start = if triple { 3 } else { 2 };
        let close = rest[body_start..].find("}}").map(|i| i + body_start);
        let next_open = rest[body_start..].find("{{").map(|i| i + body_start);
        let Some(close) = close.filter(|c| next_open.is_none_or(|o| *c < o)) else {
            return Some((start, msg!("hbs.unclosed_tag"), None));
        };
        if triple && !rest[close..].starts_with("}}}") {
            return Some((start, msg!("hbs.unclosed_triple"), None));
        }
        at = start + close + if triple { 3 } else { 2 };
        let inner = rest[body_start..close]
            .trim_start_matches('~')
            .trim_end_matches('~')
            .trim();
        if inner.is_empty() {
            return Some((start, msg!("hbs.empty_tag"), None));
        }
        if let Some(block) = inner.strip_prefix('#') {
            let block = block.trim_start_matches(['>', '*']).trim_start();
            open.push(Open {
                name: word(block),
                offset: start,
            });
        } else if let Some(inverse) = inner.strip_prefix('^').filter(|b| !b.trim().is_empty()) {
            open.push(Open {
                name: word(inverse.trim_start()),
                offset: start,
            });
        } else if let Some(closing) = inner.strip_prefix('/') {
            let name = word(closing.trim_start());
            match open.pop() {
                None => {
                    return Some((start, msg!("hbs.close_nothing", name = name), None));
                }
                Some(o) if o.name != name => {
                    let (line, _) = position(source, o.offset);
                    return Some((
                        start,
                        msg!("hbs.wrong_close", found = name, open = o.name, line = line),
                        Some(msg!("hint.wrong_close", found = name, open = o.name)),
                    ));
                }
                Some(_) => {}
            }
        } else if (inner == "else" || inner.starts_with("else ") || inner == "^") && open.is_empty()
        {
            return Some((start, msg!("hbs.else_outside"), None));
        }
    }
    let innermost = open.pop()?;
    let (line, _) = position(source, innermost.offset);
    Some((
        innermost.offset,
        msg!("hbs.unclosed_block", name = innermost.name, line = line),
        Some(msg!("hint.unclosed_block", name = innermost.name)),
    ))
}

/// The helper's name at the start of a tag's text: up to a space, `(`, `~` or `}`.
fn word(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || matches!(c, '(' | '~' | '}'))
        .next()
        .unwrap_or_default()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::definition::messages::Lang;

    fn said(source: &str) -> Option<(usize, usize, String)> {
        check_source(Path::new("t.hbs"), source)
            .map(|p| (p.line, p.column, p.message.render(Lang::En)))
    }

    #[test]
    fn names_each_mistake_at_its_tag_in_the_file() {
        assert_eq!(said("{{!-- variables: a --~}}\nok {{a}}\n"), None);
        assert_eq!(
            said("{{!-- variables: a --~}}\nline\n  {{#if a}}\nyes\n"),
            Some((
                3,
                3,
                "`{{#if}}` is opened on line 3 but never closed with `{{/if}}`".into()
            ))
        );
        assert_eq!(
            said("a\nb {{name\nc {{x}}"),
            Some((
                2,
                3,
                "unclosed `{{`: the tag that starts here never ends with `}}`".into()
            ))
        );
        assert_eq!(
            said("{{#each xs}}\n{{#if a}} b {{/each}}"),
            Some((
                2,
                13,
                "`{{/each}}` closes `{{#if}}`, which was opened on line 2".into()
            ))
        );
        assert_eq!(
            said("x {{/if}}").map(|s| s.2),
            Some("`{{/if}}` closes nothing: no `{{#if}}` is open here".into())
        );
        assert_eq!(
            said("x {{{name}}").map(|s| (s.0, s.1)),
            Some((1, 3)),
            "a triple tag closed by two"
        );
        assert_eq!(
            said("{{!-- never closed\n").map(|s| s.2),
            Some("the comment that starts here never ends with `--}}`".into())
        );
        // The crate takes this one as a short comment to the next `}}`, text and all.
        assert_eq!(
            said("Hello\n{{!-- variables: a\n{{a}} is lost\n"),
            Some((
                2,
                1,
                "the comment that starts here never ends with `--}}`".into()
            ))
        );
        // What the scan does not know: the crate's words, at its place in the file, in plain
        // ones where they mean one thing.
        let (line, column, text) = said("a\nx {{foo bar=}}").unwrap();
        assert_eq!((line, column), (2, 13));
        assert_eq!(
            text,
            "a value is missing here: after `name=`, or as a helper's argument"
        );
        let (_, _, text) = said("x {{foo \"bar}}").unwrap();
        assert!(
            text.starts_with("the template cannot be read here: expected"),
            "{text}"
        );
    }
}
