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
//!
//! **Limits.** A YAML file is input from whoever may post a definition (`POST /definitions`)
//! or hand one to `qyzmet validate`, and YAML makes small files expensive: nine levels of
//! aliases (`b: [*a, *a, …]`) in 431 bytes expand to hundreds of millions of nodes, and
//! 100,000 nested `- ` in 200 KB make a tree whose every consumer — serde, the JSON Schema
//! validator, the drop of a `serde_json::Value` — recurses once per level and overflows the
//! stack. Either aborts the process. So a document is refused, at the place it crosses the
//! line and before it is built any further, when it is larger than [`MAX_BYTES`], nests
//! deeper than [`MAX_DEPTH`], or its aliases copy more than [`MAX_ALIAS_NODES`] nodes or
//! [`MAX_ALIAS_BYTES`] of text in all. Within them a document costs memory in proportion to
//! its size, and nothing downstream recurses more than [`MAX_DEPTH`] levels. Positions are
//! kept in a tree of keys (`Places`), not by each node's full pointer, which a deep document
//! with long keys would make quadratic.
//!
//! **Architecture Invariant:** every YAML file the engine reads is parsed here ([`parse`],
//! [`read`] and their `_in` forms in a language), so these limits hold for definitions,
//! scenarios, calendars, the configuration and the connectors alike; nothing else in
//! `engine/` uses the YAML parser (a test checks).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use saphyr_parser::{Event, Parser, ScalarStyle, Span};
use serde_json::{Map, Number, Value};

use crate::definition::messages::Lang;
use crate::diagnostic::Diagnostic;
use crate::msg;

/// The largest file read: 1 MiB. The largest shipped file (a service's definition) is 29 KB,
/// a calendar year or a scenario a few; a file thirty times larger than any of them is a
/// mistake or an attack. Also the body limit of `POST /definitions`.
pub const MAX_BYTES: usize = 1 << 20;

/// The deepest nesting of sequences and mappings: 64. Shipped files nest 7 levels at most
/// and the definition format's deepest path about 8, so there is room for scenario data;
/// and 64 frames of serde or the schema validator are nowhere near a thread's stack.
pub const MAX_DEPTH: usize = 64;

/// The most nodes (scalars, sequences, mappings) all aliases together may copy: 100,000.
/// The largest shipped definition has some 700 nodes in all; an alias copies its anchor
/// whole, so this bounds what aliases add, whatever they nest.
pub const MAX_ALIAS_NODES: u64 = 100_000;

/// The most text (scalars and keys, in bytes) all aliases together may copy: 1 MiB, what
/// the largest file holds. With [`MAX_ALIAS_NODES`], aliases at most double a document.
pub const MAX_ALIAS_BYTES: u64 = 1 << 20;

/// A 1-based line and column in a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

/// Where a node sits: its own position, and for a mapping entry the position of its key.
#[derive(Debug, Clone, Copy)]
struct Place {
    key: Option<Position>,
    value: Position,
}

/// The position of every node, as a tree: a node's children by key (or index), so that
/// a pointer is looked up one segment at a time and no node stores the pointer to it.
#[derive(Debug, Clone, Default)]
struct Places {
    /// Each node's place, by its number; the root is the first.
    nodes: Vec<Place>,
    /// A node's child by its segment (a key, unescaped, or an index): the child's number.
    children: HashMap<(usize, String), usize>,
}

impl Places {
    /// Records a node, the child `segment` of node `parent` (`None`: the root); returns its
    /// number. A segment recorded already (a duplicate key, reported elsewhere) keeps the
    /// first node.
    fn add(&mut self, parent: Option<usize>, segment: String, place: Place) -> usize {
        let id = self.nodes.len();
        self.nodes.push(place);
        if let Some(parent) = parent {
            self.children.entry((parent, segment)).or_insert(id);
        }
        id
    }

    /// The node at `pointer` (RFC 6901), or the nearest recorded node above it.
    fn find(&self, pointer: &str) -> Option<Place> {
        let mut here = 0;
        let mut found = self.nodes.first().copied()?;
        let Some(rest) = pointer.strip_prefix('/') else {
            return Some(found);
        };
        for segment in rest.split('/') {
            let segment = segment.replace("~1", "/").replace("~0", "~");
            match self.children.get(&(here, segment)) {
                Some(&child) => {
                    here = child;
                    found = self.nodes[child];
                }
                None => break,
            }
        }
        Some(found)
    }

    /// The child `segment` of node `parent`, if recorded.
    fn child(&self, parent: usize, segment: &str) -> Option<Place> {
        self.children
            .get(&(parent, segment.to_string()))
            .map(|&id| self.nodes[id])
    }
}

/// A parsed YAML file: its data and the position of every node in it.
#[derive(Debug, Clone)]
pub struct Document {
    file: PathBuf,
    value: Value,
    places: Places,
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

    /// The same document with other data at the same positions: a check that completes a
    /// part (a text missing a language, reported already) checks the rest of the shape on
    /// it. A node the original has keeps its position; a node it lacks takes its parent's.
    pub fn with_value(&self, value: Value) -> Document {
        Document {
            file: self.file.clone(),
            value,
            places: self.places.clone(),
            lines: self.lines.clone(),
        }
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
        self.places.find(pointer)
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

/// Parses one YAML document, keeping the position of every node; the problems in English.
/// See [`parse_in`].
pub fn parse(file: &Path, text: &str) -> Result<Document, Vec<Diagnostic>> {
    parse_in(file, text, Lang::En)
}

/// Parses one YAML document, keeping the position of every node.
///
/// Returns every problem found that can be found without a schema: syntax errors (the
/// first one only, as the parser cannot recover), duplicate keys, non-string keys, and
/// more than one document in the file. A document past one of the limits (the module's
/// doc) is refused with that one problem, at its place, in `lang`.
pub fn parse_in(file: &Path, text: &str, lang: Lang) -> Result<Document, Vec<Diagnostic>> {
    if text.len() > MAX_BYTES {
        return Err(vec![too_large(file, text.len() as u64, lang)]);
    }
    let mut builder = Builder {
        file: file.to_path_buf(),
        lang,
        lines: Lines::of(text),
        stack: Vec::new(),
        anchors: HashMap::new(),
        places: Places::default(),
        root: None,
        documents: 0,
        copied: Size::default(),
        stopped: false,
        errors: Vec::new(),
    };
    for event in Parser::new_from_str(text) {
        match event {
            Ok((event, span)) => builder.event(event, span),
            Err(err) => {
                let at = builder.lines.position(err.marker().index());
                builder.errors.push(
                    Diagnostic::new(
                        file,
                        at.line,
                        at.column,
                        msg!("yaml.syntax", detail = err.info()).render(lang),
                    )
                    .with_hint(msg!("yaml.syntax_hint").render(lang)),
                );
                return Err(builder.errors);
            }
        }
        if builder.stopped {
            break;
        }
    }
    if !builder.errors.is_empty() {
        return Err(builder.errors);
    }
    Ok(Document {
        file: file.to_path_buf(),
        value: builder.root.unwrap_or(Value::Null),
        places: builder.places,
        lines: builder.lines.texts(text),
    })
}

/// Where each line of a text starts and ends, in characters, with lines ending as YAML ends
/// them: at CR, LF or CR LF. Every position given is counted here from the parser's
/// character index, not taken from its line and column, which can point outside the text:
/// the parser does not count every lone CR as a line end (a directive line ended by one,
/// `%…\r`, runs on), and an empty document after comments, with no final line break, is put
/// on a line after the last. An index past the end of a line (or of the text) is the end of
/// that line, where an editor can go.
#[derive(Debug)]
struct Lines {
    /// Each line's first character and the character after its last (before its break).
    spans: Vec<(usize, usize)>,
}

impl Lines {
    fn of(text: &str) -> Lines {
        let mut spans = Vec::new();
        let (mut start, mut index) = (0, 0);
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\r' | '\n' => {
                    spans.push((start, index));
                    index += 1;
                    if c == '\r' && chars.peek() == Some(&'\n') {
                        chars.next();
                        index += 1;
                    }
                    start = index;
                }
                _ => index += 1,
            }
        }
        spans.push((start, index));
        Lines { spans }
    }

    /// The line and column (both from 1) of the character at `index`.
    fn position(&self, index: usize) -> Position {
        let line = self
            .spans
            .partition_point(|&(start, _)| start <= index)
            .max(1);
        let (start, end) = self.spans[line - 1];
        Position {
            line,
            column: index.min(end) - start + 1,
        }
    }

    /// The text of each line, without its break.
    fn texts(&self, text: &str) -> Vec<String> {
        let chars: Vec<char> = text.chars().collect();
        self.spans
            .iter()
            .map(|&(start, end)| chars[start..end].iter().collect())
            .collect()
    }
}

/// Reads and parses a file, the problems in English; see [`read_in`].
pub fn read(file: &Path) -> Result<Document, Vec<Diagnostic>> {
    read_in(file, Lang::En)
}

/// Reads and parses a file; an unreadable file, or one larger than [`MAX_BYTES`] (not read
/// at all), is a diagnostic at 1:1.
pub fn read_in(file: &Path, lang: Lang) -> Result<Document, Vec<Diagnostic>> {
    let unreadable = |e: std::io::Error| {
        vec![Diagnostic::new(
            file,
            1,
            1,
            msg!("yaml.unreadable", detail = e).render(lang),
        )]
    };
    let size = std::fs::metadata(file).map_err(unreadable)?.len();
    if size > MAX_BYTES as u64 {
        return Err(vec![too_large(file, size, lang)]);
    }
    let text = std::fs::read_to_string(file).map_err(unreadable)?;
    parse_in(file, &text, lang)
}

fn too_large(file: &Path, size: u64, lang: Lang) -> Diagnostic {
    Diagnostic::new(
        file,
        1,
        1,
        msg!("yaml.too_large", size = size, limit = MAX_BYTES).render(lang),
    )
    .with_hint(msg!("yaml.too_large_hint").render(lang))
}

/// What a node costs when an alias copies it.
#[derive(Debug, Clone, Copy, Default)]
struct Size {
    /// Scalars, sequences and mappings.
    nodes: u64,
    /// The text of its scalars and keys, in bytes.
    bytes: u64,
}

impl Size {
    fn add(&mut self, other: Size) {
        self.nodes = self.nodes.saturating_add(other.nodes);
        self.bytes = self.bytes.saturating_add(other.bytes);
    }
}

/// An anchored node, kept for its aliases.
struct Anchored {
    value: Value,
    size: Size,
    /// How many levels of sequences and mappings it nests (0 for a scalar).
    height: usize,
}

/// Where the next node goes.
enum Slot {
    /// It is the document.
    Root,
    /// The `index`-th item of a sequence recorded as node `parent` (`None`: not recorded).
    Item(Option<usize>, usize),
    /// The value of `key` (at `Position`) in a mapping recorded as node `parent`.
    Value(Option<usize>, String, Position),
    /// The next scalar is a mapping's key.
    Key,
}

enum Frame {
    Seq {
        /// Its node in the places, `None` inside a complex key (reported, not recorded).
        place: Option<usize>,
        anchor: usize,
        items: Vec<Value>,
        /// What its items cost so far.
        size: Size,
        /// The height of its highest item.
        height: usize,
    },
    Map {
        place: Option<usize>,
        anchor: usize,
        entries: Map<String, Value>,
        /// The key read and waiting for its value, with its position.
        pending_key: Option<(String, Position)>,
        size: Size,
        height: usize,
    },
}

impl Frame {
    /// Adds a child's cost and height.
    fn grow(&mut self, child: Size, child_height: usize) {
        let (Frame::Seq { size, height, .. } | Frame::Map { size, height, .. }) = self;
        size.add(child);
        *height = (*height).max(child_height);
    }
}

struct Builder {
    file: PathBuf,
    lang: Lang,
    /// Where the text's lines start, to place each node.
    lines: Lines,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Anchored>,
    places: Places,
    root: Option<Value>,
    documents: usize,
    /// What the aliases have copied so far.
    copied: Size,
    /// A limit was crossed: the rest of the input is not read.
    stopped: bool,
    errors: Vec<Diagnostic>,
}

impl Builder {
    /// Where the next node goes.
    fn slot(&self) -> Slot {
        match self.stack.last() {
            None => Slot::Root,
            Some(Frame::Seq { place, items, .. }) => Slot::Item(*place, items.len()),
            Some(Frame::Map {
                place,
                pending_key: Some((key, at)),
                ..
            }) => Slot::Value(*place, key.clone(), *at),
            Some(Frame::Map { .. }) => Slot::Key,
        }
    }

    fn event(&mut self, event: Event<'_>, span: Span) {
        let pos = self.lines.position(span.start.index());
        match event {
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    self.errors.push(
                        Diagnostic::new(
                            &self.file,
                            pos.line,
                            pos.column,
                            msg!("yaml.many_documents").render(self.lang),
                        )
                        .with_hint(msg!("yaml.many_documents_hint").render(self.lang)),
                    );
                }
            }
            Event::Scalar(text, style, anchor, _tag) => {
                let size = Size {
                    nodes: 1,
                    bytes: text.len() as u64,
                };
                if matches!(self.slot(), Slot::Key) {
                    self.key(text.into_owned(), pos);
                    return;
                }
                let value = scalar(&text, style);
                if anchor > 0 {
                    self.anchors.insert(
                        anchor,
                        Anchored {
                            value: value.clone(),
                            size,
                            height: 0,
                        },
                    );
                }
                self.value(value, size, 0, pos);
            }
            Event::Alias(id) => self.alias(id, pos),
            Event::SequenceStart(anchor, _) => {
                if self.too_deep(1, pos) {
                    return;
                }
                let place = self.open(pos);
                self.stack.push(Frame::Seq {
                    place,
                    anchor,
                    items: Vec::new(),
                    size: Size::default(),
                    height: 0,
                });
            }
            Event::MappingStart(anchor, _) => {
                if self.too_deep(1, pos) {
                    return;
                }
                let place = self.open(pos);
                self.stack.push(Frame::Map {
                    place,
                    anchor,
                    entries: Map::new(),
                    pending_key: None,
                    size: Size::default(),
                    height: 0,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (value, anchor, size, height) = match self.stack.pop() {
                    Some(Frame::Seq {
                        items,
                        anchor,
                        size,
                        height,
                        ..
                    }) => (Value::Array(items), anchor, size, height),
                    Some(Frame::Map {
                        entries,
                        anchor,
                        size,
                        height,
                        ..
                    }) => (Value::Object(entries), anchor, size, height),
                    None => return,
                };
                let size = Size {
                    nodes: size.nodes.saturating_add(1),
                    bytes: size.bytes,
                };
                let height = height + 1;
                if anchor > 0 {
                    self.anchors.insert(
                        anchor,
                        Anchored {
                            value: value.clone(),
                            size,
                            height,
                        },
                    );
                }
                // A complex key (reported) goes nowhere: its map has no pending key for it.
                self.attach(value, size, height);
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {}
        }
    }

    /// A sequence or mapping starts at `pos`: records it and returns its node, `None` when
    /// it is a mapping's key (an error) or inside one.
    fn open(&mut self, pos: Position) -> Option<usize> {
        match self.slot() {
            Slot::Key => {
                self.key_error(pos);
                None
            }
            slot => self.record(slot, pos),
        }
    }

    /// An alias: a copy of its anchor's node, counted against the limits first.
    fn alias(&mut self, id: usize, pos: Position) {
        let Some(anchored) = self.anchors.get(&id) else {
            self.value(Value::Null, Size::default(), 0, pos);
            return;
        };
        let (size, height) = (anchored.size, anchored.height);
        self.copied.add(size);
        if self.copied.nodes > MAX_ALIAS_NODES || self.copied.bytes > MAX_ALIAS_BYTES {
            let lang = self.lang;
            self.stop(
                pos,
                msg!(
                    "yaml.aliases_too_large",
                    nodes = MAX_ALIAS_NODES,
                    bytes = MAX_ALIAS_BYTES
                )
                .render(lang),
                msg!("yaml.aliases_too_large_hint").render(lang),
            );
            return;
        }
        if self.too_deep(height, pos) {
            return;
        }
        let value = self.anchors[&id].value.clone();
        if matches!(self.slot(), Slot::Key) {
            match value {
                Value::String(s) => self.key(s, pos),
                _ => self.key_error(pos),
            }
            return;
        }
        self.value(value, size, height, pos);
    }

    /// Refuses, at `pos`, a node `height` levels high that would nest the document deeper
    /// than [`MAX_DEPTH`]; `true` when it did.
    fn too_deep(&mut self, height: usize, pos: Position) -> bool {
        if self.stack.len() + height <= MAX_DEPTH {
            return false;
        }
        let lang = self.lang;
        self.stop(
            pos,
            msg!("yaml.too_deep", limit = MAX_DEPTH).render(lang),
            msg!("yaml.too_deep_hint").render(lang),
        );
        true
    }

    /// A limit is crossed at `pos`: the one problem reported, the rest of the input unread.
    fn stop(&mut self, pos: Position, message: String, hint: String) {
        self.errors
            .push(Diagnostic::new(&self.file, pos.line, pos.column, message).with_hint(hint));
        self.stopped = true;
    }

    fn key(&mut self, key: String, pos: Position) {
        if let Some(Frame::Map { place, entries, .. }) = self.stack.last()
            && entries.contains_key(&key)
        {
            let message = match place
                .and_then(|p| self.places.child(p, &key))
                .and_then(|p| p.key)
            {
                Some(first) => msg!("yaml.duplicate_key_at", key = key, line = first.line),
                None => msg!("yaml.duplicate_key", key = key),
            };
            self.errors.push(
                Diagnostic::new(&self.file, pos.line, pos.column, message.render(self.lang))
                    .with_hint(msg!("yaml.duplicate_key_hint").render(self.lang)),
            );
        }
        if let Some(frame @ Frame::Map { .. }) = self.stack.last_mut() {
            let bytes = key.len() as u64;
            frame.grow(Size { nodes: 0, bytes }, 0);
            if let Frame::Map { pending_key, .. } = frame {
                *pending_key = Some((key, pos));
            }
        }
    }

    fn key_error(&mut self, pos: Position) {
        self.errors.push(
            Diagnostic::new(
                &self.file,
                pos.line,
                pos.column,
                msg!("yaml.key_not_string").render(self.lang),
            )
            .with_hint(msg!("yaml.key_not_string_hint").render(self.lang)),
        );
    }

    /// Records the node going into `slot` at `value`; `None` when its parent is not recorded.
    fn record(&mut self, slot: Slot, value: Position) -> Option<usize> {
        match slot {
            Slot::Root => Some(
                self.places
                    .add(None, String::new(), Place { key: None, value }),
            ),
            Slot::Item(Some(parent), index) => Some(self.places.add(
                Some(parent),
                index.to_string(),
                Place { key: None, value },
            )),
            Slot::Value(Some(parent), key, at) => Some(self.places.add(
                Some(parent),
                key,
                Place {
                    key: Some(at),
                    value,
                },
            )),
            Slot::Item(None, _) | Slot::Value(None, ..) | Slot::Key => None,
        }
    }

    fn value(&mut self, value: Value, size: Size, height: usize, pos: Position) {
        let slot = self.slot();
        self.record(slot, pos);
        self.attach(value, size, height);
    }

    fn attach(&mut self, value: Value, size: Size, height: usize) {
        match self.stack.last_mut() {
            None => self.root = Some(value),
            Some(frame) => {
                frame.grow(size, height);
                match frame {
                    Frame::Seq { items, .. } => items.push(value),
                    Frame::Map {
                        entries,
                        pending_key,
                        ..
                    } => {
                        if let Some((key, _)) = pending_key.take() {
                            // On a duplicate key the first value wins; the duplicate was reported.
                            entries.entry(key).or_insert(value);
                        }
                    }
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
    fn a_position_counts_lines_as_yaml_ends_them() {
        let text = "ab\r\ncd\ref\ng";
        let at = |text: &str, index| {
            let p = Lines::of(text).position(index);
            (p.line, p.column)
        };
        assert_eq!(at(text, 0), (1, 1));
        assert_eq!(at(text, 2), (1, 3));
        assert_eq!(at(text, 3), (1, 3), "the LF of a CR LF ends the line too");
        assert_eq!(at(text, 4), (2, 1));
        assert_eq!(at(text, 7), (3, 1));
        assert_eq!(at(text, 10), (4, 1));
        // Past the end of a text without a final line break: the end of the last line.
        assert_eq!(at(text, 11), (4, 2));
        assert_eq!(at(text, 40), (4, 2));
        assert_eq!(
            at("a\n", 2),
            (2, 1),
            "after a final break: the empty last line"
        );
        assert_eq!(at("жол", 3), (1, 4), "characters, not bytes");
        assert_eq!(
            Lines::of(text).texts(text),
            ["ab", "cd", "ef", "g"],
            "the lines a position in a scalar counts in"
        );
    }

    #[test]
    fn an_empty_document_after_comments_is_placed_on_a_line_the_file_has() {
        // Found by the scenario fuzz target: comments, `---`, more comments and no final
        // line break. The document is empty (null), and the parser put it on line 4 of a
        // text of 3, so "expected a scenario" pointed where no editor could go.
        let text = "# a scenario\n---\n# only comments (d";
        let d = doc(text);
        assert_eq!(d.value(), &Value::Null);
        assert_eq!(
            d.value_position(""),
            Position {
                line: 3,
                column: 19
            }
        );
    }

    #[test]
    fn a_syntax_error_after_a_directive_ended_by_a_lone_cr_is_placed_on_its_line() {
        // Found by the scenario fuzz target: the parser ran the directive line on past its
        // CR and put the error at a column the first line does not have.
        let text = "%\u{fffd}\u{2}J\u{fffd}a\u{fffd}a`\u{fffd}\u{fffd}@=\u{fffd}:\u{fffd}\u{18}\u{fffd}_\u{fffd}\u{0}\
                    \u{fffd}XXz\u{fffd} ,\u{fffd}\u{fffd}\u{fffd}\u{17}\u{fffd}CT\u{fffd}\r\u{fffd}\u{fffd}8\u{12}s-K";
        let errors = parse(Path::new("t.yaml"), text).expect_err("not YAML");
        let lines: Vec<&str> = text.split(['\r', '\n']).collect();
        for e in &errors {
            let width = lines[e.line - 1].chars().count();
            assert!(
                e.column <= width + 1,
                "{e}: line {} has {width} characters",
                e.line
            );
        }
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
    fn keys_with_slashes_and_tildes_are_found_by_their_escaped_pointer() {
        let d = doc("\"a/b\":\n  \"c~d\": [1, {e: 2}]\n");
        assert_eq!(d.position("/a~1b/c~0d"), Position { line: 2, column: 3 });
        assert_eq!(
            d.value_position("/a~1b/c~0d/1/e"),
            Position {
                line: 2,
                column: 18
            }
        );
        assert_eq!(d.position("/a~1b/c~0d/7"), Position { line: 2, column: 3 });
    }

    #[test]
    fn a_deep_document_with_long_keys_keeps_every_position() {
        // 60 levels of 1000-character keys, 2000 items at the bottom: each node's pointer is
        // 60 KB long, and none of them is stored.
        let key = "k".repeat(1000);
        let mut text = String::new();
        for level in 0..60 {
            text.push_str(&format!("{}{key}:\n", " ".repeat(level)));
        }
        for _ in 0..2000 {
            text.push_str(&format!("{}- x\n", " ".repeat(60)));
        }
        let d = doc(&text);
        let pointer = format!("{}/1999", format!("/{key}").repeat(60));
        assert_eq!(
            d.value_position(&pointer),
            Position {
                line: 2060,
                column: 63
            }
        );
        assert_eq!(d.value().pointer(&pointer), Some(&Value::from("x")));
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
