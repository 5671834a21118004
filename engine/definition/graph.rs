//! The process diagram: Mermaid for the docs and the clerk's case page, DOT for Graphviz.
//!
//! Drawn from the compiled definition, so the picture is always of what the engine runs.
//! Each step shows its kind and title; user tasks show their role; ends show their result.
//! A `highlight` step (the case's current step) is drawn emphasised.

use std::fmt::Write;

use super::messages::Lang;
use super::model::{Definition, Step, StepKind};

/// The diagram formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Mermaid `flowchart`.
    Mermaid,
    /// Graphviz `digraph`.
    Dot,
}

/// Options for drawing.
#[derive(Debug, Clone, Default)]
pub struct Options<'a> {
    /// The step to emphasise (the case's current step).
    pub highlight: Option<&'a str>,
    /// The language of the titles; English shows the step ids.
    pub lang: Lang,
}

/// Draws `def` in `format`.
pub fn render(def: &Definition, format: Format, options: &Options<'_>) -> String {
    match format {
        Format::Mermaid => mermaid(def, options),
        Format::Dot => dot(def, options),
    }
}

fn label(step: &Step, lang: Lang) -> String {
    let title = match (&step.title, lang) {
        (Some(t), Lang::Kk) => t.kk.clone(),
        (Some(t), Lang::Ru) => t.ru.clone(),
        _ => step.name.replace('_', " "),
    };
    match &step.kind {
        StepKind::Task(task) => format!("{title}\n[{}]", task.role),
        StepKind::Request(r) => format!("{title}\n⇄ {}", r.connector),
        StepKind::Call { workflow, .. } => format!("{title}\n▶ {workflow}"),
        StepKind::End { result } => format!("{title}\n■ {result}"),
        _ => title,
    }
}

fn mermaid_text(s: &str) -> String {
    s.replace('"', "#quot;").replace('\n', "<br/>")
}

fn mermaid(def: &Definition, options: &Options<'_>) -> String {
    let mut out = String::from("flowchart TD\n");
    let _ = writeln!(
        out,
        "    start_(( )) --> {}",
        def.steps[def.start.index()].name
    );
    for step in &def.steps {
        let text = mermaid_text(&label(step, options.lang));
        let shape = match &step.kind {
            StepKind::Decide { .. } => format!("{{\"{text}\"}}"),
            StepKind::Fork { .. } | StepKind::Join { .. } => format!("[/\"{text}\"/]"),
            StepKind::End { .. } => format!("([\"{text}\"])"),
            StepKind::Wait { .. } | StepKind::Receive { .. } => format!("[(\"{text}\")]"),
            StepKind::Call { .. } => format!("[[\"{text}\"]]"),
            StepKind::Request(_) => format!("[/\"{text}\"\\]"),
            _ => format!("[\"{text}\"]"),
        };
        let _ = writeln!(out, "    {}{shape}", step.name);
    }
    for step in &def.steps {
        for (next, edge) in step.kind.successors() {
            let target = &def.steps[next.index()].name;
            match edge {
                Some(e) => {
                    let _ = writeln!(
                        out,
                        "    {} -->|\"{}\"| {target}",
                        step.name,
                        mermaid_text(&e)
                    );
                }
                None => {
                    let _ = writeln!(out, "    {} --> {target}", step.name);
                }
            }
        }
    }
    if let Some(h) = options.highlight {
        let _ = writeln!(
            out,
            "    classDef current fill:#ffd54f,stroke:#e65100,stroke-width:3px"
        );
        let _ = writeln!(out, "    class {h} current");
    }
    out
}

fn dot_text(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn dot(def: &Definition, options: &Options<'_>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "digraph \"{}\" {{", dot_text(&def.id));
    let _ = writeln!(out, "    rankdir=TB;");
    let _ = writeln!(out, "    node [fontname=\"sans-serif\"];");
    let _ = writeln!(out, "    start_ [shape=circle, label=\"\", width=0.25];");
    let _ = writeln!(out, "    start_ -> {};", def.steps[def.start.index()].name);
    for step in &def.steps {
        let shape = match &step.kind {
            StepKind::Decide { .. } => "diamond",
            StepKind::Fork { .. } | StepKind::Join { .. } => "parallelogram",
            StepKind::End { .. } => "doublecircle",
            StepKind::Wait { .. } | StepKind::Receive { .. } => "cylinder",
            StepKind::Call { .. } => "component",
            StepKind::Request(_) => "hexagon",
            _ => "box",
        };
        let style = if options.highlight == Some(step.name.as_str()) {
            ", style=filled, fillcolor=\"#ffd54f\", penwidth=3"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "    {} [shape={shape}, label=\"{}\"{style}];",
            step.name,
            dot_text(&label(step, options.lang))
        );
    }
    for step in &def.steps {
        for (next, edge) in step.kind.successors() {
            let target = &def.steps[next.index()].name;
            match edge {
                Some(e) => {
                    let _ = writeln!(
                        out,
                        "    {} -> {target} [label=\"{}\"];",
                        step.name,
                        dot_text(&e)
                    );
                }
                None => {
                    let _ = writeln!(out, "    {} -> {target};", step.name);
                }
            }
        }
    }
    out.push_str("}\n");
    out
}
