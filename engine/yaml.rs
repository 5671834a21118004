//! YAML loading that keeps every node's position.
//!
//! Workflow definitions, calendar years and scenarios are written by people who are not
//! programmers, so every mistake must point at a line and a column. We parse with
//! `saphyr-parser` (a maintained, fully YAML 1.2 compliant parser: the serde_yaml it
//! replaces is deprecated, and its event stream gives us a span for every key and value),
//! and build a [`Document`]: the data as a `serde_json::Value` plus a table from JSON
//! pointer to source position. Keeping positions beside the data, rather than inside it,
//! lets three consumers share one tree: the JSON Schema validator (which reports JSON
//! pointers), serde (whose failing path we map back with `serde_path_to_error`), and the
//! semantic checks of each loader.
//!
//! The scalars follow the YAML 1.2 core schema: `true`/`false`, `null`/`~`/empty, decimal
//! integers and floats; everything else, dates included, stays a string. Duplicate keys,
//! which most YAML libraries silently resolve to the last one, are an error here: two
//! steps with the same id must not quietly replace each other.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use saphyr_parser::{Event, Parser, ScalarStyle, Span};
use serde_json::{Map, Number, Value};

use crate::diagnostic::Diagnostic;

/// A 1-based line and column in a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

impl Position {
    fn of(span: &Span) -> Self {
        Position {
            line: span.start.line(),
            column: span.start.col() + 1,
        }
    }
}

/// Where a node sits: its own position, and for a mapping entry the position of its key.
#[derive(Debug, Clone, Copy)]
struct Place {
    key: Option<Position>,
    value: Position,
}

/// A parsed YAML file: its data and the position of every node in it.
#[derive(Debug, Clone)]
pub struct Document {
    file: PathBuf,
    value: Value,
    places: HashMap<String, Place>,
    /// The source lines, to place a position inside a scalar (an expression's error).
    lines: Vec<String>,
}

impl Document {
    /// The file the document was read from, as given.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// The data, as JSON.
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// Where the node at `pointer` (RFC 6901) starts; for a mapping entry, where its key starts.
    ///
    /// A pointer into something that does not exist (a missing field) resolves to the
    /// nearest existing parent, which is where the user must add it.
    pub fn position(&self, pointer: &str) -> Position {
        self.place(pointer)
            .map(|p| p.key.unwrap_or(p.value))
            .unwrap_or(Position { line: 1, column: 1 })
    }

    /// Where the *value* at `pointer` starts (not its key): for errors about a value.
    pub fn value_position(&self, pointer: &str) -> Position {
        self.place(pointer)
            .map(|p| p.value)
            .unwrap_or(Position { line: 1, column: 1 })
    }

    fn place(&self, pointer: &str) -> Option<Place> {
        let mut pointer = pointer;
        loop {
            if let Some(place) = self.places.get(pointer) {
                return Some(*place);
            }
            let cut = pointer.rfind('/')?;
            pointer = &pointer[..cut];
        }
    }

    /// The position of the `offset`-th character inside the scalar at `pointer`, for a
    /// mistake inside an expression. Quotes are stepped over; inside a block scalar
    /// (`|`, `>`) or past the end of the line the scalar's own position is the answer.
    pub fn position_in_scalar(&self, pointer: &str, offset: usize) -> Position {
        let start = self.value_position(pointer);
        let Some(line) = self.lines.get(start.line - 1) else {
            return start;
        };
        let rest: Vec<char> = line.chars().skip(start.column - 1).collect();
        let skip = match rest.first() {
            Some('"') | Some('\'') => 1,
            Some('|') | Some('>') | None => return start,
            _ => 0,
        };
        if skip + offset >= rest.len() {
            return start;
        }
        Position {
            line: start.line,
            column: start.column + skip + offset,
        }
    }

    /// A diagnostic positioned at the node at `pointer` (its key, for a mapping entry).
    pub fn diagnostic(&self, pointer: &str, message: impl Into<String>) -> Diagnostic {
        let pos = self.position(pointer);
        Diagnostic::new(&self.file, pos.line, pos.column, message)
    }

    /// A diagnostic positioned at the value at `pointer`.
    pub fn value_diagnostic(&self, pointer: &str, message: impl Into<String>) -> Diagnostic {
        let pos = self.value_position(pointer);
        Diagnostic::new(&self.file, pos.line, pos.column, message)
    }

    /// Deserialises the document, positioning a failure at the field that failed.
    pub fn deserialize<T: serde::de::DeserializeOwned>(&self) -> Result<T, Diagnostic> {
        serde_path_to_error::deserialize(&self.value).map_err(|err| {
            let pointer = pointer_of(err.path());
            let inner = err.into_inner().to_string();
            self.serde_diagnostic(&pointer, &inner)
        })
    }

    /// Turns serde's message into one a methodologist can act on, with a hint where serde
    /// listed what it expected.
    fn serde_diagnostic(&self, pointer: &str, message: &str) -> Diagnostic {
        if let Some((field, expected)) = parse_unknown_field(message) {
            let at = format!("{pointer}/{}", escape(&field));
            let mut diag = self.diagnostic(&at, format!("unknown field `{field}`"));
            let names: Vec<&str> = expected.iter().map(String::as_str).collect();
            if let Some(best) = crate::diagnostic::did_you_mean(&field, names.iter().copied()) {
                diag = diag.with_hint(format!("did you mean `{best}`?"));
            } else if !names.is_empty() {
                diag = diag.with_hint(format!("expected one of: {}", names.join(", ")));
            }
            return diag;
        }
        let where_ = if pointer.is_empty() {
            String::new()
        } else {
            format!("`{}`: ", dotted(pointer))
        };
        self.value_diagnostic(pointer, format!("{where_}{message}"))
    }
}

/// Renders a JSON pointer as the dotted path a person reads: `/steps/accept/task` → `steps.accept.task`.
pub fn dotted(pointer: &str) -> String {
    pointer
        .trim_start_matches('/')
        .split('/')
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect::<Vec<_>>()
        .join(".")
}

/// Escapes one segment of a JSON pointer (RFC 6901).
pub fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

fn pointer_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => out.push_str(&format!("/{index}")),
            Segment::Map { key } => out.push_str(&format!("/{}", escape(key))),
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    out
}

/// Recognises serde's "unknown field `x`, expected one of `a`, `b`" message.
fn parse_unknown_field(message: &str) -> Option<(String, Vec<String>)> {
    let rest = message.strip_prefix("unknown field `")?;
    let end = rest.find('`')?;
    let field = rest[..end].to_string();
    let expected = rest[end + 1..]
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect();
    Some((field, expected))
}

/// Parses one YAML document, keeping the position of every node.
///
/// Returns every problem found that can be found without a schema: syntax errors (the
/// first one only, as the parser cannot recover), duplicate keys, non-string keys, and
/// more than one document in the file.
pub fn parse(file: &Path, text: &str) -> Result<Document, Vec<Diagnostic>> {
    let mut builder = Builder {
        file: file.to_path_buf(),
        stack: Vec::new(),
        anchors: HashMap::new(),
        places: HashMap::new(),
        root: None,
        documents: 0,
        errors: Vec::new(),
    };
    for event in Parser::new_from_str(text) {
        match event {
            Ok((event, span)) => builder.event(event, span),
            Err(err) => {
                let m = err.marker();
                builder.errors.push(
                    Diagnostic::new(file, m.line(), m.col() + 1, format!("YAML syntax error: {}", err.info()))
                        .with_hint("check the indentation and the `:` after each key on this line and the one above"),
                );
                return Err(builder.errors);
            }
        }
    }
    if !builder.errors.is_empty() {
        return Err(builder.errors);
    }
    Ok(Document {
        file: file.to_path_buf(),
        value: builder.root.unwrap_or(Value::Null),
        places: builder.places,
        lines: text.lines().map(str::to_string).collect(),
    })
}

/// Reads and parses a file; an unreadable file is a diagnostic at 1:1.
pub fn read(file: &Path) -> Result<Document, Vec<Diagnostic>> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        vec![Diagnostic::new(
            file,
            1,
            1,
            format!("cannot read the file: {e}"),
        )]
    })?;
    parse(file, &text)
}

enum Frame {
    Seq {
        pointer: String,
        anchor: usize,
        items: Vec<Value>,
    },
    Map {
        pointer: String,
        anchor: usize,
        entries: Map<String, Value>,
        /// The key read and waiting for its value, with its position.
        pending_key: Option<(String, Position)>,
    },
}

struct Builder {
    file: PathBuf,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Value>,
    places: HashMap<String, Place>,
    root: Option<Value>,
    documents: usize,
    errors: Vec<Diagnostic>,
}

impl Builder {
    /// The pointer the next value will get, or `None` when the next scalar is a mapping key.
    fn next_pointer(&self) -> Option<String> {
        match self.stack.last() {
            None => Some(String::new()),
            Some(Frame::Seq { pointer, items, .. }) => Some(format!("{pointer}/{}", items.len())),
            Some(Frame::Map {
                pointer,
                pending_key: Some((key, _)),
                ..
            }) => Some(format!("{pointer}/{}", escape(key))),
            Some(Frame::Map { .. }) => None,
        }
    }

    fn event(&mut self, event: Event<'_>, span: Span) {
        let pos = Position::of(&span);
        match event {
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    self.errors.push(
                        Diagnostic::new(
                            &self.file,
                            pos.line,
                            pos.column,
                            "more than one YAML document in the file",
                        )
                        .with_hint("keep one definition per file; remove the `---` line"),
                    );
                }
            }
            Event::Scalar(text, style, anchor, _tag) => {
                if self.next_pointer().is_none() {
                    // A mapping key.
                    self.key(text.into_owned(), pos);
                    return;
                }
                let value = scalar(&text, style);
                if anchor > 0 {
                    self.anchors.insert(anchor, value.clone());
                }
                self.value(value, pos);
            }
            Event::Alias(id) => {
                let value = self.anchors.get(&id).cloned().unwrap_or(Value::Null);
                if self.next_pointer().is_none() {
                    match value {
                        Value::String(s) => self.key(s, pos),
                        _ => self.key_error(pos),
                    }
                    return;
                }
                self.value(value, pos);
            }
            Event::SequenceStart(anchor, _) => {
                let Some(pointer) = self.next_pointer() else {
                    self.key_error(pos);
                    self.stack.push(Frame::Seq {
                        pointer: "/!".into(),
                        anchor,
                        items: vec![],
                    });
                    return;
                };
                self.record(&pointer, pos);
                self.stack.push(Frame::Seq {
                    pointer,
                    anchor,
                    items: Vec::new(),
                });
            }
            Event::MappingStart(anchor, _) => {
                let Some(pointer) = self.next_pointer() else {
                    self.key_error(pos);
                    self.stack.push(Frame::Map {
                        pointer: "/!".into(),
                        anchor,
                        entries: Map::new(),
                        pending_key: None,
                    });
                    return;
                };
                self.record(&pointer, pos);
                self.stack.push(Frame::Map {
                    pointer,
                    anchor,
                    entries: Map::new(),
                    pending_key: None,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (value, anchor, pointer) = match self.stack.pop() {
                    Some(Frame::Seq {
                        items,
                        anchor,
                        pointer,
                    }) => (Value::Array(items), anchor, pointer),
                    Some(Frame::Map {
                        entries,
                        anchor,
                        pointer,
                        ..
                    }) => (Value::Object(entries), anchor, pointer),
                    None => return,
                };
                if anchor > 0 {
                    self.anchors.insert(anchor, value.clone());
                }
                if pointer == "/!" {
                    return; // a complex key, already reported
                }
                self.attach(value);
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {}
        }
    }

    fn key(&mut self, key: String, pos: Position) {
        let duplicate = match self.stack.last() {
            Some(Frame::Map { entries, .. }) => entries.contains_key(&key),
            _ => false,
        };
        if let Some(Frame::Map {
            pointer,
            pending_key,
            ..
        }) = self.stack.last_mut()
        {
            if duplicate {
                let first = self
                    .places
                    .get(&format!("{pointer}/{}", escape(&key)))
                    .and_then(|p| p.key)
                    .map(|p| format!(" (first at line {})", p.line))
                    .unwrap_or_default();
                self.errors.push(
                    Diagnostic::new(
                        &self.file,
                        pos.line,
                        pos.column,
                        format!("duplicate key `{key}`{first}"),
                    )
                    .with_hint("each key may appear once in a mapping: rename or merge the two"),
                );
            }
            *pending_key = Some((key, pos));
        }
    }

    fn key_error(&mut self, pos: Position) {
        self.errors.push(
            Diagnostic::new(
                &self.file,
                pos.line,
                pos.column,
                "a mapping key must be a plain string",
            )
            .with_hint("write the key as a word, e.g. `accept:`"),
        );
    }

    fn record(&mut self, pointer: &str, value: Position) {
        let key = match self.stack.last() {
            Some(Frame::Map {
                pending_key: Some((_, k)),
                ..
            }) => Some(*k),
            _ => None,
        };
        self.places
            .insert(pointer.to_string(), Place { key, value });
    }

    fn value(&mut self, value: Value, pos: Position) {
        if let Some(pointer) = self.next_pointer() {
            self.record(&pointer, pos);
        }
        self.attach(value);
    }

    fn attach(&mut self, value: Value) {
        match self.stack.last_mut() {
            None => self.root = Some(value),
            Some(Frame::Seq { items, .. }) => items.push(value),
            Some(Frame::Map {
                entries,
                pending_key,
                ..
            }) => {
                if let Some((key, _)) = pending_key.take() {
                    // On a duplicate key the first value wins; the duplicate was reported.
                    entries.entry(key).or_insert(value);
                }
            }
        }
    }
}

/// Resolves a scalar by the YAML 1.2 core schema; quoted scalars are always strings.
fn scalar(text: &str, style: ScalarStyle) -> Value {
    if style != ScalarStyle::Plain {
        return Value::String(text.to_string());
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let numeric = text
        .strip_prefix(['-', '+'])
        .unwrap_or(text)
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_digit() || c == '.');
    if numeric {
        if let Ok(i) = text.parse::<i64>() {
            return Value::Number(i.into());
        }
        if text
            .chars()
            .all(|c| c.is_ascii_digit() || "+-.eE".contains(c))
            && let Some(n) = text.parse::<f64>().ok().and_then(Number::from_f64)
        {
            return Value::Number(n);
        }
    }
    Value::String(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Document {
        parse(Path::new("t.yaml"), text).expect("valid yaml")
    }

    #[test]
    fn keeps_positions_of_keys_and_values() {
        let d = doc("a:\n  b: 1\n  c:\n    - x\n    - y: 2\n");
        assert_eq!(d.position("/a/b"), Position { line: 2, column: 3 });
        assert_eq!(d.value_position("/a/b"), Position { line: 2, column: 6 });
        assert_eq!(d.value_position("/a/c/1"), Position { line: 5, column: 7 });
        assert_eq!(d.position("/a/c/1/y"), Position { line: 5, column: 7 });
        // A missing node falls back to its nearest parent.
        assert_eq!(
            d.position("/a/missing/deeper"),
            Position { line: 1, column: 1 }
        );
        assert_eq!(d.value()["a"]["c"][1]["y"], 2);
    }

    #[test]
    fn core_schema_scalars() {
        let d = doc("a: 2026-04-13\nb: 5\nc: '5'\nd: true\ne: ~\nf: 1.5\ng: 1.2.3\n");
        let v = d.value();
        assert_eq!(v["a"], "2026-04-13");
        assert_eq!(v["b"], 5);
        assert_eq!(v["c"], "5");
        assert_eq!(v["d"], true);
        assert_eq!(v["e"], Value::Null);
        assert_eq!(v["f"], 1.5);
        assert_eq!(v["g"], "1.2.3");
    }

    #[test]
    fn duplicate_keys_are_errors_with_both_lines() {
        let errs = parse(Path::new("w.yaml"), "steps:\n  a: 1\n  b: 2\n  a: 3\n").unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!(
            errs[0].to_string(),
            "w.yaml:4:3: duplicate key `a` (first at line 2)\n  hint: each key may appear once in a mapping: rename or merge the two"
        );
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let errs = parse(Path::new("w.yaml"), "a:\n  b: [1, 2\n").unwrap_err();
        assert_eq!(errs.len(), 1);
        assert!(
            errs[0].message.starts_with("YAML syntax error"),
            "{}",
            errs[0]
        );
        assert!(errs[0].line >= 2, "{}", errs[0]);
    }

    #[test]
    fn anchors_and_aliases_resolve() {
        let d = doc("base: &b {x: 1}\nother: *b\n");
        assert_eq!(d.value()["other"]["x"], 1);
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        working_days: u32,
    }
    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        term: Inner,
    }

    #[test]
    fn serde_errors_point_at_the_field() {
        let d = doc("term:\n  workng_days: 5\n");
        let e = d.deserialize::<Outer>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.yaml:2:3: unknown field `workng_days`\n  hint: did you mean `working_days`?"
        );
        let d = doc("term:\n  working_days: five\n");
        let e = d.deserialize::<Outer>().unwrap_err();
        assert_eq!(e.line, 2);
        assert_eq!(e.column, 17);
        assert!(
            e.message.starts_with("`term.working_days`: invalid type"),
            "{e}"
        );
    }
}
