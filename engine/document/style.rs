//! Styles: what the CSS of a document says about each element, computed as a browser does
//! for the properties a printed page shows (font size, weight, slant, underline, alignment,
//! margins, padding, letter spacing, `white-space`, `display`, list numbering).
//!
//! The values are parsed here; the rules come from `simplecss` (the user-agent sheet below,
//! the document's `<style>`, `style=""`), matched in [`super::html`].

use simplecss::Declaration;

/// What a browser's own style sheet gives these elements, in points: the HTML defaults our
/// templates rely on (a paragraph's margins, `<b>`, `<small>`, a list's indent) and that
/// their `<style>` overrides (the `<h1>` size and alignment).
pub(super) const USER_AGENT_CSS: &str = "
html, body, div, p, h1, h2, h3, h4, h5, h6, ol, ul, dl, dt, dd, blockquote, address, pre,
section, article, header, footer, main, nav, aside, figure, figcaption, hr, center, form,
fieldset, legend, caption, details, summary { display: block }
head, style, script, title, meta, link, template, noscript { display: none }
li { display: list-item }
table { display: table }
tr { display: table-row }
td, th { display: table-cell; padding: 1px }
p, blockquote, dl, pre, figure { margin-top: 1em; margin-bottom: 1em }
ol, ul { margin-top: 1em; margin-bottom: 1em; padding-left: 30pt }
ol { list-style-type: decimal }
ul { list-style-type: disc }
li ol, li ul { margin-top: 0; margin-bottom: 0 }
blockquote, figure { margin-left: 30pt; margin-right: 30pt }
dd { margin-left: 30pt }
h1 { font-size: 2em; margin-top: 0.67em; margin-bottom: 0.67em }
h2 { font-size: 1.5em; margin-top: 0.83em; margin-bottom: 0.83em }
h3 { font-size: 1.17em; margin-top: 1em; margin-bottom: 1em }
h4 { margin-top: 1.33em; margin-bottom: 1.33em }
h5 { font-size: 0.83em; margin-top: 1.67em; margin-bottom: 1.67em }
h6 { font-size: 0.67em; margin-top: 2.33em; margin-bottom: 2.33em }
h1, h2, h3, h4, h5, h6, b, strong, th, dt { font-weight: bold }
i, em, cite, var, dfn, address { font-style: italic }
u, ins { text-decoration: underline }
small { font-size: smaller }
big { font-size: larger }
center, th, caption { text-align: center }
pre { white-space: pre }
";

/// The size of `medium` text, and of the root: the 12 pt body of our documents.
const ROOT_FONT_SIZE: f32 = 12.0;

/// How a run of text looks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct TextStyle {
    pub size: f32,
    pub bold: bool,
    pub italic: bool,
    pub underline: bool,
    /// Extra space after each character, in points.
    pub letter_spacing: f32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Align {
    Left,
    Center,
    Right,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum WhiteSpace {
    /// Runs of white space are one space; newlines too.
    Normal,
    /// Newlines break the line; other white space collapses.
    PreLine,
    /// Every space and newline as written.
    Pre,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Display {
    None,
    Inline,
    Block,
    ListItem,
    Table,
    Row,
    Cell,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ListStyle {
    None,
    Decimal,
    Disc,
    Circle,
    Square,
    LowerAlpha,
    UpperAlpha,
}

/// An element's computed style, lengths in points.
#[derive(Debug, Clone)]
pub(super) struct Style {
    // Inherited.
    pub size: f32,
    pub bold: bool,
    pub italic: bool,
    pub underline: bool,
    pub align: Align,
    pub white_space: WhiteSpace,
    pub letter_spacing: f32,
    pub list_style: ListStyle,
    // Not inherited.
    pub display: Display,
    /// Top, right, bottom, left.
    pub margin: [f32; 4],
    pub padding: [f32; 4],
    /// `page-break-before: always` (or `break-before: page`): the block starts a new page —
    /// the second copy of a form made in two.
    pub page_break_before: bool,
}

impl Style {
    pub(super) fn root() -> Style {
        Style {
            size: ROOT_FONT_SIZE,
            bold: false,
            italic: false,
            underline: false,
            align: Align::Left,
            white_space: WhiteSpace::Normal,
            letter_spacing: 0.0,
            list_style: ListStyle::Disc,
            display: Display::Block,
            margin: [0.0; 4],
            padding: [0.0; 4],
            page_break_before: false,
        }
    }

    /// What a child starts from before its own rules.
    pub(super) fn inherited(&self) -> Style {
        Style {
            display: Display::Inline,
            margin: [0.0; 4],
            padding: [0.0; 4],
            page_break_before: false,
            ..self.clone()
        }
    }

    pub(super) fn text(&self) -> TextStyle {
        TextStyle {
            size: self.size,
            bold: self.bold,
            italic: self.italic,
            underline: self.underline,
            letter_spacing: self.letter_spacing,
        }
    }

    /// Applies one declaration. `parent_size` for a relative font size, `width` for
    /// percentages (the containing block's width). Unknown properties and values are
    /// ignored, as a browser does.
    pub(super) fn apply(&mut self, d: &Declaration<'_>, parent_size: f32, width: f32) {
        let value = d.value.trim();
        let em = self.size;
        match d.name {
            "font-size" => {
                if let Some(size) = font_size(value, parent_size) {
                    self.size = size;
                }
            }
            "font-weight" => match value {
                "bold" | "bolder" => self.bold = true,
                "normal" | "lighter" => self.bold = false,
                n => {
                    if let Ok(n) = n.parse::<u32>() {
                        self.bold = n >= 600;
                    }
                }
            },
            "font-style" => self.italic = matches!(value, "italic" | "oblique"),
            "font" => {
                for word in value.split_whitespace() {
                    match word {
                        "bold" | "bolder" => self.bold = true,
                        "italic" | "oblique" => self.italic = true,
                        w => {
                            if let Some(size) =
                                font_size(w.split('/').next().unwrap_or(w), parent_size)
                            {
                                self.size = size;
                            }
                        }
                    }
                }
            }
            "text-decoration" | "text-decoration-line" => {
                if value.split_whitespace().any(|w| w == "underline") {
                    self.underline = true;
                } else if value == "none" {
                    self.underline = false;
                }
            }
            "text-align" => {
                self.align = match value {
                    "center" => Align::Center,
                    "right" | "end" => Align::Right,
                    "left" | "start" | "justify" => Align::Left,
                    _ => self.align,
                }
            }
            "white-space" => {
                self.white_space = match value {
                    "pre" | "pre-wrap" | "break-spaces" => WhiteSpace::Pre,
                    "pre-line" => WhiteSpace::PreLine,
                    "normal" | "nowrap" => WhiteSpace::Normal,
                    _ => self.white_space,
                }
            }
            "letter-spacing" => {
                if value == "normal" {
                    self.letter_spacing = 0.0;
                } else if let Some(l) = length(value, em, width) {
                    self.letter_spacing = l;
                }
            }
            "list-style-type" | "list-style" => {
                for word in value.split_whitespace() {
                    if let Some(s) = list_style(word) {
                        self.list_style = s;
                    }
                }
            }
            "page-break-before" | "break-before" => {
                self.page_break_before = match value {
                    "always" | "page" | "left" | "right" | "recto" | "verso" => true,
                    "auto" | "avoid" | "avoid-page" => false,
                    _ => self.page_break_before,
                }
            }
            "display" => {
                self.display = match value {
                    "none" => Display::None,
                    "inline" | "inline-block" | "contents" => Display::Inline,
                    "block" | "flex" | "grid" | "flow-root" => Display::Block,
                    "list-item" => Display::ListItem,
                    "table" => Display::Table,
                    "table-row" => Display::Row,
                    "table-cell" => Display::Cell,
                    _ => self.display,
                }
            }
            "margin" => {
                if let Some(m) = sides(value, em, width) {
                    self.margin = m;
                }
            }
            "padding" => {
                if let Some(p) = sides(value, em, width) {
                    self.padding = p;
                }
            }
            name => {
                let (sides, side) = match name {
                    "margin-top" => (&mut self.margin, 0),
                    "margin-right" => (&mut self.margin, 1),
                    "margin-bottom" => (&mut self.margin, 2),
                    "margin-left" => (&mut self.margin, 3),
                    "padding-top" => (&mut self.padding, 0),
                    "padding-right" => (&mut self.padding, 1),
                    "padding-bottom" => (&mut self.padding, 2),
                    "padding-left" => (&mut self.padding, 3),
                    _ => return,
                };
                if let Some(l) = length(value, em, width) {
                    sides[side] = l;
                }
            }
        }
    }
}

fn list_style(word: &str) -> Option<ListStyle> {
    Some(match word {
        "none" => ListStyle::None,
        "decimal" => ListStyle::Decimal,
        "disc" => ListStyle::Disc,
        "circle" => ListStyle::Circle,
        "square" => ListStyle::Square,
        "lower-alpha" | "lower-latin" => ListStyle::LowerAlpha,
        "upper-alpha" | "upper-latin" => ListStyle::UpperAlpha,
        _ => return None,
    })
}

/// A CSS length in points: `pt`, `px`, `cm`, `mm`, `in`, `pc`, `em`, `rem`, `ex`, `%` (of
/// `percent_of`), or a bare `0`. `auto` and anything else: `None`.
fn length(value: &str, em: f32, percent_of: f32) -> Option<f32> {
    let value = value.trim();
    let split = value
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+'))
        .unwrap_or(value.len());
    let (number, unit) = value.split_at(split);
    let n: f32 = number.parse().ok()?;
    let points = match unit.trim() {
        "" if n == 0.0 => 0.0,
        "pt" => n,
        "px" => n * 0.75,
        "cm" => n * 72.0 / 2.54,
        "mm" => n * 72.0 / 25.4,
        "in" => n * 72.0,
        "pc" => n * 12.0,
        "em" => n * em,
        "rem" => n * ROOT_FONT_SIZE,
        "ex" => n * em / 2.0,
        "%" => n * percent_of / 100.0,
        _ => return None,
    };
    points.is_finite().then_some(points)
}

/// The largest text a document prints, in points. A form's largest heading is far below it;
/// relative sizes compounding (a heading inside a heading inside a heading) would otherwise
/// print letters wider than the page.
const MAX_FONT_SIZE: f32 = 72.0;

/// A `font-size` value in points, relative sizes against the parent's, at most
/// [`MAX_FONT_SIZE`].
fn font_size(value: &str, parent: f32) -> Option<f32> {
    let px = |px: f32| px * 0.75;
    let size = match value {
        "xx-small" => px(9.0),
        "x-small" => px(10.0),
        "small" => px(13.0),
        "medium" => ROOT_FONT_SIZE,
        "large" => px(18.0),
        "x-large" => px(24.0),
        "xx-large" => px(32.0),
        "smaller" => parent / 1.2,
        "larger" => parent * 1.2,
        v => length(v, parent, parent)?,
    };
    (size > 0.0).then_some(size.min(MAX_FONT_SIZE))
}

/// The one-to-four-value shorthand of `margin` and `padding`: top, right, bottom, left.
fn sides(value: &str, em: f32, width: f32) -> Option<[f32; 4]> {
    let v: Vec<f32> = value
        .split_whitespace()
        .map(|w| {
            if w == "auto" {
                Some(0.0)
            } else {
                length(w, em, width)
            }
        })
        .collect::<Option<_>>()?;
    Some(match v[..] {
        [a] => [a, a, a, a],
        [a, b] => [a, b, a, b],
        [a, b, c] => [a, b, c, b],
        [a, b, c, d] => [a, b, c, d],
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_in_the_units_templates_write() {
        let close = |a: Option<f32>, b: f32| a.is_some_and(|a| (a - b).abs() < 0.001);
        assert!(close(length("2cm", 12.0, 480.0), 56.6929));
        assert!(close(length("10mm", 12.0, 480.0), 28.3465));
        assert!(close(length("12pt", 12.0, 480.0), 12.0));
        assert!(close(length("16px", 12.0, 480.0), 12.0));
        assert!(close(length("2em", 14.0, 480.0), 28.0));
        assert!(close(length("50%", 12.0, 480.0), 240.0));
        assert!(close(length("0", 12.0, 480.0), 0.0));
        assert_eq!(length("auto", 12.0, 480.0), None);
        assert_eq!(
            length("12", 12.0, 480.0),
            None,
            "a unitless length is invalid"
        );
        assert_eq!(
            sides("0.2em 0.5em", 12.0, 480.0),
            Some([2.4, 6.0, 2.4, 6.0])
        );
        assert_eq!(
            sides("1pt 2pt 3pt", 12.0, 480.0),
            Some([1.0, 2.0, 3.0, 2.0])
        );
        assert_eq!(font_size("smaller", 12.0), Some(10.0));
        assert_eq!(font_size("9pt", 12.0), Some(9.0));
        assert_eq!(font_size("-1pt", 12.0), None);
        assert_eq!(font_size("2em", 60.0), Some(MAX_FONT_SIZE), "capped");
    }
}
