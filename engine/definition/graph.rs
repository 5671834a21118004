//! The process diagram: Mermaid for the docs and the clerk's case page, DOT for Graphviz.
//!
//! Drawn from the compiled definition, so the picture is always of what the engine runs.
//! Each step shows its kind and title; user tasks show their role; ends show their result.
//! The `highlight` steps (a case's current steps: more than one while a fork's branches run)
//! are drawn emphasised. For a clerk's page ([`Options::clerk`]) a step shows its title alone
//! and an edge the name the page gives it in the reader's language, since a clerk reads
//! neither role codes nor expressions.

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
    /// The steps to emphasise (a case's current steps).
    pub highlight: Vec<&'a str>,
    /// The language of the titles; English shows the step ids.
    pub lang: Lang,
    /// Drawing for a clerk: each step shows its title alone, wrapped to a readable width, and
    /// each edge label (an outcome, `failure`, `otherwise`, `received`, `timeout`) is named
    /// by this function in `lang`, or left unlabelled when it answers `None`. A decision's
    /// conditions are never shown: they are expressions, and the steps they lead to say
    /// enough.
    pub clerk: Option<fn(Lang, &str) -> Option<String>>,
}

impl Options<'_> {
    fn highlighted(&self, step: &str) -> bool {
        self.highlight.contains(&step)
    }

    /// An edge's label as drawn: `None` for no label.
    fn edge(&self, from: &Step, label: Option<String>) -> Option<String> {
        let label = label?;
        match self.clerk {
            None => Some(label),
            Some(_) if matches!(from.kind, StepKind::Decide { .. }) && label != "otherwise" => None,
            Some(name) => name(self.lang, &label),
        }
    }

    fn node(&self, step: &Step) -> String {
        match self.clerk {
            None => label(step, self.lang),
            // An end is drawn as a circle as wide as its text: narrower lines keep it small.
            Some(_) if matches!(step.kind, StepKind::End { .. }) => {
                wrap(&title(step, self.lang), 14)
            }
            Some(_) => wrap(&title(step, self.lang), 26),
        }
    }
}

/// `text` broken into lines of at most about `width` characters, at spaces.
fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = 0;
    for word in text.split_whitespace() {
        let n = word.chars().count();
        if line > 0 && line + 1 + n > width {
            out.push('\n');
            line = 0;
        } else if line > 0 {
            out.push(' ');
            line += 1;
        }
        out.push_str(word);
        line += n;
    }
    out
}

/// Draws `def` in `format`.
pub fn render(def: &Definition, format: Format, options: &Options<'_>) -> String {
    match format {
        Format::Mermaid => mermaid(def, options),
        Format::Dot => dot(def, options),
    }
}

/// The step's title in `lang`; its id, spaced, in English or when it has none.
pub fn title(step: &Step, lang: Lang) -> String {
    match (&step.title, lang) {
        (Some(t), Lang::Kk) => t.kk.clone(),
        (Some(t), Lang::Ru) => t.ru.clone(),
        _ => step.name.replace('_', " "),
    }
}

fn label(step: &Step, lang: Lang) -> String {
    let title = title(step, lang);
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
        let text = mermaid_text(&options.node(step));
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
            match options.edge(step, edge) {
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
    if !options.highlight.is_empty() {
        let _ = writeln!(
            out,
            "    classDef current fill:#ffd54f,stroke:#e65100,stroke-width:3px"
        );
        let _ = writeln!(out, "    class {} current", options.highlight.join(","));
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
        let style = if options.highlighted(&step.name) {
            ", style=filled, fillcolor=\"#ffd54f\", penwidth=3"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "    {} [shape={shape}, label=\"{}\"{style}];",
            step.name,
            dot_text(&options.node(step))
        );
    }
    for step in &def.steps {
        for (next, edge) in step.kind.successors() {
            let target = &def.steps[next.index()].name;
            match options.edge(step, edge) {
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
