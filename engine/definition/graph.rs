//! The process diagram: Mermaid for the docs and the clerk's case page, DOT for Graphviz.
//!
//! Drawn from the compiled definition, so the picture is always of what the engine runs.
//! Each step shows its kind and title; user tasks show their role; ends show their result.
//! The `highlight` steps (a case's current steps: more than one while a fork's branches run)
//! are drawn emphasised. For a clerk's page ([`Options::clerk`]) a step shows its title alone
//! and an edge the name the page gives it in the reader's language, since a clerk reads
//! neither role codes nor expressions. For a methodologist reading a service offline,
//! [`nested`] adds each step's due time, stage and source item, and draws each called
//! sub-workflow inside its call step.

use std::fmt::Write;

use indexmap::IndexMap;

use super::messages::Lang;
use super::model::{Definition, Due, Length, Step, StepKind, WaitFor};

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
    /// The steps a case has passed through: drawn in a quieter colour than `highlight`, so
    /// that the path taken shows beside where the case stands now.
    pub visited: Vec<&'a str>,
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

    fn was_visited(&self, step: &str) -> bool {
        self.visited.contains(&step)
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

/// A diagram whose call steps hold the sub-workflows they call: the DOT of this level, in
/// which each such call is a box labelled with [`Inner::placeholder`], and the drawings to
/// put inside those boxes. Graphviz draws clusters, but the pure-Rust layout the SVG is made
/// with does not, so the SVG writer (`web::diagram::svg_nested`) lays each level out on its
/// own and sets it into its call's box.
#[derive(Debug, Clone)]
pub struct Drawing {
    /// The DOT of this level.
    pub dot: String,
    /// The called sub-workflows, each to be drawn inside its call's box.
    pub inner: Vec<Inner>,
}

/// A sub-workflow drawn inside its call step.
#[derive(Debug, Clone)]
pub struct Inner {
    /// The call box's label in the outer DOT, unique in it.
    pub placeholder: String,
    /// The call step's own label, drawn at the top of the box.
    pub title: String,
    /// The sub-workflow.
    pub drawing: Drawing,
}

/// Draws `def` for a methodologist: every node with its due time (a task's, a window's, a
/// timer's), the stage code it reports and the item of its legal source, and every call to
/// one of `subworkflows` holding that sub-workflow's diagram (to any depth; a sub-workflow
/// already being drawn is not drawn again inside itself).
pub fn nested(
    def: &Definition,
    options: &Options<'_>,
    subworkflows: &IndexMap<String, Definition>,
) -> Drawing {
    nested_in(def, options, subworkflows, &mut vec![def.id.clone()])
}

fn nested_in(
    def: &Definition,
    options: &Options<'_>,
    subs: &IndexMap<String, Definition>,
    open: &mut Vec<String>,
) -> Drawing {
    let mut inner = Vec::new();
    for step in &def.steps {
        let StepKind::Call { workflow, .. } = &step.kind else {
            continue;
        };
        let Some(sub) = subs.get(workflow) else {
            continue;
        };
        if open.contains(workflow) {
            continue;
        }
        open.push(workflow.clone());
        let inner_options = Options {
            highlight: Vec::new(),
            visited: Vec::new(),
            ..options.clone()
        };
        inner.push(Inner {
            placeholder: placeholder(&step.name),
            title: details(step, options.lang),
            drawing: nested_in(sub, &inner_options, subs, open),
        });
        open.pop();
    }
    let nest: Vec<&str> = inner.iter().map(|i| i.placeholder.as_str()).collect();
    let dot = dot_nesting(def, options, &nest, true);
    Drawing { dot, inner }
}

/// The label a call box carries in the DOT until its sub-workflow is set into it.
fn placeholder(step: &str) -> String {
    format!("\u{27e6}{step}\u{27e7}")
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
    label_with(step, title(step, lang))
}

/// A hold's way out is a life event: drawn with the event's title in `lang`.
fn event_title(def: &Definition, step: &Step, edge: &Option<String>, lang: Lang) -> Option<String> {
    if !matches!(step.kind, StepKind::Hold { .. }) {
        return None;
    }
    let title = def.events.get(edge.as_deref()?)?.title.as_ref()?;
    match lang {
        Lang::Kk => Some(title.kk.clone()),
        Lang::Ru => Some(title.ru.clone()),
        _ => None,
    }
}

/// The label around a title already chosen (and perhaps wrapped).
fn label_with(step: &Step, title: String) -> String {
    match &step.kind {
        StepKind::Task(task) => format!("{title}\n[{}]", task.role),
        StepKind::Request(r) => format!("{title}\n⇄ {}", r.connector),
        StepKind::Call { workflow, .. } => format!("{title}\n▶ {workflow}"),
        StepKind::End { result } => format!("{title}\n■ {result}"),
        StepKind::Hold { state, .. } => format!("{title}\n◉ {state}"),
        _ => title,
    }
}

/// The label with what a methodologist checks: the due time, the stage, the source item.
fn details(step: &Step, lang: Lang) -> String {
    // An end is drawn as a circle as wide as its text: narrower lines keep it small.
    let width = match step.kind {
        StepKind::End { .. } => 18,
        _ => 36,
    };
    let mut out = label_with(step, wrap(&title(step, lang), width));
    if let Some(due) = due_text(step, lang) {
        out.push_str(&format!("\n◷ {due}"));
    }
    if let Some(stage) = &step.stage {
        out.push_str(&format!("\n◆ {stage}"));
    }
    if let Some(source) = &step.source {
        out.push_str(&format!(
            "\n§ {}",
            wrap(&source.item, if width < 36 { 24 } else { 40 }).replace('\n', "\n   ")
        ));
    }
    out
}

/// A length in `lang`'s short units: `4 working hours`, `4 жұм. сағ`, `4 раб. ч`.
pub fn length_text(length: Length, lang: Lang) -> String {
    let (days, cal_days, hours, minutes) = match lang {
        Lang::En => (
            "working days",
            "calendar days",
            "working hours",
            "working minutes",
        ),
        Lang::Kk => ("жұм. күн", "күнт. күн", "жұм. сағ", "жұм. мин"),
        Lang::Ru => ("раб. дн.", "кал. дн.", "раб. ч", "раб. мин"),
    };
    // English counts one in the singular; the Kazakh and Russian abbreviations serve both.
    let one = |n: u64, unit: &str| match (lang, n) {
        (Lang::En, 1) => format!("1 {}", unit.trim_end_matches('s')),
        _ => format!("{n} {unit}"),
    };
    match length {
        Length::WorkingDays(n) => one(u64::from(n), days),
        Length::CalendarDays(n) => one(u64::from(n), cal_days),
        Length::WorkingMinutes(m) if m.is_multiple_of(60) => one(u64::from(m / 60), hours),
        Length::WorkingMinutes(m) => one(u64::from(m), minutes),
    }
}

/// How long a step may take, in `lang`: a task's due time, a window, a timer, a request's
/// attempts.
fn due_text(step: &Step, lang: Lang) -> Option<String> {
    match &step.kind {
        StepKind::Task(t) => match t.due? {
            Due::After(l) => Some(length_text(l, lang)),
            Due::BeforeTermEnd(n) => Some(match lang {
                Lang::En => format!("{n} working days before the term ends"),
                Lang::Kk => format!("мерзім бітуіне {n} жұм. күн қалғанда"),
                Lang::Ru => format!("за {n} раб. дн. до конца срока"),
            }),
        },
        StepKind::Receive {
            timeout,
            counted_from,
            ..
        } => Some(match counted_from {
            Some(from) => format!("{} ({})", length_text(*timeout, lang), from.source().trim()),
            None => length_text(*timeout, lang),
        }),
        StepKind::Wait { until, .. } => match until {
            WaitFor::Length(l) => Some(length_text(*l, lang)),
            WaitFor::WorkingDayAfter { days, after } => Some(match lang {
                Lang::En => format!("working day {days} after {}", after.source().trim()),
                Lang::Kk => format!("{} кейінгі {days}-жұмыс күні", after.source().trim()),
                Lang::Ru => format!("{days}-й раб. день после {}", after.source().trim()),
            }),
            WaitFor::Until(e) => Some(e.source().trim().to_string()),
        },
        StepKind::Request(r) => r
            .timeout
            .map(|t| format!("{} × {}", r.retry.attempts, length_text(t, lang))),
        _ => None,
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
            StepKind::Hold { .. } => format!("([\"{text}\"])"),
            StepKind::Call { .. } => format!("[[\"{text}\"]]"),
            StepKind::Request(_) => format!("[/\"{text}\"\\]"),
            _ => format!("[\"{text}\"]"),
        };
        let _ = writeln!(out, "    {}{shape}", step.name);
    }
    for step in &def.steps {
        for (next, edge) in step.kind.successors() {
            let target = &def.steps[next.index()].name;
            match event_title(def, step, &edge, options.lang).or_else(|| options.edge(step, edge)) {
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
    let visited: Vec<&str> = options
        .visited
        .iter()
        .copied()
        .filter(|v| !options.highlighted(v))
        .collect();
    if !visited.is_empty() {
        let _ = writeln!(
            out,
            "    classDef visited fill:#c8e6c9,stroke:#2e7d32,stroke-width:2px"
        );
        let _ = writeln!(out, "    class {} visited", visited.join(","));
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
    dot_nesting(def, options, &[], false)
}

/// The DOT of `def`; the call steps whose placeholders are in `nest` are plain boxes
/// labelled with the placeholder, to be filled with their sub-workflow. With `detailed`,
/// each node shows its due time, stage and source item.
fn dot_nesting(def: &Definition, options: &Options<'_>, nest: &[&str], detailed: bool) -> String {
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
        } else if options.was_visited(&step.name) {
            ", style=filled, fillcolor=\"#c8e6c9\", penwidth=2"
        } else {
            ""
        };
        let holder = placeholder(&step.name);
        let (shape, text) = if nest.contains(&holder.as_str()) {
            ("box", holder)
        } else if detailed {
            (shape, details(step, options.lang))
        } else {
            (shape, options.node(step))
        };
        let _ = writeln!(
            out,
            "    {} [shape={shape}, label=\"{}\"{style}];",
            step.name,
            dot_text(&text)
        );
    }
    for step in &def.steps {
        for (next, edge) in step.kind.successors() {
            let target = &def.steps[next.index()].name;
            match event_title(def, step, &edge, options.lang).or_else(|| options.edge(step, edge)) {
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
