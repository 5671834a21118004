//! The process diagram as inline SVG, laid out on the server by `layout-rs` from the DOT that
//! `definition::graph` draws: no JavaScript in the browser, no Graphviz on the server.

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
        let mut writer = layout::backends::svg::SVGWriter::new();
        visual.do_it(false, false, false, &mut writer);
        Some(writer.finalize())
    });
    match laid_out {
        Ok(Some(svg)) => {
            // Inline in HTML, the XML declaration has no place; the rest is SVG whose text the
            // writer escapes.
            let start = svg.find("<svg")?;
            Some(svg[start..].to_string())
        }
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
