//! Reading a rendered document: the HTML our templates produce, as blocks of styled text.
//!
//! Not a browser. The document templates use a small part of HTML and CSS — paragraphs,
//! headings, numbered lists, a two-column table, `<br>`, bold, italic, underline, `<small>`,
//! a `<style>` of type and class rules and `style=""` attributes — and this reads the part
//! of it that changes what a printed page shows: font size, weight, slant and underline,
//! alignment, vertical and left margins, padding, letter spacing, `white-space`. The styles
//! cascade as in a browser (a user-agent sheet, then the document's rules by specificity,
//! then `style=""`), so a new template's classes work without code. Any element this does
//! not know is inline and keeps its text; what the page would not show (`<head>`,
//! `display: none`) is skipped; `<title>` becomes the PDF's title.

use html5gum::{DefaultEmitter, Token, Tokenizer};
use simplecss::{AttributeOperator, Declaration, DeclarationTokenizer, PseudoClass, StyleSheet};

use super::style::{Align, Display, ListStyle, Style, TextStyle, USER_AGENT_CSS, WhiteSpace};

/// The space between the cells of a table (a browser's default `border-spacing`, 2 px).
pub(super) const BORDER_SPACING: f32 = 1.5;

/// Elements that never have content or an end tag.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr",
];

/// Start tags that close an open `<p>`, as the HTML parser does.
const CLOSES_P: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "center",
    "details",
    "div",
    "dl",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "ul",
];

/// A document as the layout needs it.
#[derive(Debug, Default)]
pub(super) struct Document {
    /// `<title>`, whitespace collapsed: the PDF's title.
    pub title: Option<String>,
    /// `<html lang>`: the PDF's language.
    pub lang: Option<String>,
    pub blocks: Vec<Block>,
}

/// A block of the page, top to bottom.
#[derive(Debug)]
pub(super) enum Block {
    Para(Para),
    Table(Table),
}

/// A paragraph, heading or list item: text broken into lines.
#[derive(Debug)]
pub(super) struct Para {
    /// The collapsed vertical margins above it, in points.
    pub space_before: f32,
    /// The left and right indents from the page's margins (margins and paddings of the
    /// blocks it sits in, a list's indent).
    pub indent_left: f32,
    pub indent_right: f32,
    pub align: Align,
    /// The block's own text size: an empty line's height.
    pub size: f32,
    /// A list item's number or bullet, hung left of the text.
    pub marker: Option<(String, TextStyle)>,
    /// A heading: not left alone at the foot of a page.
    pub keep_with_next: bool,
    /// Starts a new page (`page-break-before`).
    pub page_break_before: bool,
    pub inlines: Vec<Inline>,
}

/// A table: rows of cells, each laid out as a paragraph in its column.
#[derive(Debug)]
pub(super) struct Table {
    pub space_before: f32,
    pub indent_left: f32,
    pub indent_right: f32,
    /// Starts a new page (`page-break-before`).
    pub page_break_before: bool,
    pub rows: Vec<Vec<Cell>>,
}

#[derive(Debug)]
pub(super) struct Cell {
    /// Top, right, bottom, left.
    pub padding: [f32; 4],
    pub align: Align,
    pub size: f32,
    pub inlines: Vec<Inline>,
}

/// A piece of a paragraph's text.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Inline {
    /// Text in one style; spaces are break opportunities (already collapsed where the
    /// `white-space` rule says so).
    Text(String, TextStyle),
    /// `<br>`, or a newline where `white-space` keeps them.
    Break,
}

/// An element open while reading.
struct Open {
    name: String,
    attrs: Vec<(String, String)>,
    style: Style,
    /// Inside `display: none` (or `<head>`): its text is not printed.
    hidden: bool,
    first_child: bool,
    children: usize,
    /// The containing block's width for this element's content, in points.
    width: f32,
    /// For `<ol>`/`<ul>`: the last number given.
    counter: i64,
    /// This element opened the table being read (not a nested one).
    owns_table: bool,
}

impl Open {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// An open element seen by the selector matcher.
#[derive(Clone, Copy)]
struct El<'a> {
    stack: &'a [Open],
    at: usize,
}

impl simplecss::Element for El<'_> {
    fn parent_element(&self) -> Option<Self> {
        self.at.checked_sub(1).map(|at| El {
            stack: self.stack,
            at,
        })
    }

    fn prev_sibling_element(&self) -> Option<Self> {
        // Siblings are not kept; `a + b` selectors do not match. No template uses them.
        None
    }

    fn has_local_name(&self, name: &str) -> bool {
        self.stack[self.at].name.eq_ignore_ascii_case(name)
    }

    fn attribute_matches(&self, local_name: &str, operator: AttributeOperator<'_>) -> bool {
        self.stack[self.at]
            .attr(local_name)
            .is_some_and(|v| operator.matches(v))
    }

    fn pseudo_class_matches(&self, class: PseudoClass<'_>) -> bool {
        match class {
            PseudoClass::FirstChild => self.stack[self.at].first_child,
            PseudoClass::Lang(lang) => self.stack[..=self.at]
                .iter()
                .rev()
                .find_map(|o| o.attr("lang"))
                .is_some_and(|l| {
                    l.eq_ignore_ascii_case(lang)
                        || l.to_ascii_lowercase()
                            .starts_with(&format!("{}-", lang.to_ascii_lowercase()))
                }),
            _ => false,
        }
    }
}

/// Inline content being gathered, with the white-space state across its runs.
#[derive(Default)]
struct Flow {
    inlines: Vec<Inline>,
    /// At the start of the flow or of a line: leading collapsible spaces are dropped.
    at_line_start: bool,
    /// The last character was a collapsible space.
    after_space: bool,
    /// A block ended inside a table cell: the next text starts a new line.
    pending_break: bool,
}

impl Flow {
    fn new() -> Flow {
        Flow {
            inlines: Vec::new(),
            at_line_start: true,
            after_space: false,
            pending_break: false,
        }
    }

    fn has_content(&self) -> bool {
        !self.inlines.is_empty()
    }

    fn push_str(&mut self, s: &str, style: TextStyle) {
        if s.is_empty() {
            return;
        }
        if let Some(Inline::Text(text, last)) = self.inlines.last_mut()
            && *last == style
        {
            text.push_str(s);
            return;
        }
        self.inlines.push(Inline::Text(s.to_string(), style));
    }

    /// Adds text, collapsing white space as `ws` says.
    fn text(&mut self, text: &str, style: TextStyle, ws: WhiteSpace) {
        if self.pending_break && !text.is_empty() {
            self.pending_break = false;
            self.line_break();
        }
        let mut out = String::new();
        for c in text.chars() {
            let is_space = matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{c}');
            match ws {
                WhiteSpace::Pre if c == '\n' => {
                    self.push_str(&std::mem::take(&mut out), style);
                    self.line_break();
                }
                WhiteSpace::Pre if c == '\r' => {}
                WhiteSpace::Pre if is_space => {
                    let n = if c == '\t' { 4 } else { 1 };
                    out.extend(std::iter::repeat_n(' ', n));
                    self.at_line_start = false;
                }
                WhiteSpace::PreLine if c == '\n' => {
                    self.push_str(&std::mem::take(&mut out), style);
                    self.line_break();
                }
                _ if is_space => {
                    if !self.at_line_start && !self.after_space {
                        out.push(' ');
                        self.after_space = true;
                    }
                }
                _ => {
                    out.push(c);
                    self.after_space = false;
                    self.at_line_start = false;
                }
            }
        }
        self.push_str(&out, style);
    }

    /// Drops a trailing collapsible space, as at the end of a line.
    fn trim_end(&mut self) {
        if self.after_space {
            if let Some(Inline::Text(text, _)) = self.inlines.last_mut()
                && text.ends_with(' ')
            {
                text.pop();
                if text.is_empty() {
                    self.inlines.pop();
                }
            }
            self.after_space = false;
        }
    }

    fn line_break(&mut self) {
        self.trim_end();
        self.inlines.push(Inline::Break);
        self.at_line_start = true;
    }

    fn finish(mut self) -> Vec<Inline> {
        self.trim_end();
        self.inlines
    }
}

struct Para0 {
    space_before: f32,
    indent_left: f32,
    indent_right: f32,
    align: Align,
    size: f32,
    marker: Option<(String, TextStyle)>,
    keep_with_next: bool,
    page_break_before: bool,
    flow: Flow,
}

struct Table0 {
    space_before: f32,
    indent_left: f32,
    indent_right: f32,
    page_break_before: bool,
    rows: Vec<Vec<Cell0>>,
    /// A cell is open: text goes into the last cell of the last row.
    in_cell: bool,
}

struct Cell0 {
    padding: [f32; 4],
    align: Align,
    size: f32,
    flow: Flow,
}

struct Reader<'css> {
    rules: Vec<simplecss::Rule<'css>>,
    stack: Vec<Open>,
    blocks: Vec<Block>,
    para: Option<Para0>,
    table: Option<Table0>,
    /// The collapsed vertical margin waiting above the next block.
    pending_margin: f32,
    /// A page break waiting before the next block.
    pending_page_break: bool,
    /// A list item's marker waiting for its first text.
    pending_marker: Option<(String, TextStyle)>,
    title: Option<String>,
    lang: Option<String>,
    page_width: f32,
}

/// Reads a rendered document. `width` is the page's content width, for percentages.
pub(super) fn read(html: &str, width: f32) -> Document {
    let css = style_sheets(html);
    let mut rules = StyleSheet::parse(USER_AGENT_CSS).rules;
    rules.extend(StyleSheet::parse(&css).rules);
    let mut reader = Reader {
        rules,
        stack: Vec::new(),
        blocks: Vec::new(),
        para: None,
        table: None,
        pending_margin: 0.0,
        pending_page_break: false,
        pending_marker: None,
        title: None,
        lang: None,
        page_width: width,
    };
    for token in tokens(html) {
        match token {
            Token::StartTag(tag) => {
                let name = String::from_utf8_lossy(&tag.name).to_ascii_lowercase();
                let attrs = tag
                    .attributes
                    .iter()
                    .map(|(k, v)| {
                        (
                            String::from_utf8_lossy(k).to_ascii_lowercase(),
                            String::from_utf8_lossy(&v.value).into_owned(),
                        )
                    })
                    .collect();
                reader.start(name, attrs, tag.self_closing);
            }
            Token::EndTag(tag) => {
                let name = String::from_utf8_lossy(&tag.name).to_ascii_lowercase();
                reader.end(&name);
            }
            Token::String(s) => reader.text(&String::from_utf8_lossy(&s.value)),
            Token::Comment(_) | Token::Doctype(_) | Token::Error(_) => {}
        }
    }
    while !reader.stack.is_empty() {
        reader.pop();
    }
    reader.flush_para();
    reader.flush_table();
    Document {
        title: reader
            .title
            .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|t| !t.is_empty()),
        lang: reader.lang,
        blocks: reader.blocks,
    }
}

/// The tokens, with the tokenizer switched into raw text inside `<style>`, `<title>` and
/// `<script>` as the tree builder would.
fn tokens(html: &str) -> impl Iterator<Item = Token> + '_ {
    let mut emitter = DefaultEmitter::default();
    emitter.naively_switch_states(true);
    Tokenizer::new_with_emitter(html, emitter).map(|t| match t {
        Ok(t) => t,
        Err(never) => match never {},
    })
}

/// The text of every `<style>` element, in document order.
fn style_sheets(html: &str) -> String {
    let mut css = String::new();
    let mut in_style = false;
    for token in tokens(html) {
        match token {
            Token::StartTag(t) if t.name.eq_ignore_ascii_case(b"style") => in_style = true,
            Token::EndTag(t) if t.name.eq_ignore_ascii_case(b"style") => {
                in_style = false;
                css.push('\n');
            }
            Token::String(s) if in_style => css.push_str(&String::from_utf8_lossy(&s.value)),
            _ => {}
        }
    }
    css
}

impl Reader<'_> {
    fn top_style(&self) -> Style {
        self.stack
            .last()
            .map_or_else(Style::root, |o| o.style.clone())
    }

    fn hidden(&self) -> bool {
        self.stack.last().is_some_and(|o| o.hidden)
    }

    /// Pops open elements up to and including the innermost `name`, if it is open below
    /// none of `stop`.
    fn close_if_open(&mut self, names: &[&str], stop: &[&str]) {
        let found = self
            .stack
            .iter()
            .rev()
            .take_while(|o| !stop.contains(&o.name.as_str()))
            .position(|o| names.contains(&o.name.as_str()));
        if let Some(depth) = found {
            for _ in 0..=depth {
                self.pop();
            }
        }
    }

    fn start(&mut self, name: String, attrs: Vec<(String, String)>, self_closing: bool) {
        if name == "html"
            && let Some((_, lang)) = attrs.iter().find(|(n, _)| n == "lang")
        {
            self.lang = Some(lang.clone());
        }
        // The parser's implied end tags, for HTML that leaves them out.
        let table_scope = ["td", "th", "table", "html", "button"];
        if CLOSES_P.contains(&name.as_str()) {
            self.close_if_open(&["p"], &table_scope);
        }
        match name.as_str() {
            "li" => self.close_if_open(&["li"], &["ol", "ul", "td", "th", "table"]),
            "dt" | "dd" => self.close_if_open(&["dt", "dd"], &["dl", "td", "th", "table"]),
            "tr" => self.close_if_open(&["tr"], &["table"]),
            "td" | "th" => self.close_if_open(&["td", "th"], &["tr", "table"]),
            _ => {}
        }

        let void = self_closing || VOID.contains(&name.as_str());
        if void {
            self.void(&name, &attrs);
            return;
        }

        let parent = self.stack.last();
        let parent_style = parent.map_or_else(Style::root, |o| o.style.clone());
        let hidden = parent.is_some_and(|o| o.hidden) || name == "head";
        let first_child = parent.is_none_or(|o| o.children == 0);
        let width = parent.map_or(self.page_width, |o| o.width);
        if let Some(p) = self.stack.last_mut() {
            p.children += 1;
        }
        self.stack.push(Open {
            name,
            attrs,
            style: parent_style.inherited(),
            hidden,
            first_child,
            children: 0,
            width,
            counter: 0,
            owns_table: false,
        });
        let mut style = self.compute(&parent_style, width);
        let open = self.stack.last_mut().expect("just pushed");
        if open.name == "html" || open.name == "body" {
            // The page's margins stand for the body's (`body { margin: 2cm }`).
            style.margin = [0.0; 4];
        }
        open.hidden |= style.display == Display::None;
        open.width =
            (width - style.margin[1] - style.margin[3] - style.padding[1] - style.padding[3])
                .max(width / 4.0);
        if open.name == "ol" {
            open.counter = open
                .attr("start")
                .and_then(|s| s.trim().parse::<i64>().ok())
                .map_or(0, |s| s - 1);
        }
        open.style = style;
        if open.hidden {
            return;
        }
        let style = open.style.clone();
        match style.display {
            Display::None | Display::Inline => {}
            Display::Block => self.open_block(&style),
            Display::ListItem => {
                let marker = self.next_marker(&style);
                self.open_block(&style);
                if self.in_cell() {
                    if let Some((text, style)) = marker {
                        self.text_in(&text, style, WhiteSpace::Pre);
                    }
                } else {
                    self.pending_marker = marker;
                }
            }
            Display::Table => {
                if self.table.is_some() {
                    self.cell_break();
                } else {
                    self.flush_para();
                    let space_before = self.take_margin(style.margin[0]);
                    let page_break_before =
                        style.page_break_before || std::mem::take(&mut self.pending_page_break);
                    let (indent_left, indent_right) = self.indents();
                    self.table = Some(Table0 {
                        space_before,
                        indent_left,
                        indent_right,
                        page_break_before,
                        rows: Vec::new(),
                        in_cell: false,
                    });
                    self.stack.last_mut().expect("just pushed").owns_table = true;
                }
            }
            Display::Row => match &mut self.table {
                Some(t) if !t.in_cell => t.rows.push(Vec::new()),
                Some(_) => self.cell_break(),
                None => self.open_block(&style),
            },
            Display::Cell => match &mut self.table {
                Some(t) if !t.in_cell => {
                    if t.rows.is_empty() {
                        t.rows.push(Vec::new());
                    }
                    t.rows.last_mut().expect("a row").push(Cell0 {
                        padding: style.padding,
                        align: style.align,
                        size: style.size,
                        flow: Flow::new(),
                    });
                    t.in_cell = true;
                }
                Some(_) => self.cell_break(),
                None => self.open_block(&style),
            },
        }
    }

    /// The style of the element on top of the stack: the user-agent rules, then the
    /// document's by specificity, then its `style=""`. Font size first, for `em`.
    fn compute(&self, parent: &Style, width: f32) -> Style {
        let el = El {
            stack: &self.stack,
            at: self.stack.len() - 1,
        };
        let open = &self.stack[el.at];
        let inline_css = open.attr("style").unwrap_or("");
        let mut declarations: Vec<Declaration<'_>> = Vec::new();
        for rule in &self.rules {
            if rule.selector.matches(&el) {
                declarations.extend(rule.declarations.iter().cloned());
            }
        }
        declarations.extend(DeclarationTokenizer::from(inline_css));
        let mut style = parent.inherited();
        // `<font size>`, `<p align>`, `<td align>`: older attributes still in use.
        if let Some(align) = open.attr("align") {
            style.apply(
                &Declaration {
                    name: "text-align",
                    value: align,
                    important: false,
                },
                parent.size,
                width,
            );
        }
        for d in declarations
            .iter()
            .filter(|d| d.name == "font-size" || d.name == "font")
        {
            style.apply(d, parent.size, width);
        }
        for d in declarations.iter().filter(|d| d.name != "font-size") {
            style.apply(d, parent.size, width);
        }
        style
    }

    fn void(&mut self, name: &str, attrs: &[(String, String)]) {
        if self.hidden() {
            return;
        }
        match name {
            "br" => {
                if let Some(flow) = self.flow() {
                    flow.line_break();
                }
            }
            "hr" => {
                self.flush_para();
                self.pending_margin = self.pending_margin.max(6.0);
            }
            "img" | "input" => {
                // The text a reader would be given instead of the picture or the field.
                let alt = attrs
                    .iter()
                    .find(|(n, _)| n == "alt" || n == "value")
                    .map(|(_, v)| v.clone());
                if let Some(alt) = alt {
                    self.text(&alt);
                }
            }
            _ => {}
        }
    }

    fn end(&mut self, name: &str) {
        if name == "br" {
            // `</br>` is read as `<br>` by browsers.
            self.void("br", &[]);
            return;
        }
        if let Some(depth) = self.stack.iter().rev().position(|o| o.name == name) {
            for _ in 0..=depth {
                self.pop();
            }
        }
    }

    fn pop(&mut self) {
        let Some(open) = self.stack.pop() else {
            return;
        };
        if open.hidden {
            return;
        }
        let style = &open.style;
        match style.display {
            Display::None | Display::Inline => {}
            Display::Block | Display::ListItem => self.close_block(style),
            Display::Table if open.owns_table => {
                self.flush_table();
                self.pending_margin = self.pending_margin.max(style.margin[2]);
            }
            Display::Table | Display::Row => {
                if self.table.is_none() {
                    self.close_block(style);
                }
            }
            Display::Cell => match &mut self.table {
                Some(t) if t.in_cell => {
                    // A cell closes when the element that opened it does; a nested
                    // table's cells only broke lines.
                    let opened_here = self
                        .stack
                        .iter()
                        .all(|o| o.style.display != Display::Cell || o.hidden);
                    if opened_here {
                        t.in_cell = false;
                    }
                }
                Some(_) => {}
                None => self.close_block(style),
            },
        }
    }

    fn open_block(&mut self, style: &Style) {
        if self.in_cell() {
            self.cell_break();
            return;
        }
        self.flush_para();
        self.pending_margin = self.pending_margin.max(style.margin[0]);
        self.pending_page_break |= style.page_break_before;
    }

    fn close_block(&mut self, style: &Style) {
        if self.in_cell() {
            self.cell_break();
            return;
        }
        self.flush_para();
        self.pending_margin = self.pending_margin.max(style.margin[2]);
    }

    fn in_cell(&self) -> bool {
        self.table.as_ref().is_some_and(|t| t.in_cell)
    }

    /// A block boundary inside a table cell: a line break.
    fn cell_break(&mut self) {
        if let Some(flow) = self.cell_flow()
            && flow.has_content()
            && flow.inlines.last() != Some(&Inline::Break)
        {
            flow.pending_break = true;
        }
    }

    fn cell_flow(&mut self) -> Option<&mut Flow> {
        let t = self.table.as_mut().filter(|t| t.in_cell)?;
        Some(&mut t.rows.last_mut()?.last_mut()?.flow)
    }

    fn take_margin(&mut self, own: f32) -> f32 {
        let m = self.pending_margin.max(own);
        self.pending_margin = 0.0;
        m
    }

    /// The left and right indents of the blocks open now.
    fn indents(&self) -> (f32, f32) {
        self.stack
            .iter()
            .filter(|o| o.style.display != Display::Inline)
            .fold((0.0, 0.0), |(l, r), o| {
                (
                    l + o.style.margin[3] + o.style.padding[3],
                    r + o.style.margin[1] + o.style.padding[1],
                )
            })
    }

    /// The marker of a list item just opened: its list's next number, or a bullet.
    fn next_marker(&mut self, style: &Style) -> Option<(String, TextStyle)> {
        let list = self
            .stack
            .iter_mut()
            .rev()
            .skip(1)
            .find(|o| o.name == "ol" || o.name == "ul");
        let n = match list {
            Some(list) => {
                list.counter += 1;
                list.counter
            }
            None => 1,
        };
        let marker = match style.list_style {
            ListStyle::None => return None,
            ListStyle::Decimal => format!("{n}. "),
            ListStyle::Disc => "• ".to_string(),
            ListStyle::Circle => "◦ ".to_string(),
            ListStyle::Square => "▪ ".to_string(),
            ListStyle::LowerAlpha | ListStyle::UpperAlpha => {
                let upper = style.list_style == ListStyle::UpperAlpha;
                format!("{}. ", alpha(n, upper))
            }
        };
        let text = TextStyle {
            underline: false,
            ..style.text()
        };
        Some((marker, text))
    }

    /// Where text goes now: the open cell, or the paragraph (opened on first use).
    fn flow(&mut self) -> Option<&mut Flow> {
        if self.in_cell() {
            return self.cell_flow();
        }
        if self.para.is_none() {
            let block = self
                .stack
                .iter()
                .rev()
                .find(|o| o.style.display != Display::Inline)
                .map_or_else(Style::root, |o| o.style.clone());
            let heading = self
                .stack
                .iter()
                .any(|o| matches!(o.name.as_str(), "h1" | "h2" | "h3" | "h4" | "h5" | "h6"));
            let (indent_left, indent_right) = self.indents();
            let space_before = self.take_margin(0.0);
            self.para = Some(Para0 {
                space_before,
                indent_left,
                indent_right,
                align: block.align,
                size: block.size,
                marker: self.pending_marker.take(),
                keep_with_next: heading,
                page_break_before: std::mem::take(&mut self.pending_page_break),
                flow: Flow::new(),
            });
        }
        self.para.as_mut().map(|p| &mut p.flow)
    }

    fn text(&mut self, text: &str) {
        if self.hidden() {
            if self.stack.last().is_some_and(|o| o.name == "title") {
                self.title.get_or_insert_default().push_str(text);
            }
            return;
        }
        let style = self.top_style();
        let ws = style.white_space;
        let blank = text
            .chars()
            .all(|c| matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{c}'));
        if let Some(t) = &mut self.table
            && !t.in_cell
        {
            // Text between a table's rows: browsers move it out of the table; here it
            // gets a cell of its own rather than being lost.
            if blank {
                return;
            }
            if t.rows.is_empty() {
                t.rows.push(Vec::new());
            }
            let mut flow = Flow::new();
            flow.text(text, style.text(), ws);
            t.rows.last_mut().expect("a row").push(Cell0 {
                padding: [0.0; 4],
                align: style.align,
                size: style.size,
                flow,
            });
            return;
        }
        if blank && ws == WhiteSpace::Normal && self.para.is_none() && !self.in_cell() {
            return;
        }
        self.text_in(text, style.text(), ws);
    }

    fn text_in(&mut self, text: &str, style: TextStyle, ws: WhiteSpace) {
        if let Some(flow) = self.flow() {
            flow.text(text, style, ws);
        }
    }

    fn flush_para(&mut self) {
        let Some(p) = self.para.take() else {
            return;
        };
        let inlines = p.flow.finish();
        if inlines.is_empty() {
            // Nothing printed: the page break waits for the block that is.
            self.pending_page_break |= p.page_break_before;
            return;
        }
        self.blocks.push(Block::Para(Para {
            space_before: p.space_before,
            indent_left: p.indent_left,
            indent_right: p.indent_right,
            align: p.align,
            size: p.size,
            marker: p.marker,
            keep_with_next: p.keep_with_next,
            page_break_before: p.page_break_before,
            inlines,
        }));
    }

    fn flush_table(&mut self) {
        let Some(t) = self.table.take() else {
            return;
        };
        let rows: Vec<Vec<Cell>> = t
            .rows
            .into_iter()
            .map(|row| {
                row.into_iter()
                    .map(|c| Cell {
                        padding: c.padding,
                        align: c.align,
                        size: c.size,
                        inlines: c.flow.finish(),
                    })
                    .collect::<Vec<_>>()
            })
            .filter(|row| !row.is_empty())
            .collect();
        if rows.is_empty() {
            self.pending_page_break |= t.page_break_before;
            return;
        }
        self.blocks.push(Block::Table(Table {
            space_before: t.space_before,
            indent_left: t.indent_left,
            indent_right: t.indent_right,
            page_break_before: t.page_break_before,
            rows,
        }));
    }
}

/// `a`, `b`, … `z`, `aa`, …: the letter numbering of `list-style-type: lower-alpha`.
fn alpha(n: i64, upper: bool) -> String {
    if n < 1 {
        return n.to_string();
    }
    let mut n = n;
    let mut out = Vec::new();
    while n > 0 {
        n -= 1;
        let base = if upper { b'A' } else { b'a' };
        out.push((base + (n % 26) as u8) as char);
        n /= 26;
    }
    out.iter().rev().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const WIDTH: f32 = 480.0;

    fn texts(p: &Para) -> String {
        p.inlines
            .iter()
            .map(|i| match i {
                Inline::Text(t, _) => t.as_str(),
                Inline::Break => "\n",
            })
            .collect()
    }

    fn paras(doc: &Document) -> Vec<&Para> {
        doc.blocks
            .iter()
            .filter_map(|b| match b {
                Block::Para(p) => Some(p),
                Block::Table(_) => None,
            })
            .collect()
    }

    #[test]
    fn head_is_not_printed_and_its_title_is_kept() {
        let doc = read(
            "<!DOCTYPE html><html lang=\"kk\"><head><meta charset=\"utf-8\">\
             <title>Тыңдау\n хаттамасы</title><style>p { color: red }</style></head>\
             <body><p>Мәтін</p></body></html>",
            WIDTH,
        );
        assert_eq!(doc.title.as_deref(), Some("Тыңдау хаттамасы"));
        assert_eq!(doc.lang.as_deref(), Some("kk"));
        let p = paras(&doc);
        assert_eq!(p.len(), 1);
        assert_eq!(texts(p[0]), "Мәтін");
    }

    #[test]
    fn the_documents_style_sheet_sets_sizes_alignment_and_margins() {
        let doc = read(
            "<style>h1 { font-size: 14pt; text-align: center; } .sign { margin-top: 2em; }\
             .to { margin-left: 50%; }</style>\
             <h1>Заголовок</h1><p>Первый</p><p class=\"sign\">Подпись</p>\
             <p class=\"to\">Кому</p><p style=\"text-align: right; font-size: 9pt\">Справа</p>",
            WIDTH,
        );
        let p = paras(&doc);
        assert_eq!(p[0].align, Align::Center);
        assert_eq!(p[0].size, 14.0);
        assert!(p[0].keep_with_next);
        let Inline::Text(_, h1) = &p[0].inlines[0] else {
            panic!("text")
        };
        assert!(h1.bold, "h1 is bold by default");
        // The paragraph's 12 pt bottom margin collapses into .sign's 24 pt top margin.
        assert_eq!(p[2].space_before, 24.0);
        assert_eq!(p[3].indent_left, WIDTH / 2.0);
        assert_eq!(p[4].align, Align::Right);
        assert_eq!(p[4].size, 9.0);
    }

    #[test]
    fn white_space_collapses_and_pre_line_keeps_newlines() {
        let doc = read(
            "<p>  один \n  <b>два</b>  три  </p>\
             <p style=\"white-space: pre-line\">паспорт\nсправка\n</p><p>a<br>b</p>",
            WIDTH,
        );
        let p = paras(&doc);
        assert_eq!(texts(p[0]), "один два три");
        assert_eq!(
            texts(p[1]),
            "паспорт\nсправка\n",
            "the layout prints no empty last line"
        );
        assert_eq!(texts(p[2]), "a\nb");
        let bold = p[0]
            .inlines
            .iter()
            .any(|i| matches!(i, Inline::Text(t, s) if t == "два" && s.bold));
        assert!(bold, "{:?}", p[0].inlines);
    }

    #[test]
    fn list_items_are_numbered_and_indented() {
        let doc = read(
            "<p>Документы:</p><ol><li>Заявление.</li>\n<li>Паспорт.</ol><ul><li>x</ul>",
            WIDTH,
        );
        let p = paras(&doc);
        assert_eq!(p[1].marker.as_ref().map(|m| m.0.as_str()), Some("1. "));
        assert_eq!(p[2].marker.as_ref().map(|m| m.0.as_str()), Some("2. "));
        assert_eq!(texts(p[2]), "Паспорт.");
        assert_eq!(p[1].indent_left, 30.0);
        assert_eq!(p[3].marker.as_ref().map(|m| m.0.as_str()), Some("• "));
    }

    #[test]
    fn a_table_is_rows_of_cells() {
        let doc = read(
            "<style>td { padding: 0.2em 0.5em; }</style><table>\n\
             <tr><td>Күні</td><td>20.04.2026</td></tr>\n\
             <tr><td>Орны<p>екінші</p></td><td><b>ЦОН</b></td></tr></table><p>после</p>",
            WIDTH,
        );
        let Block::Table(t) = &doc.blocks[0] else {
            panic!("{:?}", doc.blocks)
        };
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[0].len(), 2);
        assert_eq!(t.rows[0][0].padding, [2.4, 6.0, 2.4, 6.0]);
        assert_eq!(
            t.rows[1][0].inlines,
            vec![
                Inline::Text("Орны".into(), t.rows[1][0].inlines_style()),
                Inline::Break,
                Inline::Text("екінші".into(), t.rows[1][0].inlines_style()),
            ]
        );
        assert_eq!(texts(paras(&doc)[0]), "после");
    }

    impl Cell {
        fn inlines_style(&self) -> TextStyle {
            match &self.inlines[0] {
                Inline::Text(_, s) => *s,
                Inline::Break => panic!("text first"),
            }
        }
    }

    #[test]
    fn unknown_and_unclosed_tags_keep_their_text() {
        let doc = read(
            "<body><custom-box>Один <blink>два</blink></custom-box><p>три<p>четыре<div>пять</div>\
             <span>шесть",
            WIDTH,
        );
        let all: Vec<String> = paras(&doc).iter().map(|p| texts(p)).collect();
        assert_eq!(all, ["Один два", "три", "четыре", "пять", "шесть"]);
    }

    #[test]
    fn entities_are_decoded() {
        let doc = read(
            "<p>Подпись ____ &nbsp;&nbsp; &laquo;ЦОН&raquo; &amp; 1&lt;2</p>",
            WIDTH,
        );
        assert_eq!(
            texts(paras(&doc)[0]),
            "Подпись ____ \u{a0}\u{a0} «ЦОН» & 1<2"
        );
    }
}
