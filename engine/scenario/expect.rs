//! Expectations, checked against the world: each says in words what was expected and
//! what was found, the way a methodologist would say it.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::compile::{RenderedPhrase, SentExpect, What, When};
use super::words::{self, or_none};
use super::world::{Rendered, Sent, World, compact};
use crate::definition::messages::Lang;
use crate::msg;
use crate::notify::preview::visible_text;
use crate::notify::render::{Part, lang_code};
use crate::runtime::life::living_state;
use crate::runtime::{Status, get_path};

/// Checks one expectation; `Err` says what was expected and what was found, in the
/// methodologist's language.
pub fn check(w: &World<'_>, what: &What) -> Result<(), String> {
    let lang = w.lang();
    let listing = |items: &[String]| words::listing(items, lang);
    match what {
        What::Status(want) => {
            let found = w.case().state.as_ref().map(|s| s.status);
            if found == Some(*want) {
                return Ok(());
            }
            Err(msg!(
                "scenario.expect.status",
                want = status_name(*want, lang),
                found = describe_case(w)
            )
            .render(lang))
        }
        What::State(want) => {
            let def = w.definition();
            let found = w.case().state.as_ref().and_then(|s| living_state(def, s));
            match (found, want) {
                (found, want) if &found == want => Ok(()),
                (Some(found), Some(want)) => {
                    Err(msg!("scenario.expect.state", want = want, found = found).render(lang))
                }
                (Some(found), None) => {
                    Err(msg!("scenario.expect.state_held", found = found).render(lang))
                }
                (None, Some(want)) => Err(msg!(
                    "scenario.expect.state_none",
                    want = want,
                    found = describe_case(w)
                )
                .render(lang)),
                (None, None) => Ok(()),
            }
        }
        What::Broadcast(want) => {
            let Some(found) = w.broadcast else {
                return Err(msg!("scenario.expect.no_broadcast").render(lang));
            };
            let pairs = [
                ("started", want.started, found.started),
                ("kept", want.kept, found.kept),
                ("duplicate", want.duplicate, found.duplicate),
                ("not_now", want.not_now, found.not_now),
            ];
            if pairs.iter().all(|(_, w, f)| w.is_none_or(|w| w == *f)) {
                return Ok(());
            }
            let want: Vec<String> = pairs
                .iter()
                .filter_map(|(name, w, _)| w.map(|n| format!("{name} {n}")))
                .collect();
            let found: Vec<String> = pairs
                .iter()
                .map(|(name, _, f)| format!("{name} {f}"))
                .collect();
            Err(msg!(
                "scenario.expect.broadcast",
                want = want.join(", "),
                found = found.join(", ")
            )
            .render(lang))
        }
        What::Result(want) => {
            let found = w.case().state.as_ref().and_then(|s| s.result.as_deref());
            if found == Some(want.as_str()) {
                return Ok(());
            }
            Err(msg!(
                "scenario.expect.result",
                want = want,
                found = describe_case(w)
            )
            .render(lang))
        }
        What::TermDue(want) => match w.case().state.as_ref().and_then(|s| s.term.as_ref()) {
            Some(term) if term.due_on == *want => Ok(()),
            Some(term) => Err(msg!(
                "scenario.expect.term",
                want = words::day(*want, lang),
                found = words::day(term.due_on, lang)
            )
            .render(lang)),
            None => Err(msg!(
                "scenario.expect.term_not_started",
                want = words::day(*want, lang)
            )
            .render(lang)),
        },
        What::WaitingAt(want) => {
            let found = w.waiting_at();
            let (mut a, mut b) = (want.clone(), found.clone());
            a.sort();
            b.sort();
            if a == b {
                return Ok(());
            }
            let expected = if want.is_empty() {
                msg!("scenario.expect.wait_nowhere")
            } else {
                msg!("scenario.expect.wait_at", steps = listing(want))
            };
            let actual = if found.is_empty() {
                msg!("scenario.found.waits_nowhere", case = describe_case(w))
            } else {
                msg!("scenario.found.waits_at", steps = listing(&found))
            };
            Err(msg!("scenario.but")
                .with_msg("expected", expected)
                .with_msg("found", actual)
                .render(lang))
        }
        What::Task { step, role, due } => {
            let Some(task) = w.case().tasks.values().find(|t| &t.step == step) else {
                let open: Vec<String> = w
                    .case()
                    .tasks
                    .values()
                    .map(|t| msg!("scenario.task_for", step = t.step, role = t.role).render(lang))
                    .collect();
                return Err(msg!(
                    "scenario.expect.task",
                    step = step,
                    open = or_none(&open, lang)
                )
                .render(lang));
            };
            if let Some(role) = role
                && &task.role != role
            {
                return Err(msg!(
                    "scenario.expect.task_role",
                    step = step,
                    role = role,
                    found = task.role
                )
                .render(lang));
            }
            if let Some(due) = due {
                match task.due {
                    Some(at) if matches(w, at, *due) => {}
                    Some(at) => {
                        return Err(msg!(
                            "scenario.expect.task_due",
                            step = step,
                            want = show_when(*due, lang),
                            found = w.show(at)
                        )
                        .render(lang));
                    }
                    None => {
                        return Err(msg!(
                            "scenario.expect.task_no_due",
                            step = step,
                            want = show_when(*due, lang)
                        )
                        .render(lang));
                    }
                }
            }
            Ok(())
        }
        What::Timer { step, due } => {
            let mut set: Vec<DateTime<Utc>> = w
                .case()
                .timers
                .values()
                .filter(|t| t.step.as_deref() == Some(step.as_str()))
                .map(|t| t.due)
                .collect();
            if set.iter().any(|at| matches(w, *at, *due)) {
                return Ok(());
            }
            set.sort();
            if set.is_empty() {
                Err(msg!(
                    "scenario.expect.no_timer",
                    step = step,
                    want = show_when(*due, lang)
                )
                .render(lang))
            } else {
                let dues: Vec<String> = set.iter().map(|at| w.show(*at)).collect();
                Err(msg!(
                    "scenario.expect.timer",
                    step = step,
                    want = show_when(*due, lang),
                    found = dues.join(", ")
                )
                .render(lang))
            }
        }
        What::Notified(want) => {
            let sent: Vec<Shape<'_>> = w.case().notifications.iter().map(Shape::sent).collect();
            found_times(want, &sent, Verb::Sent, lang)
        }
        What::OnlyNotified(listed) => {
            for s in &w.case().notifications {
                let shape = Shape::sent(s);
                if !listed.iter().any(|l| shape.fits(l, lang).is_ok()) {
                    return Err(msg!(
                        "scenario.expect.only_notified",
                        template = s.template,
                        to = s.to,
                        channels = s.channels.join(", ")
                    )
                    .render(lang));
                }
            }
            Ok(())
        }
        What::Document(want) => {
            let rendered: Vec<Shape<'_>> = w.case().documents.iter().map(Shape::rendered).collect();
            found_times(want, &rendered, Verb::Rendered, lang)
        }
        What::OnlyDocuments(listed) => {
            for d in &w.case().documents {
                let shape = Shape::rendered(d);
                if !listed.iter().any(|l| shape.fits(l, lang).is_ok()) {
                    return Err(
                        msg!("scenario.expect.only_documents", template = d.template).render(lang),
                    );
                }
            }
            Ok(())
        }
        What::Stages { codes, exact } => {
            if *exact {
                if &w.case().stages == codes {
                    return Ok(());
                }
                return Err(msg!(
                    "scenario.expect.stages_exact",
                    want = listing(codes),
                    found = listing(&w.case().stages)
                )
                .render(lang));
            }
            let mut rest = w.case().stages.iter();
            let mut previous: Option<&String> = None;
            for code in codes {
                if !rest.any(|s| s == code) {
                    let key = if previous.is_some() {
                        "scenario.expect.stages_after"
                    } else {
                        "scenario.expect.stages"
                    };
                    return Err(msg!(
                        key,
                        want = listing(codes),
                        code = code,
                        previous = previous.cloned().unwrap_or_default(),
                        found = listing(&w.case().stages)
                    )
                    .render(lang));
                }
                previous = Some(code);
            }
            Ok(())
        }
        What::Rendered(want) => rendered(w, want),
        What::Requested(connector, asked) => {
            let was = w.case().asked.iter().any(|c| c == connector);
            match (was, *asked) {
                (true, true) | (false, false) => Ok(()),
                (false, true) => {
                    Err(msg!("scenario.expect.requested", connector = connector).render(lang))
                }
                (true, false) => {
                    Err(msg!("scenario.expect.not_requested", connector = connector).render(lang))
                }
            }
        }
        What::Data(scope, name, want) => {
            let data = w
                .case()
                .state
                .as_ref()
                .map(|s| s.scope(scope))
                .unwrap_or(Value::Null);
            let found = get_path(&data, name).filter(|v| !v.is_null());
            let label = if scope.is_empty() {
                name.clone()
            } else {
                format!("{scope}/{name}")
            };
            match (found, want) {
                (None, Value::Null) => Ok(()),
                (Some(v), want) if same(v, want) => Ok(()),
                (None, want) => Err(msg!(
                    "scenario.expect.data_unset",
                    name = label,
                    want = compact(want)
                )
                .render(lang)),
                (Some(v), Value::Null) => {
                    Err(
                        msg!("scenario.expect.data_set", name = label, found = compact(v))
                            .render(lang),
                    )
                }
                (Some(v), want) => Err(msg!(
                    "scenario.expect.data",
                    name = label,
                    want = compact(want),
                    found = compact(v)
                )
                .render(lang)),
            }
        }
    }
}

/// Equal, with a number written in the scenario matching the same number as text, and
/// numbers compared by value: `90000` is `90000.0` (a decimal) and `"90000.00"` (money, kept
/// as its canonical text). Text counts as a number only in the canonical form of one
/// (`-?digits(.digits)?`, no leading zero), so `"007"` is not `7`.
fn same(found: &Value, want: &Value) -> bool {
    found == want
        || match (found, want) {
            (Value::String(s), Value::Number(n)) | (Value::Number(n), Value::String(s)) => {
                s == &n.to_string() || same_number(found, want) && is_plain_number(s)
            }
            (Value::Number(_), Value::Number(_)) => same_number(found, want),
            _ => false,
        }
}

/// Both are numbers of the same value (see [`crate::money`]).
fn same_number(a: &Value, b: &Value) -> bool {
    use crate::money::decimal_from_json;
    matches!((decimal_from_json(a), decimal_from_json(b)), (Ok(x), Ok(y)) if x == y)
}

/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?`: a number as the engine writes one.
fn is_plain_number(s: &str) -> bool {
    let body = s.strip_prefix('-').unwrap_or(s);
    let (whole, fraction) = body.split_once('.').unwrap_or((body, "0"));
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    digits(whole) && digits(fraction) && (whole == "0" || !whole.starts_with('0'))
}

fn status_name(s: Status, lang: Lang) -> String {
    match s {
        Status::Active => msg!("scenario.status.active"),
        Status::Completed => msg!("scenario.status.completed"),
        Status::Withdrawn => msg!("scenario.status.withdrawn"),
    }
    .render(lang)
}

/// The case in a few words: "active, waiting at `review`", "completed with the result `issued`".
fn describe_case(w: &World<'_>) -> String {
    let lang = w.lang();
    let Some(state) = &w.case().state else {
        return msg!("scenario.case.not_open").render(lang);
    };
    match state.status {
        Status::Active => {
            let at = w.waiting_at();
            if at.is_empty() {
                status_name(Status::Active, lang)
            } else {
                msg!("scenario.case.waiting", steps = words::listing(&at, lang)).render(lang)
            }
        }
        status => msg!(
            "scenario.case.closed",
            status = status_name(status, lang),
            result = state.result.as_deref().unwrap_or_default()
        )
        .render(lang),
    }
}

fn matches(w: &World<'_>, at: DateTime<Utc>, when: When) -> bool {
    let local = w.local(at);
    match when {
        When::At(t) => local == t,
        When::On(d) => local.date() == d,
    }
}

fn show_when(when: When, lang: Lang) -> String {
    match when {
        When::At(t) => words::moment(t, lang),
        When::On(d) => words::day(d, lang),
    }
}

/// A notification or a document, as far as an expectation looks at it.
struct Shape<'a> {
    template: &'a str,
    to: Option<&'a str>,
    channels: Option<&'a [String]>,
    kind: Option<&'a str>,
    vars: &'a Value,
}

impl<'a> Shape<'a> {
    fn sent(s: &'a Sent) -> Self {
        Shape {
            template: &s.template,
            to: Some(&s.to),
            channels: Some(&s.channels),
            kind: None,
            vars: &s.vars,
        }
    }

    fn rendered(d: &'a Rendered) -> Self {
        Shape {
            template: &d.template,
            to: None,
            channels: None,
            kind: d.kind.as_deref(),
            vars: &d.vars,
        }
    }

    /// Whether it is what `want` describes; `Err` says how it differs, in `lang`.
    fn fits(&self, want: &SentExpect, lang: Lang) -> Result<(), String> {
        if self.template != want.template {
            return Err(msg!("scenario.differs.template", template = self.template).render(lang));
        }
        if let Some(to) = &want.to
            && self.to != Some(to.as_str())
        {
            let to = match self.to {
                Some(to) => to.to_string(),
                None => msg!("scenario.nobody").render(lang),
            };
            return Err(msg!("scenario.differs.to", to = to).render(lang));
        }
        if let Some(channels) = &want.channels {
            let mut a = channels.clone();
            let mut b: Vec<String> = self.channels.map(<[String]>::to_vec).unwrap_or_default();
            a.sort();
            b.sort();
            if a != b {
                return Err(msg!("scenario.differs.channels", channels = b.join(", ")).render(lang));
            }
        }
        if let Some(kind) = &want.kind
            && self.kind != Some(kind.as_str())
        {
            return Err(match self.kind {
                Some(kind) => msg!("scenario.differs.kind", kind = kind),
                None => msg!("scenario.differs.no_kind"),
            }
            .render(lang));
        }
        for (name, value) in &want.vars {
            match get_path(self.vars, name) {
                Some(v) if same(v, value) => {}
                Some(v) => {
                    return Err(
                        msg!("scenario.differs.var", name = name, value = compact(v)).render(lang),
                    );
                }
                None => return Err(msg!("scenario.differs.no_var", name = name).render(lang)),
            }
        }
        Ok(())
    }
}

/// What `want` describes, after "expected `template` to be sent once": to whom, how, with what.
fn details(want: &SentExpect, lang: Lang) -> String {
    let mut out = String::new();
    if let Some(to) = &want.to {
        out.push_str(&msg!("scenario.details.to", to = to).render(lang));
    }
    if let Some(channels) = &want.channels {
        out.push_str(&msg!("scenario.details.by", channels = channels.join(", ")).render(lang));
    }
    if let Some(kind) = &want.kind {
        out.push_str(&msg!("scenario.details.kind", kind = kind).render(lang));
    }
    if !want.vars.is_empty() {
        let vars: Vec<String> = want
            .vars
            .iter()
            .map(|(k, v)| format!("{k} = {}", compact(v)))
            .collect();
        out.push_str(&msg!("scenario.details.vars", vars = vars.join(", ")).render(lang));
    }
    out
}

fn times(n: usize, lang: Lang) -> String {
    match n {
        1 => msg!("scenario.once"),
        2 => msg!("scenario.twice"),
        n => msg!("scenario.times", n = n),
    }
    .render(lang)
}

/// What happened to a notification or a document.
#[derive(Clone, Copy)]
enum Verb {
    Sent,
    Rendered,
}

impl Verb {
    /// The message keys: expected N times, found M times, found differing, not found.
    fn keys(self) -> [&'static str; 4] {
        match self {
            Verb::Sent => [
                "scenario.expect.sent",
                "scenario.found.sent_times",
                "scenario.found.sent_differs",
                "scenario.found.not_sent",
            ],
            Verb::Rendered => [
                "scenario.expect.rendered",
                "scenario.found.rendered_times",
                "scenario.found.rendered_differs",
                "scenario.found.not_rendered",
            ],
        }
    }
}

/// `want` found exactly `want.times` times among `done`.
fn found_times(
    want: &SentExpect,
    done: &[Shape<'_>],
    verb: Verb,
    lang: Lang,
) -> Result<(), String> {
    let fitting = done.iter().filter(|d| d.fits(want, lang).is_ok()).count();
    if fitting == want.times as usize {
        return Ok(());
    }
    let [expected_key, times_key, differs_key, none_key] = verb.keys();
    let expected = msg!(
        expected_key,
        template = want.template,
        times = times(want.times as usize, lang),
        details = details(want, lang)
    );
    let same_template: Vec<&Shape<'_>> = done
        .iter()
        .filter(|d| d.template == want.template)
        .collect();
    let found = if fitting > 0 {
        msg!(times_key, times = times(fitting, lang))
    } else if let Some(near) = same_template.first() {
        let how = near.fits(want, lang).err().unwrap_or_default();
        msg!(differs_key, how = how)
    } else {
        let so_far: Vec<&str> = done.iter().map(|d| d.template).collect();
        msg!(none_key, so_far = words::listing(&so_far, lang))
    };
    Err(msg!("scenario.but")
        .with_msg("expected", expected)
        .with_msg("found", found)
        .render(lang))
}

/// How much of a text a failing `rendered:` expectation quotes.
const QUOTED: usize = 200;

/// A phrase in (or not in) what a template rendered so far.
fn rendered(w: &World<'_>, want: &RenderedPhrase) -> Result<(), String> {
    let lang = w.lang();
    let mut texts: Vec<(String, String)> = Vec::new();
    for r in w.renditions().filter(|r| r.template == want.template) {
        if want.lang.is_some_and(|l| l != r.lang) {
            continue;
        }
        for (part, text) in r.body.texts() {
            if want.part.is_some_and(|p| p != part) {
                continue;
            }
            let seen = match part {
                Part::Html => visible_text(text),
                _ => text.split_whitespace().collect::<Vec<_>>().join(" "),
            };
            texts.push((format!("{} {}", lang_code(r.lang), part.name()), seen));
        }
    }
    let which = match (want.lang, want.part) {
        (None, None) => String::new(),
        (lang, part) => {
            let words: Vec<&str> = [lang.map(lang_code), part.map(Part::name)]
                .into_iter()
                .flatten()
                .collect();
            format!(" ({})", words.join(", "))
        }
    };
    let phrase = &want.phrase;
    let template = &want.template;
    if texts.is_empty() {
        let so_far: Vec<&str> = w.renditions().map(|r| r.template.as_str()).collect();
        let mut so_far_unique: Vec<&str> = Vec::new();
        for t in so_far {
            if !so_far_unique.contains(&t) {
                so_far_unique.push(t);
            }
        }
        let key = if want.present {
            "scenario.expect.phrase_unrendered"
        } else {
            "scenario.expect.no_phrase_unrendered"
        };
        return Err(msg!(
            key,
            template = template,
            which = which,
            phrase = phrase,
            so_far = words::listing(&so_far_unique, lang)
        )
        .render(lang));
    }
    match (
        want.present,
        texts.iter().find(|(_, t)| t.contains(phrase.as_str())),
    ) {
        (true, Some(_)) | (false, None) => Ok(()),
        (true, None) => {
            let quoted: Vec<String> = texts
                .iter()
                .map(|(what, t)| format!("{what}: \"{}\"", excerpt(t, phrase)))
                .collect();
            Err(msg!(
                "scenario.expect.phrase",
                template = template,
                which = which,
                phrase = phrase,
                found = quoted.join("; ")
            )
            .render(lang))
        }
        (false, Some((what, t))) => Err(msg!(
            "scenario.expect.no_phrase",
            template = template,
            which = which,
            phrase = phrase,
            what = what,
            found = excerpt(t, phrase)
        )
        .render(lang)),
    }
}

/// The part of `text` worth quoting for `phrase`: around the longest beginning of the phrase
/// (in whole words) that the text has, else its beginning; at most [`QUOTED`] characters.
fn excerpt(text: &str, phrase: &str) -> String {
    let words: Vec<&str> = phrase.split(' ').collect();
    let at = (1..=words.len())
        .rev()
        .find_map(|n| text.find(&words[..n].join(" ")))
        .unwrap_or(0);
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let index = chars.iter().position(|(i, _)| *i >= at).unwrap_or(0);
    let start = index.saturating_sub(QUOTED / 4);
    let end = (start + QUOTED).min(chars.len());
    let mut out: String = chars[start..end].iter().map(|(_, c)| c).collect();
    if start > 0 {
        out.insert(0, '…');
    }
    if end < chars.len() {
        out.push('…');
    }
    out
}
