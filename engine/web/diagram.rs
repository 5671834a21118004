//! The process diagram as inline SVG, laid out on the server by `layout-rs` from the DOT that
//! `definition::graph` draws: no JavaScript in the browser, no Graphviz on the server. The
//! clerk's case page draws one level ([`svg`]); `qyzmet graph --format svg|html` draws the
//! called sub-workflows inside their call steps ([`svg_nested`]).

use layout::backends::svg::SVGWriter;
use layout::core::format::{ClipHandle, RenderBackend};
use layout::core::geometry::Point;
use layout::core::style::StyleAttr;
use layout::std_shapes::shapes::ShapeKind;

use crate::definition::graph::Drawing;

/// Room around a sub-workflow inside its call's box, and the height of the box's title line.
const INSET: f64 = 12.0;
const TITLE_LINE: f64 = 18.0;

/// The SVG of a DOT graph; `None` when it cannot be laid out (the page then lists the steps).
/// The layout library is young and may panic on a graph it does not handle: that is caught
/// here, so that a diagram never costs a clerk the case page.
pub fn svg(dot: &str) -> Option<String> {
    let laid_out = std::panic::catch_unwind(|| {
        let drawing = Drawing {
            dot: dot.to_string(),
            inner: Vec::new(),
        };
        lay_out(&drawing, &mut 0)
    });
    match laid_out {
        Ok(Some((svg, _, _))) => Some(svg),
        Ok(None) => {
            tracing::warn!("the process diagram did not parse; the page lists the steps");
            None
        }
        Err(_) => {
            tracing::warn!("the process diagram could not be laid out; the page lists the steps");
            None
        }
    }
}

/// The SVG of a DOT graph drawn by `definition::graph` with some steps filled: each
/// `(step, colour)` fills that step's node (the compliance page's heat map of the time each
/// step takes). The DOT is `graph`'s own, one node a line (`    name [shape=…];`), so the
/// fill is added to the line that declares the step; the case page's diagram is untouched.
pub fn svg_filled(dot: &str, fills: &[(String, String)]) -> Option<String> {
    let filled: String = dot
        .lines()
        .map(|line| {
            let fill = fills.iter().find(|(step, _)| {
                line.trim_start()
                    .strip_prefix(step.as_str())
                    .is_some_and(|rest| rest.starts_with(" ["))
            });
            match (fill, line.strip_suffix("];")) {
                (Some((_, colour)), Some(head)) if !line.contains("style=filled") => {
                    format!("{head}, style=filled, fillcolor=\"{colour}\"];\n")
                }
                _ => format!("{line}\n"),
            }
        })
        .collect();
    svg(&filled)
}

/// The SVG of a diagram whose call steps hold their sub-workflows: each level is laid out on
/// its own (the layout library has no clusters), its call boxes made as large as what they
/// hold, and each sub-workflow's SVG set into its box under the call's title. `None` when a
/// level cannot be laid out (a panic of the layout library included, as for [`svg`]).
pub fn svg_nested(drawing: &Drawing) -> Option<String> {
    let (svg, _, _) = std::panic::catch_unwind(|| lay_out(drawing, &mut 0)).ok()??;
    Some(svg)
}

/// One level and what it holds: the SVG element and its width and height. `levels` counts
/// the levels laid out so far, to keep the ids of each one's edges apart: an edge's label
/// follows its path by id, and ids are per document, not per nested `<svg>`.
fn lay_out(drawing: &Drawing, levels: &mut usize) -> Option<(String, f64, f64)> {
    let mut inner = Vec::new();
    for i in &drawing.inner {
        let (svg, w, h) = lay_out(&i.drawing, levels)?;
        *levels += 1;
        let prefix = format!("level{levels}-");
        let svg = svg
            .replace("id=\"arrow", &format!("id=\"{prefix}arrow"))
            .replace("href=\"#arrow", &format!("href=\"#{prefix}arrow"));
        inner.push((svg, w, h));
    }
    let mut parser = layout::gv::DotParser::new(&drawing.dot);
    let graph = parser.process().ok()?;
    let mut builder = layout::gv::GraphBuilder::new();
    builder.visit_graph(&graph);
    let mut visual = builder.get();
    // The call boxes, found by their placeholder labels, sized to hold their sub-workflow.
    let mut boxes = Vec::new();
    for (i, (_, w, h)) in drawing.inner.iter().zip(&inner) {
        let title_lines = i.title.lines().count().max(1) as f64;
        let handle = visual.iter_nodes().find(|n| {
            matches!(&visual.element(*n).shape, ShapeKind::Box(label) if *label == i.placeholder)
        })?;
        let element = visual.element_mut(handle);
        element.shape = ShapeKind::Box(String::new());
        let widest = i
            .title
            .lines()
            .map(|l| l.chars().count())
            .max()
            .unwrap_or(0) as f64;
        element.pos.set_size(Point::new(
            (w + 2.0 * INSET).max(widest * 8.0 + 2.0 * INSET),
            h + 2.0 * INSET + title_lines * TITLE_LINE,
        ));
        boxes.push(handle);
    }
    let mut fitted = Fitted::default();
    visual.do_it(false, false, false, &mut fitted);
    let (width, height) = (fitted.right.ceil() + 10.0, fitted.bottom.ceil() + 10.0);
    let mut svg = fitted.finish();
    let mut filling = String::new();
    for ((i, (inner_svg, w, _)), handle) in drawing.inner.iter().zip(&inner).zip(boxes) {
        let (top_left, bottom_right) = visual.pos(handle).bbox(false);
        let centre = (top_left.x + bottom_right.x) / 2.0;
        let mut y = top_left.y + INSET;
        for line in i.title.lines() {
            filling.push_str(&format!(
                "<text x=\"{centre}\" y=\"{}\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">{}</text>",
                y + TITLE_LINE / 2.0,
                escape(line)
            ));
            y += TITLE_LINE;
        }
        let x = centre - w / 2.0;
        // The nested `<svg>` keeps its own coordinates; only its place is set here.
        filling.push_str(&inner_svg.replacen("<svg ", &format!("<svg x=\"{x}\" y=\"{y}\" "), 1));
    }
    if let Some(end) = svg.rfind("</svg>") {
        svg.insert_str(end, &filling);
    }
    Some((svg, width, height))
}

/// Text for SVG: the five characters XML reserves, escaped.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// The SVG writer with the picture's true extent: the writer's own grows its canvas by ten
/// pixels a character of every label, which leaves a page of blank space under the diagram.
/// This one passes every drawing on and keeps the largest x and y drawn, then sizes the
/// canvas to them.
#[derive(Default)]
struct Fitted {
    writer: SVGWriter,
    right: f64,
    bottom: f64,
}

impl Fitted {
    fn reach(&mut self, x: f64, y: f64) {
        self.right = self.right.max(x);
        self.bottom = self.bottom.max(y);
    }

    /// The SVG element (without the XML declaration, which has no place inline in HTML),
    /// its size the drawing's extent plus a margin.
    fn finish(self) -> String {
        let svg = self.writer.finalize();
        let Some(start) = svg.find("<svg") else {
            return svg;
        };
        let Some(end) = svg[start..].find('>').map(|e| start + e) else {
            return svg;
        };
        let (w, h) = (self.right.ceil() + 10.0, self.bottom.ceil() + 10.0);
        format!(
            "<svg width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" xmlns=\"http://www.w3.org/2000/svg\">{}",
            &svg[end + 1..]
        )
    }
}

impl RenderBackend for Fitted {
    fn draw_rect(
        &mut self,
        xy: Point,
        size: Point,
        look: &StyleAttr,
        properties: Option<String>,
        clip: Option<ClipHandle>,
    ) {
        self.reach(xy.x + size.x, xy.y + size.y);
        self.writer.draw_rect(xy, size, look, properties, clip);
    }

    fn draw_line(
        &mut self,
        start: Point,
        stop: Point,
        look: &StyleAttr,
        properties: Option<String>,
    ) {
        self.reach(start.x, start.y);
        self.reach(stop.x, stop.y);
        self.writer.draw_line(start, stop, look, properties);
    }

    fn draw_circle(
        &mut self,
        xy: Point,
        size: Point,
        look: &StyleAttr,
        properties: Option<String>,
    ) {
        // `xy` is the centre.
        self.reach(xy.x + size.x / 2.0, xy.y + size.y / 2.0);
        self.writer.draw_circle(xy, size, look, properties);
    }

    fn draw_text(&mut self, xy: Point, text: &str, look: &StyleAttr) {
        // Centred on `xy`; a character of a serif face is about half the font size wide.
        let font = look.font_size as f64;
        let widest = text.lines().map(|l| l.chars().count()).max().unwrap_or(0) as f64;
        let lines = text.lines().count().max(1) as f64;
        self.reach(
            xy.x + widest * font * 0.3,
            xy.y + (lines + 1.0) * font / 2.0,
        );
        self.writer.draw_text(xy, text, look);
    }

    fn draw_arrow(
        &mut self,
        path: &[(Point, Point)],
        dashed: bool,
        head: (bool, bool),
        look: &StyleAttr,
        properties: Option<String>,
        text: &str,
    ) {
        for (a, b) in path {
            self.reach(a.x, a.y);
            self.reach(b.x, b.y);
        }
        self.writer
            .draw_arrow(path, dashed, head, look, properties, text);
    }

    fn create_clip(&mut self, xy: Point, size: Point, rounded_px: usize) -> ClipHandle {
        self.writer.create_clip(xy, size, rounded_px)
    }
}
