//! The process diagram as inline SVG, laid out on the server by `layout-rs` from the DOT that
//! `definition::graph` draws: no JavaScript in the browser, no Graphviz on the server.

use layout::backends::svg::SVGWriter;
use layout::core::format::{ClipHandle, RenderBackend};
use layout::core::geometry::Point;
use layout::core::style::StyleAttr;

/// The SVG of a DOT graph; `None` when it cannot be laid out (the page then lists the steps).
/// The layout library is young and may panic on a graph it does not handle: that is caught
/// here, so that a diagram never costs a clerk the case page.
pub fn svg(dot: &str) -> Option<String> {
    let laid_out = std::panic::catch_unwind(|| {
        let mut parser = layout::gv::DotParser::new(dot);
        let graph = parser.process().ok()?;
        let mut builder = layout::gv::GraphBuilder::new();
        builder.visit_graph(&graph);
        let mut visual = builder.get();
        let mut fitted = Fitted::default();
        visual.do_it(false, false, false, &mut fitted);
        Some(fitted.finish())
    });
    match laid_out {
        Ok(Some(svg)) => Some(svg),
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
