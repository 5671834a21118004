//! Laying a read document out on A4 pages: words shaped in the embedded font, lines broken
//! greedily on their widths, lines and table rows stacked down the page and onto the next
//! one when it fills.
//!
//! Printed documents are what a clerk signs and hands over, so the rules are the plain
//! ones of a word processor: 2 cm margins, a heading never left alone at the foot of a
//! page, a table row never split across two (unless it is taller than a page), a word too
//! long for its line cut rather than run into the margin.

use krilla::text::{GlyphId, KrillaGlyph};
use rustybuzz::UnicodeBuffer;

use super::fonts::{Faces, Variant};
use super::html::{BORDER_SPACING, Block, Document, Inline, Para, Table};
use super::style::{Align, TextStyle};

/// A4, in points.
pub(super) const PAGE_WIDTH: f32 = 595.2756;
pub(super) const PAGE_HEIGHT: f32 = 841.8898;
/// 2 cm on every side.
pub(super) const MARGIN: f32 = 72.0 * 2.0 / 2.54;
pub(super) const CONTENT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;
const CONTENT_BOTTOM: f32 = PAGE_HEIGHT - MARGIN;
const CONTENT_HEIGHT: f32 = PAGE_HEIGHT - 2.0 * MARGIN;

/// One page's marks, in krilla's coordinates (points, origin top left, y down).
#[derive(Debug, Default)]
pub(super) struct Page {
    pub items: Vec<Item>,
}

#[derive(Debug, Clone)]
pub(super) enum Item {
    /// A run of text in one face and size, on one baseline.
    Text {
        x: f32,
        baseline: f32,
        variant: Variant,
        size: f32,
        text: String,
        glyphs: Vec<KrillaGlyph>,
    },
    /// A filled rectangle: an underline.
    Rule {
        x: f32,
        y: f32,
        width: f32,
        height: f32,
    },
}

impl Item {
    fn moved_down(mut self, dy: f32) -> Item {
        match &mut self {
            Item::Text { baseline, .. } => *baseline += dy,
            Item::Rule { y, .. } => *y += dy,
        }
        self
    }
}

/// Lays the document out; always at least one page.
pub(super) fn lay_out(doc: &Document, faces: &Faces) -> Vec<Page> {
    let shaper = Shaper { faces };
    let mut boxes = Vec::new();
    for block in &doc.blocks {
        let first = boxes.len();
        let page_break_before = match block {
            Block::Para(p) => {
                shaper.para(p, &mut boxes);
                p.page_break_before
            }
            Block::Table(t) => {
                shaper.table(t, &mut boxes);
                t.page_break_before
            }
        };
        if let Some(b) = boxes.get_mut(first) {
            b.page_break_before = page_break_before;
        }
    }
    paginate(boxes)
}

/// Shaped text in one style.
#[derive(Debug, Clone)]
struct Seg {
    style: TextStyle,
    text: String,
    glyphs: Vec<KrillaGlyph>,
    /// In points.
    width: f32,
}

/// What the line breaker works on.
#[derive(Debug)]
enum Piece {
    /// Text between two break opportunities, possibly in several styles (`<u>пенсию</u>,`).
    Word(Vec<Seg>),
    Space(Seg),
    Break,
}

impl Piece {
    fn width(&self) -> f32 {
        match self {
            Piece::Word(segs) => segs.iter().map(|s| s.width).sum(),
            Piece::Space(s) => s.width,
            Piece::Break => 0.0,
        }
    }
}

/// A laid-out line: segments at their offsets from the line's start.
#[derive(Debug, Default)]
struct Line {
    segs: Vec<(f32, Seg)>,
    /// Without the trailing spaces.
    width: f32,
    /// The spaces the line was broken at, kept at its end: invisible, but a PDF reader
    /// copying the text gets "word word", not "wordword", across the break.
    trailing: f32,
    ascent: f32,
    height: f32,
}

/// Something stacked down the page: a line, or a table row.
#[derive(Debug)]
struct Box_ {
    /// The margin above it, dropped at the top of a page.
    space_before: f32,
    height: f32,
    /// Items with y relative to the box's top.
    items: Vec<Item>,
    /// Goes on the same page as the box after it.
    keep_with_next: bool,
    /// Starts a new page (the first box of a block with `page-break-before`).
    page_break_before: bool,
}

struct Shaper<'a> {
    faces: &'a Faces,
}

impl Shaper<'_> {
    fn shape(&self, text: &str, style: TextStyle) -> Seg {
        let face = self.faces.get(Variant::of(style.bold, style.italic));
        let upem = face.units_per_em() as f32;
        let mut buffer = UnicodeBuffer::new();
        buffer.push_str(text);
        buffer.guess_segment_properties();
        // Our documents are Kazakh, Russian and Latin. Right-to-left text, were any to come
        // in, keeps its letters in logical order rather than needing a bidi layout: every
        // cluster then follows the one before it, which line cutting relies on.
        buffer.set_direction(rustybuzz::Direction::LeftToRight);
        let shaped = rustybuzz::shape(face, &[], buffer);
        let infos = shaped.glyph_infos();
        let positions = shaped.glyph_positions();
        let spacing = style.letter_spacing / style.size;
        let mut glyphs = Vec::with_capacity(infos.len());
        for (i, (info, pos)) in infos.iter().zip(positions).enumerate() {
            let start = info.cluster as usize;
            let end = infos[i + 1..]
                .iter()
                .find(|next| next.cluster != info.cluster)
                .map_or(text.len(), |next| next.cluster as usize);
            glyphs.push(KrillaGlyph::new(
                GlyphId::new(info.glyph_id),
                pos.x_advance as f32 / upem + spacing,
                pos.x_offset as f32 / upem,
                pos.y_offset as f32 / upem,
                pos.y_advance as f32 / upem,
                start..end.max(start),
                None,
            ));
        }
        let width = glyphs.iter().map(|g| g.x_advance).sum::<f32>() * style.size;
        Seg {
            style,
            text: text.to_string(),
            glyphs,
            width,
        }
    }

    /// The ascent and full height of a line of text in this style.
    fn metrics(&self, style: TextStyle) -> (f32, f32) {
        let face = self.faces.get(Variant::of(style.bold, style.italic));
        let k = style.size / face.units_per_em() as f32;
        let ascent = f32::from(face.ascender()) * k;
        let descent = -f32::from(face.descender()) * k;
        let gap = f32::from(face.line_gap()).max(0.0) * k;
        (ascent + gap / 2.0, ascent + descent + gap)
    }

    /// The underline's offset below the baseline and thickness, for a size.
    fn underline(&self, style: TextStyle) -> (f32, f32) {
        let face = self.faces.get(Variant::of(style.bold, style.italic));
        let k = style.size / face.units_per_em() as f32;
        match face.underline_metrics() {
            Some(m) => (
                -f32::from(m.position) * k,
                (f32::from(m.thickness) * k).max(0.5),
            ),
            None => (style.size * 0.1, style.size * 0.05),
        }
    }

    fn pieces(&self, inlines: &[Inline]) -> Vec<Piece> {
        let mut pieces = Vec::new();
        let mut word: Vec<Seg> = Vec::new();
        for inline in inlines {
            match inline {
                Inline::Break => {
                    if !word.is_empty() {
                        pieces.push(Piece::Word(std::mem::take(&mut word)));
                    }
                    pieces.push(Piece::Break);
                }
                Inline::Text(text, style) => {
                    for (i, part) in text.split(' ').enumerate() {
                        if i > 0 {
                            if !word.is_empty() {
                                pieces.push(Piece::Word(std::mem::take(&mut word)));
                            }
                            pieces.push(Piece::Space(self.shape(" ", *style)));
                        }
                        if !part.is_empty() {
                            word.push(self.shape(part, *style));
                        }
                    }
                }
            }
        }
        if !word.is_empty() {
            pieces.push(Piece::Word(word));
        }
        pieces
    }

    /// Greedy line breaking at spaces and breaks; `size` is the height of an empty line's
    /// text.
    fn lines(&self, pieces: Vec<Piece>, width: f32, size: f32) -> Vec<Line> {
        let base = TextStyle {
            size,
            bold: false,
            italic: false,
            underline: false,
            letter_spacing: 0.0,
        };
        let mut lines = Vec::new();
        let mut line = Line::default();
        let mut spaces: Vec<Seg> = Vec::new();
        for piece in pieces {
            match piece {
                Piece::Break => {
                    spaces.clear();
                    lines.push(self.finish(std::mem::take(&mut line), base));
                }
                Piece::Space(s) => {
                    if !line.segs.is_empty() {
                        spaces.push(s);
                    }
                }
                Piece::Word(segs) => {
                    let w: f32 = segs.iter().map(|s| s.width).sum();
                    let sp: f32 = spaces.iter().map(|s| s.width).sum();
                    if !line.segs.is_empty() && line.width + sp + w > width {
                        for s in spaces.drain(..) {
                            line.segs.push((line.width + line.trailing, s.clone()));
                            line.trailing += s.width;
                        }
                        lines.push(self.finish(std::mem::take(&mut line), base));
                    }
                    for s in spaces.drain(..) {
                        push(&mut line, s);
                    }
                    if line.segs.is_empty() && w > width {
                        // Longer than a whole line: cut it where it fills the line.
                        let mut chunks = cut(segs, width);
                        let last = chunks.pop().unwrap_or_default();
                        for chunk in chunks {
                            for s in chunk {
                                push(&mut line, s);
                            }
                            lines.push(self.finish(std::mem::take(&mut line), base));
                        }
                        for s in last {
                            push(&mut line, s);
                        }
                    } else {
                        for s in segs {
                            push(&mut line, s);
                        }
                    }
                }
            }
        }
        if !line.segs.is_empty() {
            lines.push(self.finish(line, base));
        }
        lines
    }

    /// Sets a line's height from the tallest text on it.
    fn finish(&self, mut line: Line, base: TextStyle) -> Line {
        let (mut ascent, mut height) = (0.0f32, 0.0f32);
        if line.segs.is_empty() {
            (ascent, height) = self.metrics(base);
        }
        for (_, s) in &line.segs {
            let (a, h) = self.metrics(s.style);
            ascent = ascent.max(a);
            height = height.max(h);
        }
        line.ascent = ascent;
        line.height = height;
        line
    }

    /// The marks of a line whose box starts at `x`, `width` wide, top at 0.
    fn draw(&self, line: &Line, x: f32, width: f32, align: Align) -> Vec<Item> {
        let x = x + match align {
            Align::Left => 0.0,
            Align::Center => ((width - line.width) / 2.0).max(0.0),
            Align::Right => (width - line.width).max(0.0),
        };
        let baseline = line.ascent;
        let mut items = Vec::new();
        let mut runs: Vec<(f32, Seg)> = Vec::new();
        for (dx, seg) in &line.segs {
            match runs.last_mut() {
                Some((_, run)) if run.style == seg.style => {
                    let offset = run.text.len();
                    run.text.push_str(&seg.text);
                    run.glyphs.extend(seg.glyphs.iter().map(|g| {
                        let mut g = g.clone();
                        g.text_range = g.text_range.start + offset..g.text_range.end + offset;
                        g
                    }));
                    run.width += seg.width;
                }
                _ => runs.push((*dx, seg.clone())),
            }
        }
        let last = runs.len().saturating_sub(1);
        for (i, (dx, run)) in runs.into_iter().enumerate() {
            let visible = if i == last {
                run.width - line.trailing
            } else {
                run.width
            };
            if run.style.underline && visible > 0.0 {
                let (below, thickness) = self.underline(run.style);
                items.push(Item::Rule {
                    x: x + dx,
                    y: baseline + below,
                    width: visible,
                    height: thickness,
                });
            }
            items.push(Item::Text {
                x: x + dx,
                baseline,
                variant: Variant::of(run.style.bold, run.style.italic),
                size: run.style.size,
                text: run.text,
                glyphs: run.glyphs,
            });
        }
        items
    }

    fn para(&self, p: &Para, boxes: &mut Vec<Box_>) {
        let pieces = self.pieces(&p.inlines);
        // Indents (a padded cell inside headings) may leave less than a quarter of the line,
        // or less than one letter of large text: the text keeps a quarter and at least its
        // widest letter (at most the whole line), moved left so it still ends inside the
        // right margin — nothing is printed past the margins.
        let letter = pieces
            .iter()
            .filter_map(|piece| match piece {
                Piece::Word(segs) => Some(segs),
                _ => None,
            })
            .flatten()
            .map(widest_cluster)
            .fold(0.0, f32::max);
        let width = (CONTENT_WIDTH - p.indent_left - p.indent_right)
            .max(CONTENT_WIDTH / 4.0)
            .max(letter)
            .min(CONTENT_WIDTH);
        let x = (MARGIN + p.indent_left).min(MARGIN + CONTENT_WIDTH - width);
        let lines = self.lines(pieces, width, p.size);
        for (i, line) in lines.iter().enumerate() {
            let mut items = Vec::new();
            if i == 0
                && let Some((marker, style)) = &p.marker
            {
                // First, so that a reader copying the text reads "1. Заявление…".
                let seg = self.shape(marker, *style);
                items.push(Item::Text {
                    x: x - seg.width,
                    baseline: line.ascent,
                    variant: Variant::of(style.bold, style.italic),
                    size: style.size,
                    text: seg.text,
                    glyphs: seg.glyphs,
                });
            }
            items.extend(self.draw(line, x, width, p.align));
            boxes.push(Box_ {
                space_before: if i == 0 { p.space_before } else { 0.0 },
                height: line.height,
                items,
                keep_with_next: p.keep_with_next,
                page_break_before: false,
            });
        }
    }

    fn table(&self, t: &Table, boxes: &mut Vec<Box_>) {
        let columns = t.rows.iter().map(Vec::len).max().unwrap_or(0);
        if columns == 0 {
            return;
        }
        let x0 = MARGIN + t.indent_left;
        let avail = (CONTENT_WIDTH - t.indent_left - t.indent_right).max(CONTENT_WIDTH / 4.0)
            - BORDER_SPACING * (columns as f32 + 1.0);
        let cells: Vec<Vec<Vec<Piece>>> = t
            .rows
            .iter()
            .map(|row| row.iter().map(|c| self.pieces(&c.inlines)).collect())
            .collect();
        // The automatic table layout of CSS, simplified: each column as wide as its widest
        // content if the table fits, else between its longest word and that, in proportion.
        let mut min = vec![0.0f32; columns];
        let mut max = vec![0.0f32; columns];
        // The widest letter: what a column cannot be narrower than even with words cut.
        let mut floor = vec![0.0f32; columns];
        for (row, pieces) in t.rows.iter().zip(&cells) {
            for (j, (cell, pieces)) in row.iter().zip(pieces).enumerate() {
                let pad = cell.padding[1] + cell.padding[3];
                let longest = pieces
                    .iter()
                    .filter(|p| matches!(p, Piece::Word(_)))
                    .map(Piece::width)
                    .fold(0.0, f32::max);
                let mut widest = 0.0f32;
                let mut current = 0.0;
                for p in pieces {
                    if matches!(p, Piece::Break) {
                        current = 0.0;
                    } else {
                        current += p.width();
                    }
                    widest = widest.max(current);
                }
                let letter = pieces
                    .iter()
                    .filter_map(|p| match p {
                        Piece::Word(segs) => Some(segs),
                        _ => None,
                    })
                    .flatten()
                    .map(widest_cluster)
                    .fold(0.0, f32::max);
                min[j] = min[j].max(longest + pad);
                max[j] = max[j].max(widest + pad);
                floor[j] = floor[j].max(letter + pad);
            }
        }
        let (sum_min, sum_max): (f32, f32) = (min.iter().sum(), max.iter().sum());
        let widths: Vec<f32> = if sum_max <= avail {
            max
        } else if sum_min >= avail {
            // Words will be cut: between the widest letter and the longest word.
            let sum_floor: f32 = floor.iter().sum();
            if sum_floor > avail {
                // The columns do not fit even one letter wide: the cells one under the
                // other, each across the whole width.
                let width = avail + BORDER_SPACING * (columns as f32 - 1.0);
                let mut first = true;
                for (row, pieces) in t.rows.iter().zip(cells) {
                    for (cell, pieces) in row.iter().zip(pieces) {
                        for line in self.lines(pieces, width, cell.size) {
                            boxes.push(Box_ {
                                space_before: if first { t.space_before } else { 0.0 },
                                height: line.height,
                                items: self.draw(&line, x0 + BORDER_SPACING, width, cell.align),
                                keep_with_next: false,
                                page_break_before: false,
                            });
                            first = false;
                        }
                    }
                }
                return;
            } else {
                let k = (avail - sum_floor) / (sum_min - sum_floor);
                floor
                    .iter()
                    .zip(&min)
                    .map(|(a, b)| a + (b - a) * k)
                    .collect()
            }
        } else {
            let k = (avail - sum_min) / (sum_max - sum_min);
            min.iter().zip(&max).map(|(a, b)| a + (b - a) * k).collect()
        };
        let mut xs = Vec::with_capacity(columns);
        let mut x = x0 + BORDER_SPACING;
        for w in &widths {
            xs.push(x);
            x += w + BORDER_SPACING;
        }

        for (r, (row, pieces)) in t.rows.iter().zip(cells).enumerate() {
            let mut laid = Vec::new();
            for (j, (cell, pieces)) in row.iter().zip(pieces).enumerate() {
                let [top, right, bottom, left] = cell.padding;
                let inner = (widths[j] - left - right).max(1.0);
                let lines = self.lines(pieces, inner, cell.size);
                let height = top + lines.iter().map(|l| l.height).sum::<f32>() + bottom;
                laid.push((xs[j] + left, inner, top, cell.align, lines, height));
            }
            let height = laid.iter().map(|c| c.5).fold(0.0, f32::max) + BORDER_SPACING;
            let space_before = if r == 0 {
                t.space_before + BORDER_SPACING
            } else {
                0.0
            };
            if height <= CONTENT_HEIGHT {
                let mut items = Vec::new();
                for (x, width, top, align, lines, _) in &laid {
                    let mut y = *top;
                    for line in lines {
                        items.extend(
                            self.draw(line, *x, *width, *align)
                                .into_iter()
                                .map(|i| i.moved_down(y)),
                        );
                        y += line.height;
                    }
                }
                boxes.push(Box_ {
                    space_before,
                    height,
                    items,
                    keep_with_next: false,
                    page_break_before: false,
                });
            } else {
                // Taller than a page: its cells one after the other, line by line.
                let mut first = true;
                for (x, width, _, align, lines, _) in &laid {
                    for line in lines {
                        boxes.push(Box_ {
                            space_before: if first { space_before } else { 0.0 },
                            height: line.height,
                            items: self.draw(line, *x, *width, *align),
                            keep_with_next: false,
                            page_break_before: false,
                        });
                        first = false;
                    }
                }
            }
        }
    }
}

/// The width of the widest cluster (a letter with its marks) of a segment.
fn widest_cluster(seg: &Seg) -> f32 {
    let mut widest = 0.0f32;
    let mut i = 0;
    while i < seg.glyphs.len() {
        let cluster = seg.glyphs[i].text_range.start;
        let mut w = 0.0;
        while i < seg.glyphs.len() && seg.glyphs[i].text_range.start == cluster {
            w += seg.glyphs[i].x_advance * seg.style.size;
            i += 1;
        }
        widest = widest.max(w);
    }
    widest
}

fn push(line: &mut Line, seg: Seg) {
    let x = line.width;
    line.width += seg.width;
    line.segs.push((x, seg));
}

/// Cuts a word into pieces no wider than `width` (at least one character each), between
/// clusters so that no letter is split from its marks.
fn cut(segs: Vec<Seg>, width: f32) -> Vec<Vec<Seg>> {
    let mut chunks: Vec<Vec<Seg>> = vec![Vec::new()];
    let mut used = 0.0f32;
    for seg in segs {
        let k = seg.style.size;
        let mut start = 0;
        while start < seg.glyphs.len() {
            // Take whole clusters while they fit (at least one on an empty chunk).
            let mut end = start;
            let mut w = 0.0;
            while end < seg.glyphs.len() {
                let cluster = seg.glyphs[end].text_range.start;
                let mut next = end;
                let mut cw = 0.0;
                while next < seg.glyphs.len() && seg.glyphs[next].text_range.start == cluster {
                    cw += seg.glyphs[next].x_advance * k;
                    next += 1;
                }
                let empty = used == 0.0 && end == start;
                if !empty && used + w + cw > width {
                    break;
                }
                w += cw;
                end = next;
            }
            if end > start {
                let text_start = seg.glyphs[start].text_range.start;
                let text_end = seg.glyphs[end - 1].text_range.end;
                let glyphs = seg.glyphs[start..end]
                    .iter()
                    .map(|g| {
                        let mut g = g.clone();
                        g.text_range =
                            g.text_range.start - text_start..g.text_range.end - text_start;
                        g
                    })
                    .collect();
                chunks.last_mut().expect("a chunk").push(Seg {
                    style: seg.style,
                    text: seg.text[text_start..text_end].to_string(),
                    glyphs,
                    width: w,
                });
                used += w;
                start = end;
            }
            if start < seg.glyphs.len() {
                chunks.push(Vec::new());
                used = 0.0;
            }
        }
    }
    chunks.retain(|c| !c.is_empty());
    chunks
}

/// Stacks the boxes down pages: a new page when the next box does not fit or asks for one
/// (`page-break-before`), margins dropped at the top of a page, a heading moved over with
/// what follows it.
fn paginate(boxes: Vec<Box_>) -> Vec<Page> {
    let mut pages = vec![Page::default()];
    let mut y = MARGIN;
    let mut empty = true;
    for i in 0..boxes.len() {
        let b = &boxes[i];
        let space = if empty { 0.0 } else { b.space_before };
        let mut needed = space + b.height;
        if b.keep_with_next {
            // The heading's remaining lines and the first line after it.
            let mut chain = 0.0;
            for next in &boxes[i + 1..] {
                chain += next.space_before + next.height;
                if !next.keep_with_next {
                    break;
                }
            }
            if b.height + chain <= CONTENT_HEIGHT {
                needed += chain;
            }
        }
        if !empty && (b.page_break_before || y + needed > CONTENT_BOTTOM + 0.01) {
            pages.push(Page::default());
            y = MARGIN;
            empty = true;
        }
        let space = if empty { 0.0 } else { b.space_before };
        let top = y + space;
        let page = pages.last_mut().expect("a page");
        page.items
            .extend(b.items.iter().cloned().map(|i| i.moved_down(top)));
        y = top + b.height;
        empty = false;
    }
    pages
}

#[cfg(test)]
mod tests {
    use super::super::html;
    use super::*;

    fn pages(html: &str) -> Vec<Page> {
        let faces = Faces::load().expect("fonts");
        lay_out(&html::read(html, CONTENT_WIDTH), &faces)
    }

    /// Every text item of a page: (x, baseline, text).
    fn texts(page: &Page) -> Vec<(f32, f32, &str)> {
        page.items
            .iter()
            .filter_map(|i| match i {
                Item::Text {
                    x, baseline, text, ..
                } => Some((*x, *baseline, text.as_str())),
                Item::Rule { .. } => None,
            })
            .collect()
    }

    /// The inked width: without the spaces kept at a line's end.
    fn text_width(item: &Item) -> f32 {
        match item {
            Item::Text {
                glyphs, size, text, ..
            } => {
                let inked = text.trim_end().len();
                glyphs
                    .iter()
                    .filter(|g| g.text_range.start < inked)
                    .map(|g| g.x_advance)
                    .sum::<f32>()
                    * size
            }
            Item::Rule { width, .. } => *width,
        }
    }

    #[test]
    fn text_starts_at_the_margins_and_wraps_inside_them() {
        let long = "Қоғам іс және ұлт үшін ".repeat(30);
        let pages = pages(&format!("<p>{long}</p>"));
        let page = &pages[0];
        let t = texts(page);
        assert!(t.len() > 3, "a long paragraph wraps: {t:?}");
        for (item, (x, baseline, _)) in page.items.iter().zip(&t) {
            assert!((x - MARGIN).abs() < 0.01, "left margin: {x}");
            assert!(*baseline > MARGIN);
            assert!(
                x + text_width(item) <= PAGE_WIDTH - MARGIN + 0.01,
                "right margin"
            );
        }
        // Greedy: each line but the last is full enough that the next word did not fit.
        let first = text_width(&page.items[0]);
        assert!(first > CONTENT_WIDTH - 40.0, "{first}");
        // No text is lost at the line ends, and the spaces broken at stay for a reader.
        let all: String = t.iter().map(|(_, _, s)| *s).collect();
        assert_eq!(all, long.trim_end());
        assert!(t[0].2.ends_with(' '));
    }

    #[test]
    fn a_heading_is_centred_and_a_right_aligned_line_ends_at_the_margin() {
        let pages = pages(
            "<style>h1 { font-size: 14pt; text-align: center; }</style>\
             <h1>Расписка о приёме документов</h1><p style=\"text-align: right\">Форма</p>",
        );
        let items = &pages[0].items;
        let Item::Text { x, size, .. } = &items[0] else {
            panic!()
        };
        assert_eq!(*size, 14.0);
        let w = text_width(&items[0]);
        let centre = x + w / 2.0;
        assert!((centre - PAGE_WIDTH / 2.0).abs() < 0.01, "{centre}");
        let Item::Text { x, .. } = &items[1] else {
            panic!()
        };
        let right = x + text_width(&items[1]);
        assert!((right - (PAGE_WIDTH - MARGIN)).abs() < 0.01, "{right}");
    }

    #[test]
    fn list_markers_hang_left_of_the_text() {
        let pages = pages(&format!(
            "<ol><li>{}</li><li>Второй.</li></ol>",
            "Заявление о выдаче удостоверения. ".repeat(8)
        ));
        let all = texts(&pages[0]);
        let marker = all.iter().find(|(_, _, s)| *s == "1. ").expect("a marker");
        let t: Vec<_> = all.iter().filter(|(_, _, s)| !s.ends_with(". ")).collect();
        let first = t[0];
        assert!(
            (first.0 - (MARGIN + 30.0)).abs() < 0.01,
            "indented: {first:?}"
        );
        assert!(marker.0 < first.0 && (marker.1 - first.1).abs() < 0.01);
        // The second line of the item starts under the first, not under the marker.
        let second = t[1];
        assert!(second.1 > first.1 && (second.0 - first.0).abs() < 0.01);
        assert!(all.iter().any(|(_, _, s)| *s == "2. "));
    }

    #[test]
    fn a_long_document_runs_onto_more_pages_with_nothing_lost() {
        let paras: String = (1..=80)
            .map(|i| format!("<p>Абзац {i}: мемлекеттік қызмет көрсету.</p>"))
            .collect();
        let pages = pages(&paras);
        assert!(pages.len() >= 2, "{} pages", pages.len());
        let mut n = 0;
        for page in &pages {
            for (_, baseline, text) in texts(page) {
                assert!(baseline < PAGE_HEIGHT - MARGIN, "inside the bottom margin");
                if text.starts_with("Абзац") {
                    n += 1;
                }
            }
        }
        assert_eq!(n, 80);
        // The margin above the first paragraph of a page is dropped.
        let top = texts(&pages[1])[0].1;
        assert!(top < MARGIN + 12.0, "{top}");
    }

    #[test]
    fn a_heading_is_not_left_at_the_foot_of_a_page() {
        let filler: String = (0..40).map(|i| format!("<p>Строка {i}</p>")).collect();
        let pages = pages(&format!(
            "{filler}<h1>Заголовок</h1><p>Текст после заголовка</p>"
        ));
        let last = pages.last().expect("a page");
        let t = texts(last);
        let h = t.iter().position(|(_, _, s)| *s == "Заголовок");
        let after = t.iter().position(|(_, _, s)| *s == "Текст после заголовка");
        assert!(h.is_some() && after.is_some(), "{t:?}");
    }

    #[test]
    fn a_page_break_before_a_block_starts_a_new_page_but_never_a_blank_one() {
        let words = |pages: &[Page]| -> Vec<Vec<String>> {
            pages
                .iter()
                .map(|p| texts(p).iter().map(|t| t.2.trim().to_string()).collect())
                .collect()
        };
        let broken = pages(
            r#"<div><p>Бірінші</p></div>
               <div style="page-break-before: always"><p>Екінші</p></div>
               <table style="break-before: page"><tr><td>Үшінші</td></tr></table>
               <div style="page-break-before: always"><p></p></div><p>Төртінші</p>"#,
        );
        assert_eq!(
            words(&broken),
            [["Бірінші"], ["Екінші"], ["Үшінші"], ["Төртінші"]],
            "the break of an empty block waits for the next that prints"
        );
        let first = pages(
            r#"<p style="page-break-before: always">Бір</p><p style="page-break-before: auto">Екі</p>"#,
        );
        assert_eq!(words(&first), [["Бір", "Екі"]], "no blank first page");
    }

    #[test]
    fn a_word_longer_than_the_line_is_cut() {
        let long = "_".repeat(200);
        let pages = pages(&format!("<p>{long}</p>"));
        let t = texts(&pages[0]);
        assert!(t.len() >= 2);
        let joined: String = t.iter().map(|(_, _, s)| *s).collect();
        assert_eq!(joined, long);
        for item in &pages[0].items {
            assert!(text_width(item) <= CONTENT_WIDTH + 0.01);
        }
    }

    #[test]
    fn table_columns_line_up() {
        let pages = pages(
            "<style>td { padding: 0.2em 0.5em; }</style><table>\
             <tr><td>Күні</td><td>20.04.2026</td></tr>\
             <tr><td>Әкімшілік орган және лауазымды адам</td><td>ЦОН</td></tr></table>",
        );
        let t = texts(&pages[0]);
        let date = t.iter().find(|(_, _, s)| *s == "20.04.2026").expect("date");
        let body = t.iter().find(|(_, _, s)| *s == "ЦОН").expect("body");
        assert!(
            (date.0 - body.0).abs() < 0.01,
            "second column aligned: {t:?}"
        );
        let label = t
            .iter()
            .find(|(_, _, s)| s.starts_with("Әкімшілік"))
            .expect("label");
        assert!(date.0 > label.0 + 100.0, "after the longest label: {t:?}");
        assert!(body.1 > date.1, "second row below the first");
    }

    #[test]
    fn underlined_text_gets_a_rule_under_it() {
        let pages = pages("<p>Получаю <u>пенсию</u>, пособие</p>");
        let items = &pages[0].items;
        let rule = items
            .iter()
            .find_map(|i| match i {
                Item::Rule { x, y, width, .. } => Some((*x, *y, *width)),
                Item::Text { .. } => None,
            })
            .expect("an underline");
        let (x, baseline) = texts(&pages[0])
            .into_iter()
            .find(|(_, _, s)| *s == "пенсию")
            .map(|(x, b, _)| (x, b))
            .expect("the underlined word");
        assert!((rule.0 - x).abs() < 0.01 && rule.1 > baseline && rule.1 < baseline + 4.0);
        assert!(rule.2 > 20.0 && rule.2 < 60.0, "{}", rule.2);
    }

    /// Pieces of HTML, well formed or not: tags the templates use and some they do not,
    /// styles, and words with the Kazakh letters.
    fn fragment() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        prop_oneof![
            prop::sample::select(vec![
                "<p>",
                "</p>",
                "<b>",
                "</b>",
                "<i>",
                "</i>",
                "<u>",
                "</u>",
                "<h1>",
                "</h1>",
                "<br>",
                "<table>",
                "</table>",
                "<tr>",
                "</tr>",
                "<td>",
                "</td>",
                "<div>",
                "</div>",
                "<span>",
                "</span>",
                "<x-unknown>",
                "</x-unknown>",
                "<small>",
                "</small>",
                "<p class=\"sign\">",
                "<p style=\"text-align: right\">",
                "<p style=\"white-space: pre-line\">",
                "<p style=\"font-size: 30pt\">",
                "<td style=\"padding: 2em\">",
                " ",
                "\n",
                "  ",
            ])
            .prop_map(str::to_string),
            "[а-яәғқңөұүһіА-Я0-9№«»,.()_-]{1,30}",
        ]
    }

    /// A padded cell inside headings leaves less than one letter's width: the letter moves
    /// left to stay inside the margins (a case `no_text_is_lost` found).
    #[test]
    fn a_letter_wider_than_what_the_indents_leave_stays_inside_the_margins() {
        let pages = pages("<h1><h1><h1><h1><td style=\"padding: 2em\">ң");
        let texts: Vec<&Item> = pages
            .iter()
            .flat_map(|p| &p.items)
            .filter(|i| matches!(i, Item::Text { .. }))
            .collect();
        assert_eq!(texts.len(), 1);
        let Item::Text { x, text, .. } = texts[0] else {
            unreachable!()
        };
        assert_eq!(text, "ң");
        assert!(*x >= MARGIN - 0.01, "{x}");
        assert!(
            x + text_width(texts[0]) <= PAGE_WIDTH - MARGIN + 0.01,
            "{x}"
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 256,
            failure_persistence: None,
            ..proptest::prelude::ProptestConfig::default()
        })]

        /// Whatever the tags, every character of text reaches a page, in order, inside the
        /// margins.
        #[test]
        fn no_text_is_lost(fragments in proptest::collection::vec(fragment(), 0..60)) {
            let html: String = fragments.concat();
            let expected: String = fragments
                .iter()
                .filter(|f| !f.starts_with('<'))
                .flat_map(|f| f.chars())
                .filter(|c| !c.is_whitespace())
                .collect();
            let pages = pages(&html);
            let mut printed = String::new();
            for page in &pages {
                for item in &page.items {
                    if let Item::Text { x, baseline, text, .. } = item {
                        printed.extend(text.chars().filter(|c| !c.is_whitespace()));
                        proptest::prop_assert!(*x >= MARGIN - 0.01, "{x}");
                        proptest::prop_assert!(x + text_width(item) <= PAGE_WIDTH - MARGIN + 0.01);
                        proptest::prop_assert!(*baseline <= PAGE_HEIGHT - MARGIN);
                    }
                }
            }
            proptest::prop_assert_eq!(printed, expected, "{}", html);
        }
    }
}
