//! `qyzmet graph FILE --format mermaid|dot|svg|html`: print the process diagram of a workflow.
//!
//! The file is loaded and checked first: a diagram of an invalid definition would show a
//! process the engine will never run, so problems are listed instead (exit 1).
//!
//! `svg` and `html` are for reading offline, with no website to paste Mermaid into: the
//! titles in `--lang` (kk or ru), each step's due time, stage code and source item on its
//! node, and each called sub-workflow drawn inside its call step. `html` is one file with
//! the SVG inline, the service's title and a legend, and nothing it loads from elsewhere.

use std::path::PathBuf;
use std::process::ExitCode;

use super::validate::Common;
use crate::definition::messages::Lang;
use crate::definition::{self, Definition, graph};
use crate::web::diagram;

/// Arguments of `qyzmet graph`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The workflow file.
    pub file: PathBuf,
    /// The diagram format (`svg` and `html` are laid out here, for reading offline).
    #[arg(long, value_enum, default_value = "mermaid")]
    pub format: FormatArg,
    /// A step to highlight (e.g. a case's current step).
    #[arg(long)]
    pub highlight: Option<String>,
    #[command(flatten)]
    pub common: Common,
}

/// The diagram formats, as the command line names them.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum FormatArg {
    /// Mermaid flowchart.
    Mermaid,
    /// Graphviz DOT.
    Dot,
    /// SVG, laid out here: details on the nodes, sub-workflows inside their calls.
    Svg,
    /// One self-contained HTML page: the title, the SVG and a legend.
    Html,
}

/// Runs `qyzmet graph`.
pub fn run(args: Args) -> ExitCode {
    if !args.file.is_file() {
        eprintln!("error: {}: no such file", args.file.display());
        return ExitCode::from(2);
    }
    let options = args.common.options();
    let report = definition::load(std::slice::from_ref(&args.file), &options);
    if !report.diagnostics.is_empty() {
        for d in &report.diagnostics {
            println!("{d}");
        }
        eprintln!(
            "{} problem(s): fix them to draw the diagram",
            report.diagnostics.len()
        );
        return ExitCode::from(1);
    }
    let Some(def) = report
        .library
        .definitions
        .iter()
        .find(|d| d.file == args.file)
    else {
        eprintln!("error: {}: not a workflow definition", args.file.display());
        return ExitCode::from(2);
    };
    if let Some(h) = &args.highlight
        && def.step_named(h).is_none()
    {
        eprintln!(
            "error: --highlight: no step `{h}` in {}",
            args.file.display()
        );
        return ExitCode::from(2);
    }
    let format = match args.format {
        FormatArg::Mermaid => graph::Format::Mermaid,
        FormatArg::Dot => graph::Format::Dot,
        FormatArg::Svg | FormatArg::Html => {
            let subworkflows = report.library.subworkflows();
            let opts = graph::Options {
                highlight: args.highlight.as_deref().into_iter().collect(),
                lang: options.lang,
                ..graph::Options::default()
            };
            let drawing = graph::nested(def, &opts, &subworkflows);
            let Some(svg) = diagram::svg_nested(&drawing) else {
                eprintln!(
                    "error: {}: the diagram could not be laid out; try --format dot",
                    args.file.display()
                );
                return ExitCode::from(1);
            };
            match args.format {
                FormatArg::Html => print!("{}", html(def, &svg, options.lang)),
                _ => println!("{svg}"),
            }
            return ExitCode::SUCCESS;
        }
    };
    let opts = graph::Options {
        highlight: args.highlight.as_deref().into_iter().collect(),
        lang: options.lang,
        ..graph::Options::default()
    };
    print!("{}", graph::render(def, format, &opts));
    ExitCode::SUCCESS
}

/// The words of the HTML page, in one language.
struct Page {
    lang: &'static str,
    version: &'static str,
    in_force: &'static str,
    term: &'static str,
    legend: &'static str,
    items: [(&'static str, &'static str); 7],
}

fn page(lang: Lang) -> Page {
    match lang {
        Lang::Kk => Page {
            lang: "kk",
            version: "нұсқа",
            in_force: "күшіне енеді",
            term: "мерзімі",
            legend: "Белгілер",
            items: [
                ("[рөл]", "тапсырманы орындайтын рөл"),
                ("⇄", "шлюз арқылы сұрау (коннектор)"),
                (
                    "▶",
                    "ішкі процесс: оның қадамдары шақыру қадамының ішінде салынған",
                ),
                ("■", "аяқталу және нәтиже"),
                ("◷", "орындау мерзімі, күту терезесі немесе таймер"),
                ("◆", "мониторинг кезеңінің коды"),
                ("§", "құқықтық негіз (тармақ)"),
            ],
        },
        Lang::Ru => Page {
            lang: "ru",
            version: "версия",
            in_force: "действует с",
            term: "срок",
            legend: "Обозначения",
            items: [
                ("[роль]", "роль, выполняющая задачу"),
                ("⇄", "запрос через шлюз (коннектор)"),
                ("▶", "подпроцесс: его шаги нарисованы внутри шага вызова"),
                ("■", "завершение и результат"),
                ("◷", "срок исполнения, окно ожидания или таймер"),
                ("◆", "код этапа для мониторинга"),
                ("§", "правовое основание (пункт)"),
            ],
        },
        Lang::En => Page {
            lang: "en",
            version: "version",
            in_force: "in force from",
            term: "term",
            legend: "Legend",
            items: [
                ("[role]", "the role that works the task"),
                ("⇄", "a request through the gateway (connector)"),
                (
                    "▶",
                    "a sub-workflow: its steps are drawn inside the call step",
                ),
                ("■", "an end and its result"),
                ("◷", "a due time, a waiting window or a timer"),
                ("◆", "the stage code reported to monitoring"),
                ("§", "the legal source (item)"),
            ],
        },
    }
}

/// One HTML page that needs nothing else: no links, scripts, fonts or images from
/// elsewhere, so it opens offline and can be mailed as an attachment.
fn html(def: &Definition, svg: &str, lang: Lang) -> String {
    let p = page(lang);
    let title = match lang {
        Lang::Ru => &def.title.ru,
        _ => &def.title.kk,
    };
    let term = def
        .term
        .as_ref()
        .map(|t| format!(", {} {}", p.term, graph::length_text(t.length, lang)))
        .unwrap_or_default();
    let legend: String = p
        .items
        .iter()
        .map(|(mark, what)| format!("<dt>{}</dt><dd>{}</dd>", escape(mark), escape(what)))
        .collect();
    format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{title}</title>\n<style>\n\
         body {{ font-family: sans-serif; margin: 1.5em; }}\n\
         .diagram {{ overflow: auto; border: 1px solid #ccc; padding: .5em; }}\n\
         dl {{ display: grid; grid-template-columns: max-content auto; gap: .2em 1em; }}\n\
         dt {{ font-weight: bold; }} dd {{ margin: 0; }}\n\
         </style>\n</head>\n<body>\n<h1>{title}</h1>\n\
         <p><code>{id}</code>, {version} {ver}, {in_force} {from}{term}</p>\n\
         <div class=\"diagram\">\n{svg}\n</div>\n<h2>{legend_title}</h2>\n<dl>{legend}</dl>\n\
         </body>\n</html>\n",
        lang = p.lang,
        title = escape(title),
        id = escape(&def.id),
        version = p.version,
        ver = escape(&def.version),
        in_force = p.in_force,
        from = def.effective_from,
        legend_title = p.legend,
    )
}

/// Text for HTML.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
