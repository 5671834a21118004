//! Expressions in workflow files: `when:` conditions and data mappings, written in CEL.
//!
//! A methodologist writes `applicant.age >= 18 && person.rehabilitated` in YAML; a typo or a
//! type error there must be reported when the file is validated, never when a citizen's case
//! runs. So an expression goes through two phases, like the rest of a definition:
//!
//! 1. [`check`] parses it with the `cel` crate and type-checks it against an [`Env`] (the data
//!    the workflow declares), producing an [`Expr`] or every problem found as [`ExprError`]s.
//! 2. [`eval`] runs a checked [`Expr`] against a case's data (JSON) with the `cel` interpreter.
//!
//! The `cel` crate has a parser and an interpreter but no type checker (its overload
//! declarations carry argument types only, no result types), so the checker in [`checker`]
//! walks the parsed tree itself.
//!
//! **Architecture Invariant:** an [`Expr`] can only be built by [`check`], so [`eval`] never
//! runs an expression that refers to an undeclared variable or mixes types. Evaluation can
//! still fail on data (a missing optional field, a division by zero); that is [`EvalError`].
//!
//! **Architecture Invariant:** this module knows nothing about YAML, steps or files. It
//! reports positions as character offsets into the expression text; the caller maps them to
//! a place in the file.
//!
//! # Dates
//!
//! Dates are ISO `YYYY-MM-DD` strings, in case data and at run time. `date("2026-01-01")`
//! checks its argument and returns the same string, so `<`, `==` and friends between dates
//! are string comparisons, which order ISO dates correctly (four-digit years). The checker
//! keeps [`Type::Date`] apart from [`Type::String`] so that a date is only compared with a
//! date or with a literal ISO date, and [`eval`] rejects case data whose declared dates are
//! not ISO dates, so a malformed date can never be compared silently.
//!
//! # Numbers and money
//!
//! `decimal` and `money` are exact: the `cel` interpreter's numbers with a fraction are `f64`,
//! so [`check`] rewrites every operation it typed as decimal or money into calls that compute
//! with `rust_decimal` ([`exact`]). Money goes with money or with a number written out
//! (`amount > 100000`); times or divided by a number it is money rounded to the tiyn, half
//! away from zero; divided by money it is a decimal. Mixing it with a decimal or an integer
//! name is a type error with a hint to write `money(x)`, as int and decimal do not mix.
//!
//! # Absent values
//!
//! A JSON `null` in case data counts as absent: `has(applicant.email)` is false for
//! `{"applicant": {"email": null}}`. Comparing with `null` is therefore rejected by the
//! checker, with a hint to use `has()`. Which reads a `has()` protects, for names that may
//! be absent (an answer's optional fields), is [`presence`]'s question
//! ([`Expr::unguarded_reads`]); a mapping whose value may be `null` stores nothing
//! ([`Expr::may_be_absent`]).

mod checker;
mod exact;
mod presence;
mod runtime;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use super::messages::Msg;
use crate::msg;

/// The types a methodologist declares for case data (`data:` section of a workflow).
///
/// They are richer than CEL's own types (an IIN is a string at run time) so that the checker
/// can catch domain mistakes: comparing a date with a number, or an enum with a value it
/// cannot take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Type {
    /// Text.
    String,
    /// A whole number (CEL `int`).
    Int,
    /// A number with a fraction, exact (base 10, see [`crate::money`]); a CEL `double` in
    /// the text of an expression (`1.5`), never a binary float when it runs.
    Decimal,
    /// An amount in tenge with exactly two digits of tiyn (see [`crate::money::Money`]).
    Money,
    /// True or false.
    Bool,
    /// An ISO `YYYY-MM-DD` string in data, comparable with other dates and with
    /// `date("2026-01-01")`.
    Date,
    /// An individual identification number: a 12-digit string.
    Iin,
    /// A phone number, as a string.
    Phone,
    /// An e-mail address, as a string.
    Email,
    /// A string with a fixed set of allowed values.
    Enum(Vec<String>),
    /// A list whose elements all have the given type.
    List(Box<Type>),
    /// An object whose fields are not declared: any field may be read, with type [`Type::Any`].
    Map,
    /// Anything: disables type checks for the sub-expression.
    Any,
}

impl Type {
    /// Whether the value is a string at run time and takes string operations
    /// (`contains`, `+`, `size`). A date is a string at run time too, but is kept apart so
    /// that it is only compared with dates.
    fn is_text(&self) -> bool {
        matches!(
            self,
            Type::String | Type::Iin | Type::Phone | Type::Email | Type::Enum(_)
        )
    }

    /// Whether the value is a number at run time (money is one).
    fn is_number(&self) -> bool {
        matches!(self, Type::Int | Type::Decimal | Type::Money)
    }

    /// The type with an article, for messages: "a string", "an integer".
    fn describe(&self) -> String {
        self.describe_msg().to_string()
    }

    /// [`Type::describe`] as a message, for the methodologist's language.
    fn describe_msg(&self) -> Msg {
        match self {
            Type::String => msg!("expr.type.string"),
            Type::Int => msg!("expr.type.int"),
            Type::Decimal => msg!("expr.type.decimal"),
            Type::Money => msg!("expr.type.money"),
            Type::Bool => msg!("expr.type.bool"),
            Type::Date => msg!("expr.type.date"),
            Type::Iin => msg!("expr.type.iin"),
            Type::Phone => msg!("expr.type.phone"),
            Type::Email => msg!("expr.type.email"),
            Type::Enum(values) => msg!("expr.type.enum", values = values.join(", ")),
            Type::List(item) => msg!("expr.type.list").with_msg("items", item.plural()),
            Type::Map => msg!("expr.type.map"),
            Type::Any => msg!("expr.type.any"),
        }
    }

    /// The plural, for "a list of …".
    fn plural(&self) -> Msg {
        match self {
            Type::String => msg!("expr.types.string"),
            Type::Int => msg!("expr.types.int"),
            Type::Decimal => msg!("expr.types.decimal"),
            Type::Money => msg!("expr.types.money"),
            Type::Bool => msg!("expr.types.bool"),
            Type::Date => msg!("expr.types.date"),
            Type::Iin => msg!("expr.types.iin"),
            Type::Phone => msg!("expr.types.phone"),
            Type::Email => msg!("expr.types.email"),
            Type::Enum(values) => msg!("expr.types.enum", values = values.join(", ")),
            Type::List(_) => msg!("expr.types.list"),
            Type::Map => msg!("expr.types.map"),
            Type::Any => msg!("expr.types.any"),
        }
    }
}

/// The name a methodologist writes in YAML (`iin`, `decimal`), for messages and logs.
impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::String => f.write_str("string"),
            Type::Int => f.write_str("int"),
            Type::Decimal => f.write_str("decimal"),
            Type::Money => f.write_str("money"),
            Type::Bool => f.write_str("bool"),
            Type::Date => f.write_str("date"),
            Type::Iin => f.write_str("iin"),
            Type::Phone => f.write_str("phone"),
            Type::Email => f.write_str("email"),
            Type::Enum(values) => write!(f, "enum ({})", values.join(", ")),
            Type::List(item) => write!(f, "list of {item}"),
            Type::Map => f.write_str("map"),
            Type::Any => f.write_str("any"),
        }
    }
}

/// The variables visible to an expression, by dotted name: `applicant.iin` → [`Type::Iin`].
///
/// A prefix (`applicant`) is an object whose fields are the names declared below it, so the
/// workflow's flat `data:` list is all the checker needs. A prefix that is also declared as
/// [`Type::Map`] or [`Type::Any`] is open: undeclared fields may be read from it too.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Env {
    /// Every declared name with its type. Sorted, so the names below a prefix are a range.
    vars: BTreeMap<String, Type>,
}

impl Env {
    /// An environment with no variables.
    pub fn new() -> Self {
        Self::default()
    }

    /// Declares (or redeclares) a variable by its dotted name.
    pub fn declare(&mut self, dotted: &str, ty: Type) {
        self.vars.insert(dotted.to_string(), ty);
    }

    /// A copy with one more variable, e.g. `response.*` for the mappings of one step.
    pub fn with(&self, dotted: &str, ty: Type) -> Env {
        let mut env = self.clone();
        env.declare(dotted, ty);
        env
    }

    /// The declared type of a dotted name, if it is declared itself (not only as a prefix).
    pub fn get(&self, dotted: &str) -> Option<&Type> {
        self.vars.get(dotted)
    }

    /// Whether some name is declared below `dotted` (`applicant` for `applicant.iin`).
    fn is_prefix(&self, dotted: &str) -> bool {
        let below = format!("{dotted}.");
        self.vars
            .range(below.clone()..)
            .next()
            .is_some_and(|(name, _)| name.starts_with(&below))
    }

    /// Every name declared below `dotted`, with its type: what eval needs to convert case data.
    fn below<'a>(&'a self, dotted: &'a str) -> impl Iterator<Item = (&'a String, &'a Type)> + 'a {
        let below = format!("{dotted}.");
        self.vars
            .range(dotted.to_string()..)
            .take_while(move |(name, _)| name.starts_with(dotted))
            .filter(move |(name, _)| *name == dotted || name.starts_with(&below))
    }

    /// Every declared name and every prefix: the things a methodologist may have meant.
    fn known_paths(&self) -> Vec<String> {
        let mut paths: Vec<String> = Vec::new();
        for name in self.vars.keys() {
            let mut end = 0;
            for segment in name.split('.') {
                end += segment.len();
                paths.push(name[..end].to_string());
                end += 1;
            }
        }
        paths.sort();
        paths.dedup();
        paths
    }
}

/// A parsed, type-checked expression, ready to evaluate.
///
/// Built only by [`check`]; cheap to clone (the compiled program is shared).
#[derive(Debug, Clone)]
pub struct Expr {
    /// The text as written, for messages and the case history.
    source: String,
    /// The program as parsed: what the checks of presence walk, and where each node was written.
    program: Arc<cel::Program>,
    /// The tree the `cel` interpreter runs: the program with its decimal and money operations
    /// made exact ([`exact`]).
    exact: Arc<cel::common::ast::IdedExpr>,
    /// The type the context requires, given to [`check`]: [`eval`] gives a result of it in the
    /// form the case keeps (a whole number computed for a `money` field as its text).
    target: Option<Type>,
    /// The type of the result, as inferred by the checker.
    ty: Type,
    /// The dotted names the expression reads, sorted.
    variables: Vec<String>,
    /// The declared types of the data below the variables it reads, so that [`eval`] can
    /// convert JSON by type (an integer JSON number into a decimal, a date checked as ISO).
    types: Arc<BTreeMap<String, Type>>,
}

impl Expr {
    /// The expression as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The type of the result, as inferred. With an `expected` type given to [`check`], it
    /// is assignable to that type.
    pub fn ty(&self) -> &Type {
        &self.ty
    }

    /// The dotted names it reads (`applicant.iin`), sorted, so that a step can tell which
    /// data it depends on. A variable read as a whole object is listed by its prefix.
    pub fn variables(&self) -> Vec<String> {
        self.variables.clone()
    }

    /// The reads of names in `optional` (names that may be absent, such as an answer's
    /// optional `response.middle_name`) that no `has()` test protects, in the order written:
    /// each would fail the evaluation when the name is absent. See [`presence`].
    pub fn unguarded_reads(&self, optional: &BTreeSet<String>) -> Vec<UnguardedRead> {
        presence::unguarded_reads(self, optional)
    }

    /// The dotted names a condition shows present when it evaluates to `holds`: `has(x.y)`
    /// true shows `x.y`, through `!`, `&&`, `||` and `? :`. A `decide` branch taken knows them.
    pub fn shows_present(&self, holds: bool) -> BTreeSet<String> {
        presence::shows_present(self, holds)
    }

    /// Whether the value may be `null`, which stores nothing: `has(x) ? x : null`. A
    /// mapping with such a value does not certainly set its target.
    pub fn may_be_absent(&self) -> bool {
        presence::may_be_absent(self)
    }
}

pub use presence::UnguardedRead;

/// One problem in an expression: where in the expression text and what.
///
/// A plain struct rather than an error enum because [`check`] returns all of them at once,
/// for the caller to place in the file as diagnostics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    /// 0-based character (not byte) offset into the expression text.
    pub offset: usize,
    /// What is wrong, in one sentence: a message the caller renders in the methodologist's
    /// language (English through `Display`).
    pub message: Msg,
    /// How to put it right, when we can tell (e.g. "did you mean `applicant.iin`?").
    pub hint: Option<Msg>,
}

impl ExprError {
    /// An error at `offset` with no hint.
    fn new(offset: usize, message: Msg) -> Self {
        Self {
            offset,
            message,
            hint: None,
        }
    }

    /// Adds a hint.
    fn with_hint(mut self, hint: Option<Msg>) -> Self {
        self.hint = hint;
        self
    }
}

/// The message only: the offset and the hint are for the caller to place.
impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)
    }
}

/// Why evaluating a checked expression against case data failed.
///
/// Type errors are caught by [`check`]; what is left is about the data.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvalError {
    /// Case data must be a JSON object whose top-level keys are the variables.
    #[error("case data must be a JSON object, not {0}")]
    NotAnObject(&'static str),
    /// The expression reads a value the case does not have (an optional field not filled).
    #[error("the case has no value for `{0}`; test for it with has() first")]
    Missing(String),
    /// A value in case data does not have its declared type.
    #[error("`{name}` should be {expected}, but the case data holds {found}")]
    BadData {
        /// The dotted name of the value.
        name: String,
        /// The declared type, described.
        expected: String,
        /// What the data holds instead.
        found: String,
    },
    /// Evaluation failed on the data: division by zero, overflow, text that is not a date.
    #[error("{0}")]
    Failed(String),
    /// The result has no JSON form (a non-finite number).
    #[error("the result cannot be stored: {0}")]
    NotJson(String),
}

/// The longest expression accepted, in characters. The `cel` parser recurses once per
/// operator, and a few thousand of them overflow a 2 MiB thread stack, which aborts the
/// process; no condition a person writes comes close.
const MAX_LEN: usize = 4096;

/// Parses and type-checks.
///
/// `expected` is the type the context requires: [`Type::Bool`] for a `when:` condition, the
/// target field's type for a mapping. A mismatch is an error naming both types. All problems
/// found are returned, sorted by offset.
pub fn check(source: &str, env: &Env, expected: Option<&Type>) -> Result<Expr, Vec<ExprError>> {
    let program = parse(source)?;
    let outcome = checker::check(&program, source, env, expected)?;
    let mut types = BTreeMap::new();
    for root in outcome.roots() {
        for (name, ty) in env.below(root) {
            types.insert(name.clone(), ty.clone());
        }
    }
    let exact = exact::rewrite(program.expression(), &outcome.types);
    Ok(Expr {
        source: source.to_string(),
        program: Arc::new(program),
        exact: Arc::new(exact),
        target: expected.cloned(),
        ty: outcome.ty,
        variables: outcome.variables,
        types: Arc::new(types),
    })
}

/// Evaluates against case data: a JSON object whose nesting matches the dotted names
/// (`{"applicant": {"iin": "…"}}` for `applicant.iin`).
///
/// Only the top-level keys the expression reads are converted. Dates come back as ISO
/// strings, decimals as JSON numbers, money as its canonical text (see [`crate::money`]).
pub fn eval(expr: &Expr, data: &serde_json::Value) -> Result<serde_json::Value, EvalError> {
    runtime::eval(expr, data)
}

/// Parses with the `cel` parser, turning its errors into [`ExprError`]s.
fn parse(source: &str) -> Result<cel::Program, Vec<ExprError>> {
    if source.trim().is_empty() {
        return Err(vec![ExprError::new(0, msg!("expr.empty"))]);
    }
    let len = source.chars().count();
    if len > MAX_LEN {
        return Err(vec![
            ExprError::new(0, msg!("expr.too_long", len = len, max = MAX_LEN))
                .with_hint(Some(msg!("expr.hint.split"))),
        ]);
    }
    // The parser is generated code with `unreachable!` and `expect` in places; a panic in it
    // must not take the validator down with it.
    let parsed = std::panic::catch_unwind(|| cel::Program::compile(source));
    match parsed {
        Ok(Ok(program)) => Ok(program),
        Ok(Err(errors)) => {
            // Later syntax errors are nearly always echoes of the first one.
            let first = errors.errors.first();
            let (line, column) = first.map(|e| e.pos).unwrap_or((1, 1));
            let raw = first.map(|e| e.msg.as_str()).unwrap_or("syntax error");
            let (message, hint) = syntax_message(raw, source);
            Err(vec![
                ExprError::new(line_column_to_offset(source, line, column), message)
                    .with_hint(hint),
            ])
        }
        Err(_) => Err(vec![ExprError::new(0, msg!("expr.unparsable"))]),
    }
}

/// The character offset of a 1-based line and 1-based character column, clamped to the text.
fn line_column_to_offset(source: &str, line: isize, column: isize) -> usize {
    let line = usize::try_from(line.max(1)).unwrap_or(1);
    let column = usize::try_from(column.max(1)).unwrap_or(1);
    let before: usize = source
        .split_inclusive('\n')
        .take(line - 1)
        .map(|l| l.chars().count())
        .sum();
    (before + column - 1).min(source.chars().count())
}

/// Rewrites an ANTLR message ("mismatched input ')' expecting {…}") for a person who has
/// never seen a grammar, with a hint from the text when it shows a usual slip.
fn syntax_message(raw: &str, source: &str) -> (Msg, Option<Msg>) {
    let msg = raw.strip_prefix("Syntax error: ").unwrap_or(raw);
    // ANTLR quotes the token: `mismatched input 'X' expecting …`, where X may hold quotes.
    let quoted = |after: &str| -> Option<String> {
        let rest = msg.strip_prefix(after)?.strip_prefix('\'')?;
        let end = [" expecting", " at "]
            .iter()
            .filter_map(|delimiter| rest.find(&format!("'{delimiter}")))
            .min()
            .or_else(|| rest.rfind('\''))?;
        Some(rest[..end].to_string())
    };
    let hint = syntax_hint(source);
    if msg.contains("Recursion limit") {
        return (msg!("expr.too_deep"), Some(msg!("expr.hint.split")));
    }
    if let Some(token) = quoted("mismatched input ").or_else(|| quoted("extraneous input ")) {
        if token == "<EOF>" {
            let hint = hint.or(Some(msg!("expr.hint.missing_at_end")));
            return (msg!("expr.ends_early"), hint);
        }
        return (msg!("expr.unexpected", token = token), hint);
    }
    if let Some(missing) = msg
        .strip_prefix("missing ")
        .and_then(|rest| rest.split(" at ").next())
    {
        let missing = missing.trim_matches('\'');
        return (msg!("expr.missing_token", token = missing), hint);
    }
    if let Some(input) = quoted("no viable alternative at input ") {
        let last = input
            .split_whitespace()
            .last()
            .unwrap_or(&input)
            .to_string();
        return (msg!("expr.unexpected", token = last), hint);
    }
    if let Some(text) = quoted("token recognition error at: ") {
        let hint = hint.or_else(|| {
            (text.starts_with('"') || text.starts_with('\''))
                .then(|| msg!("expr.hint.unclosed_quote"))
        });
        return (msg!("expr.cannot_read", text = text.trim()), hint);
    }
    if let Some(word) = msg.strip_prefix("reserved identifier: ") {
        return (msg!("expr.reserved", word = word), hint);
    }
    match msg {
        "invalid argument to has() macro" => (msg!("expr.has_field"), Some(msg!("expr.hint.has"))),
        "argument must be a simple name" => {
            (msg!("expr.macro_name"), Some(msg!("expr.hint.macro_name")))
        }
        // The parser's own words, which we have not met yet: shown as they are.
        _ => (msg!("expr.parser", text = msg), hint),
    }
}

/// A hint for the slips people make when they write their first expressions: words or
/// symbols from other languages (`and`, `=`, `≥`), typographic quotes pasted from a word
/// processor, names in Cyrillic.
fn syntax_hint(source: &str) -> Option<Msg> {
    if source.contains(['“', '”', '«', '»', '‘', '’', '„']) {
        return Some(msg!("expr.hint.quotes"));
    }
    // The text outside quotes, where the operators are.
    let mut code = String::new();
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in source.chars() {
        match quote {
            Some(_) if escaped => escaped = false,
            Some(_) if c == '\\' => escaped = true,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                code.push(' ');
            }
            None => code.push(c),
        }
    }
    let words: Vec<&str> = code
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    let has_word = |w: &str| words.iter().any(|x| x.eq_ignore_ascii_case(w));
    if has_word("and") {
        return Some(msg!("expr.hint.and"));
    }
    if has_word("or") {
        return Some(msg!("expr.hint.or"));
    }
    if has_word("not") {
        return Some(msg!("expr.hint.not"));
    }
    if has_word("if") || has_word("then") || has_word("else") {
        return Some(msg!("expr.hint.if"));
    }
    if code.contains("=>") || code.contains("=<") {
        return Some(msg!("expr.hint.equals_second"));
    }
    let lone_equals = code.match_indices('=').any(|(i, _)| {
        let before = code[..i].chars().next_back();
        let after = code[i + 1..].chars().next();
        !matches!(before, Some('=' | '!' | '<' | '>')) && after != Some('=')
    });
    if lone_equals {
        return Some(msg!("expr.hint.double_equals"));
    }
    if code.contains(['≥', '≤', '≠']) {
        return Some(msg!("expr.hint.ascii_operators"));
    }
    if code.chars().any(|c| c.is_alphabetic() && !c.is_ascii()) {
        return Some(msg!("expr.hint.latin"));
    }
    if code.contains(';') {
        return Some(msg!("expr.hint.semicolon"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The variables of a typical application, as a workflow would declare them.
    fn env() -> Env {
        let mut env = Env::new();
        env.declare("applicant.iin", Type::Iin);
        env.declare("applicant.name", Type::String);
        env.declare("applicant.age", Type::Int);
        env.declare("applicant.income", Type::Decimal);
        env.declare("applicant.birth_date", Type::Date);
        env.declare("applicant.email", Type::Email);
        env.declare("applicant.phone", Type::Phone);
        env.declare(
            "applicant.language",
            Type::Enum(vec!["kk".into(), "ru".into()]),
        );
        env.declare("applicant.children", Type::List(Box::new(Type::Map)));
        env.declare("applicant.tags", Type::List(Box::new(Type::String)));
        env.declare("person.rehabilitated", Type::Bool);
        env.declare("person.disability_group", Type::Int);
        env.declare("response", Type::Map);
        env.declare("extra", Type::Any);
        env
    }

    /// Checks `src` as a condition and asserts that one of the errors has `message`.
    /// The first argument of each table row is the whole test: adding a case is adding a row.
    fn check_err(src: &str, expected_message: &str) -> ExprError {
        check_err_as(src, Some(&Type::Bool), expected_message)
    }

    /// As [`check_err`], with the context's expected type given.
    fn check_err_as(src: &str, expected: Option<&Type>, expected_message: &str) -> ExprError {
        match check(src, &env(), expected) {
            Ok(e) => panic!("`{src}` passed, of type {}", e.ty()),
            Err(errors) => errors
                .iter()
                .find(|e| e.message.to_string() == expected_message)
                .cloned()
                .unwrap_or_else(|| panic!("`{src}`: wanted {expected_message:?}, got {errors:#?}")),
        }
    }

    /// Checks `src` and returns the result type, failing on any error.
    fn check_ok(src: &str, expected: Option<&Type>) -> Expr {
        check(src, &env(), expected).unwrap_or_else(|e| panic!("`{src}`: {e:#?}"))
    }

    #[test]
    fn errors_are_reported_with_a_clear_message() {
        // (source, message)
        let cases: &[(&str, &str)] = &[
            // syntax
            ("applicant.age >", "the expression ends too early"),
            ("applicant.age > 18)", "unexpected `)`"),
            ("applicant.name == \"abc", "cannot read `\"abc`"),
            ("", "the expression is empty"),
            ("has(applicant)", "has() takes a field"),
            // unknown variables and fields
            ("applicant.inn == \"1\"", "unknown variable `applicant.inn`"),
            ("applicnt.age > 1", "unknown variable `applicnt`"),
            ("has(applicant.emial)", "unknown variable `applicant.emial`"),
            (
                "applicant[\"inn\"] == \"1\"",
                "unknown variable `applicant.inn`",
            ),
            (
                "person.rehabilitated.x",
                "`person.rehabilitated` is a yes/no value and has no field `x`",
            ),
            // types of operators
            (
                "applicant.age > \"18\"",
                "cannot compare `applicant.age` (an integer) with `\"18\"` (a string)",
            ),
            (
                "person.rehabilitated && 1",
                "`&&` needs true or false on both sides, but `1` is an integer",
            ),
            (
                "!applicant.name",
                "`!` needs true or false, but `applicant.name` is a string",
            ),
            (
                "applicant.name * 2 > 1",
                "`*` needs numbers, but `applicant.name` is a string",
            ),
            (
                "applicant.name - \"a\" == \"\"",
                "`-` needs numbers, but `applicant.name` is a string",
            ),
            (
                "applicant.age + applicant.income > 1.0",
                "`+` cannot mix an integer (`applicant.age`) and a decimal number (`applicant.income`)",
            ),
            (
                "applicant.income % 2.0 > 1.0",
                "`%` needs integers, but `applicant.income` is a decimal number",
            ),
            (
                "-applicant.name == \"\"",
                "`-` needs a number, but `applicant.name` is a string",
            ),
            (
                "applicant.tags[\"a\"] == \"\"",
                "a list is indexed by an integer, but `\"a\"` is a string",
            ),
            (
                "applicant.name[0] == \"a\"",
                "`applicant.name` is a string and cannot be indexed",
            ),
            (
                "[1, \"a\"] == []",
                "the elements of a list must all have the same type, but `1` is an integer and `\"a\"` is a string",
            ),
            (
                "applicant.age > 1 ? \"a\" : 2",
                "both branches of `? :` must have the same type, but `\"a\"` is a string and `2` is an integer",
            ),
            (
                "applicant.name ? true : false",
                "the condition of `? :` must be true or false, but `applicant.name` is a string",
            ),
            ("applicant.email == null", "a value is never null"),
            // the expected type
            (
                "applicant.name",
                "condition must be true or false, but this is a string",
            ),
            (
                "applicant.age + 1",
                "condition must be true or false, but this is an integer",
            ),
            // enums
            (
                "applicant.language == \"en\"",
                "`en` is not one of the values of `applicant.language` (kk, ru)",
            ),
            (
                "\"EN\" != applicant.language",
                "`EN` is not one of the values of `applicant.language` (kk, ru)",
            ),
            (
                "applicant.language in [\"kk\", \"en\"]",
                "`en` is not one of the values of `applicant.language` (kk, ru)",
            ),
            // IIN literals
            (
                "applicant.iin == \"12345\"",
                "`12345` is not an IIN: an IIN has 12 digits",
            ),
            // dates
            (
                "applicant.birth_date > 5",
                "cannot compare `applicant.birth_date` (a date) with `5` (an integer)",
            ),
            (
                "applicant.birth_date < \"01.02.2000\"",
                "`01.02.2000` is not a date",
            ),
            (
                "applicant.birth_date < applicant.name",
                "cannot compare `applicant.birth_date` (a date) with `applicant.name` (a string)",
            ),
            (
                "applicant.birth_date < date(\"2026-02-30\")",
                "`2026-02-30` is not a date",
            ),
            (
                "applicant.birth_date + 1 > applicant.birth_date",
                "dates cannot be added to",
            ),
            // functions
            ("sise(applicant.name) > 1", "unknown function `sise`"),
            (
                "applicant.name.startswith(\"a\")",
                "unknown function `startswith`",
            ),
            (
                "size(applicant.age) > 1",
                "`size` needs a string, a list or an object, but `applicant.age` is an integer",
            ),
            (
                "applicant.name.contains(1)",
                "`contains` needs a string, but `1` is an integer",
            ),
            (
                "applicant.age.contains(\"1\")",
                "`contains` needs a string, but `applicant.age` is an integer",
            ),
            (
                "contains(applicant.name, \"a\")",
                "`contains` is written after the value",
            ),
            (
                "size(applicant.name, 1) > 0",
                "`size` takes 1 argument, but 2 are given",
            ),
            (
                "applicant.name.matches(\"[a-\")",
                "`[a-` is not a valid regular expression",
            ),
            ("int(\"abc\") > 0", "`abc` is not a whole number"),
            (
                "applicant.tags.exists(t, t)",
                "the condition of `exists` must be true or false, but `t` is a string",
            ),
            (
                "applicant.tags.all(t)",
                "`all` needs a name and a condition",
            ),
            (
                "applicant.age.exists(x, x > 1)",
                "`applicant.age` is an integer, not a list",
            ),
            (
                "applicant.children.filter(c, c.age > 1).size() > applicant.name",
                "cannot compare `applicant.children.filter(c, c.age > 1).size()` (an integer) with `applicant.name` (a string)",
            ),
            ("1u == 1", "unsigned numbers such as `1u` are not supported"),
            ("Foo{a: 1} == 1", "creating a `Foo` object is not supported"),
        ];
        for (src, message) in cases {
            check_err(src, message);
        }
    }

    #[test]
    fn mappings_are_checked_against_the_target_type() {
        let lang = Type::Enum(vec!["kk".into(), "ru".into()]);
        // (source, target type, message)
        let cases: &[(&str, Type, &str)] = &[
            (
                "applicant.name",
                Type::Int,
                "the value must be an integer, but this is a string",
            ),
            (
                "applicant.income",
                Type::Int,
                "the value must be an integer, but this is a decimal number",
            ),
            (
                "\"en\"",
                lang.clone(),
                "`en` is not one of the allowed values (kk, ru)",
            ),
            (
                "applicant.age > 1 ? \"kk\" : \"en\"",
                lang.clone(),
                "`en` is not one of the allowed values (kk, ru)",
            ),
            (
                "applicant.name",
                Type::Date,
                "the value must be a date, but this is a string",
            ),
            ("\"2026-13-01\"", Type::Date, "`2026-13-01` is not a date"),
            (
                "applicant.phone",
                Type::Iin,
                "the value must be an IIN, but this is a phone number",
            ),
            (
                "[\"kk\", \"de\"]",
                Type::List(Box::new(lang.clone())),
                "`de` is not one of the allowed values (kk, ru)",
            ),
            (
                "applicant.tags",
                Type::List(Box::new(Type::Int)),
                "the value must be a list of integers, but this is a list of strings",
            ),
        ];
        for (src, ty, message) in cases {
            check_err_as(src, Some(ty), message);
        }
    }

    #[test]
    fn hints_suggest_the_closest_name() {
        // (source, message, hint)
        let cases: &[(&str, &str, &str)] = &[
            (
                "applicant.inn == \"1\"",
                "unknown variable `applicant.inn`",
                "did you mean `applicant.iin`?",
            ),
            (
                "applicnt.age > 1",
                "unknown variable `applicnt`",
                "did you mean `applicant`?",
            ),
            (
                "sise(applicant.name) > 1",
                "unknown function `sise`",
                "did you mean `size`?",
            ),
            (
                "applicant.name.startswith(\"a\")",
                "unknown function `startswith`",
                "did you mean `startsWith`?",
            ),
            (
                "applicant.language == \"ry\"",
                "`ry` is not one of the values of `applicant.language` (kk, ru)",
                "did you mean `ru`?",
            ),
            (
                "applicant.age > \"18\"",
                "cannot compare `applicant.age` (an integer) with `\"18\"` (a string)",
                "remove the quotes: `18`",
            ),
            (
                "applicant.birth_date < \"01.02.2000\"",
                "`01.02.2000` is not a date",
                "write dates as YYYY-MM-DD: `2000-02-01`",
            ),
            (
                "applicant.email == null",
                "a value is never null",
                "to test whether `applicant.email` is filled in, write `has(applicant.email)`",
            ),
            (
                "applicant.zzz == 1",
                "unknown variable `applicant.zzz`",
                "`applicant` has: age, birth_date, children, email, iin, income, language, name, phone, tags",
            ),
        ];
        for (src, message, hint) in cases {
            let e = check_err(src, message);
            assert_eq!(
                e.hint.as_ref().map(ToString::to_string).as_deref(),
                Some(*hint),
                "{src}"
            );
        }
    }

    #[test]
    fn errors_point_at_the_offending_text() {
        // (source, message, the text at the error's offset)
        let cases: &[(&str, &str, &str)] = &[
            (
                "applicant.inn == \"1\"",
                "unknown variable `applicant.inn`",
                "inn",
            ),
            (
                "has(applicant.emial)",
                "unknown variable `applicant.emial`",
                "emial",
            ),
            (
                "\"Қазақ\" == applicant . inn",
                "unknown variable `applicant.inn`",
                "inn",
            ),
            (
                "applicnt.age > 1",
                "unknown variable `applicnt`",
                "applicnt",
            ),
            (
                "applicant.language == \"en\"",
                "`en` is not one of the values of `applicant.language` (kk, ru)",
                "\"en\"",
            ),
            (
                "person.rehabilitated && 1",
                "`&&` needs true or false on both sides, but `1` is an integer",
                "1",
            ),
            ("applicant.age > 18)", "unexpected `)`", ")"),
            (
                "\"Қ\" == \"Қ\" &&\n sise(1) > 0",
                "unknown function `sise`",
                "sise",
            ),
            (
                "applicant.name.lenght() > 1",
                "unknown function `lenght`",
                "lenght",
            ),
        ];
        for (src, message, at) in cases {
            let e = check_err(src, message);
            let rest: String = src.chars().skip(e.offset).collect();
            assert!(
                rest.starts_with(at),
                "`{src}`: offset {} is at {rest:?}",
                e.offset
            );
        }
    }

    #[test]
    fn valid_expressions_pass_with_their_type() {
        // (source, inferred type)
        let cases: &[(&str, Type)] = &[
            ("applicant.age >= 18 && person.rehabilitated", Type::Bool),
            ("applicant.age > 1.5", Type::Bool),
            ("applicant.income * 2.0", Type::Decimal),
            ("applicant.age + 1", Type::Int),
            ("double(applicant.age) + applicant.income", Type::Decimal),
            (
                "applicant.language == \"kk\" || applicant.language in [\"ru\"]",
                Type::Bool,
            ),
            ("applicant.birth_date < date(\"2008-01-01\")", Type::Bool),
            ("applicant.birth_date <= \"2008-01-01\"", Type::Bool),
            ("date(response.birth_date)", Type::Date),
            (
                "applicant.iin.startsWith(\"9\") && applicant.name.contains(\"a\")",
                Type::Bool,
            ),
            (
                "applicant.email.endsWith(\"@gov.kz\") && applicant.phone.matches(\"^\\\\+7\")",
                Type::Bool,
            ),
            (
                "size(applicant.name) > 0 && applicant.tags.size() > 0",
                Type::Bool,
            ),
            (
                "has(applicant.email) ? applicant.email : \"none\"",
                Type::String,
            ),
            ("applicant.children.exists(c, c.age < 3)", Type::Bool),
            ("applicant.children.all(c, has(c.iin))", Type::Bool),
            ("applicant.tags.exists_one(t, t == \"x\")", Type::Bool),
            (
                "applicant.tags.map(t, size(t))",
                Type::List(Box::new(Type::Int)),
            ),
            (
                "applicant.tags.filter(t, t.startsWith(\"a\"))",
                Type::List(Box::new(Type::String)),
            ),
            ("response.anything.deep == 1", Type::Bool),
            ("extra", Type::Any),
            ("dyn(applicant.name) == 1", Type::Bool),
            ("string(applicant.age) + \" years\"", Type::String),
            ("int(\"42\") + int(applicant.income)", Type::Int),
            ("applicant", Type::Map),
            (
                "{\"name\": applicant.name, \"age\": applicant.age}",
                Type::Map,
            ),
            (
                "[applicant.iin, applicant.name]",
                Type::List(Box::new(Type::String)),
            ),
            ("applicant[\"iin\"]", Type::Iin),
            ("applicant.tags[0]", Type::String),
            ("\"kk\" in applicant.tags", Type::Bool),
            ("!person.rehabilitated", Type::Bool),
            ("bool(\"true\")", Type::Bool),
        ];
        for (src, ty) in cases {
            assert_eq!(check_ok(src, None).ty(), ty, "{src}");
        }
    }

    #[test]
    fn mappings_accept_compatible_values() {
        let lang = Type::Enum(vec!["kk".into(), "ru".into()]);
        // (source, target type)
        let cases: &[(&str, Type)] = &[
            ("applicant.age", Type::Decimal),
            ("\"kk\"", lang.clone()),
            ("response.lang", lang.clone()),
            ("applicant.name", lang.clone()),
            ("\"2026-01-01\"", Type::Date),
            ("date(response.date)", Type::Date),
            ("applicant.name", Type::Iin),
            ("applicant.birth_date", Type::String),
            ("[\"kk\"]", Type::List(Box::new(lang.clone()))),
            (
                "applicant.tags.map(t, size(t))",
                Type::List(Box::new(Type::Decimal)),
            ),
            ("response", Type::Map),
            ("applicant", Type::Map),
            ("extra", Type::Bool),
        ];
        for (src, ty) in cases {
            check_ok(src, Some(ty));
        }
    }

    #[test]
    fn variables_lists_the_names_read() {
        let e = check_ok(
            "applicant.age > 1 && has(applicant.email) && applicant.children.exists(c, c.age > 1) && response.x.y == 1",
            None,
        );
        assert_eq!(
            e.variables(),
            [
                "applicant.age",
                "applicant.children",
                "applicant.email",
                "response"
            ]
        );
        assert_eq!(check_ok("applicant", None).variables(), ["applicant"]);
    }

    #[test]
    fn an_env_copy_with_one_more_variable_leaves_the_original() {
        let env = env();
        let with = env.with("response.name", Type::String);
        assert!(check("response.name == \"a\"", &with, Some(&Type::Bool)).is_ok());
        assert_eq!(with.get("response.name"), Some(&Type::String));
        assert_eq!(env.get("response.name"), None);
        // `response` is declared as a map and has a declared field: both kinds of read work.
        assert!(check("response.other == 1", &with, None).is_ok());
    }

    #[test]
    fn several_errors_are_reported_at_once() {
        let errors = check(
            "applicant.inn == \"1\" && applicant.agee > 1",
            &env(),
            Some(&Type::Bool),
        )
        .unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:#?}");
        assert!(errors[0].offset < errors[1].offset);
    }

    /// `(source, data, result)`: one row per behaviour of the interpreter we rely on.
    #[test]
    fn eval_computes_the_values() {
        let data = json!({
            "applicant": {
                "iin": "900101300123",
                "name": "Айгерім",
                "age": 34,
                "income": 150000,
                "birth_date": "1990-01-01",
                "email": null,
                "language": "kk",
                "children": [{"age": 2, "iin": "230101500123"}, {"age": 7}],
                "tags": ["a", "bc"]
            },
            "person": {"rehabilitated": false, "disability_group": 2},
            "response": {"birth_date": "2001-02-03", "nested": {"x": [1, 2.5]}}
        });
        let cases: &[(&str, serde_json::Value)] = &[
            ("applicant.age >= 18 && !person.rehabilitated", json!(true)),
            ("applicant.income * 1.5", json!(225000.0)),
            ("applicant.income > 100", json!(true)),
            ("applicant.age + 1", json!(35)),
            ("applicant.name + \"!\"", json!("Айгерім!")),
            ("size(applicant.name)", json!(7)),
            ("applicant.birth_date < date(\"2000-01-01\")", json!(true)),
            ("applicant.birth_date < \"1989-12-31\"", json!(false)),
            (
                "date(response.birth_date) > applicant.birth_date",
                json!(true),
            ),
            ("date(\"2026-01-01\")", json!("2026-01-01")),
            ("has(applicant.email)", json!(false)),
            ("has(applicant.iin)", json!(true)),
            ("has(applicant.phone)", json!(false)),
            ("applicant.children.exists(c, c.age < 3)", json!(true)),
            ("applicant.children.filter(c, has(c.iin)).size()", json!(1)),
            ("applicant.tags.map(t, size(t))", json!([1, 2])),
            ("applicant.language in [\"kk\", \"ru\"]", json!(true)),
            (
                "person.disability_group == 2 ? \"II\" : \"other\"",
                json!("II"),
            ),
            ("response.nested", json!({"x": [1, 2.5]})),
            (
                "{\"b\": 1, \"a\": [applicant.age]}",
                json!({"a": [34], "b": 1}),
            ),
            ("applicant.iin.startsWith(\"90\")", json!(true)),
            ("applicant.tags[1]", json!("bc")),
            ("string(applicant.age)", json!("34")),
        ];
        for (src, want) in cases {
            let e = check_ok(src, None);
            assert_eq!(eval(&e, &data).as_ref(), Ok(want), "{src}");
        }
    }

    #[test]
    fn eval_reports_problems_with_the_data() {
        let e = check_ok("applicant.phone == \"1\"", None);
        assert_eq!(
            eval(&e, &json!({"applicant": {}})),
            Err(EvalError::Missing("phone".into()))
        );
        let e = check_ok("person.rehabilitated", None);
        // A group absent altogether is an empty object, so has() works on it...
        let has = check_ok("has(person.rehabilitated)", None);
        assert_eq!(eval(&has, &json!({})), Ok(json!(false)));
        // ...but reading a field of it is still a missing value.
        assert!(matches!(eval(&e, &json!({})), Err(EvalError::Missing(_))));
        assert_eq!(
            eval(&e, &json!([])),
            Err(EvalError::NotAnObject("an array"))
        );

        let e = check_ok("applicant.birth_date < date(\"2000-01-01\")", None);
        assert_eq!(
            eval(&e, &json!({"applicant": {"birth_date": "01.01.1990"}})),
            Err(EvalError::BadData {
                name: "applicant.birth_date".into(),
                expected: "a date".into(),
                found: "a string".into(),
            })
        );
        let e = check_ok("applicant.age > 1", None);
        assert!(matches!(
            eval(&e, &json!({"applicant": {"age": "34"}})),
            Err(EvalError::BadData { .. })
        ));
        let e = check_ok("date(response.d)", None);
        assert!(matches!(
            eval(&e, &json!({"response": {"d": "2026-02-30"}})),
            Err(EvalError::Failed(_))
        ));
        let e = check_ok("applicant.age / 0", None);
        assert!(matches!(
            eval(&e, &json!({"applicant": {"age": 1}})),
            Err(EvalError::Failed(_))
        ));
        // Decimals are exact: dividing by zero is the same error as for integers, not an
        // infinity that cannot be stored.
        let e = check_ok("applicant.income / 0.0", None);
        assert_eq!(
            eval(&e, &json!({"applicant": {"income": 1}})),
            Err(EvalError::Failed("division by zero".into()))
        );
    }

    /// The environment of [`env`] with amounts of money.
    fn money_env() -> Env {
        let mut env = env();
        env.declare("payment.amount", Type::Money);
        env.declare("payment.paid", Type::Money);
        env.declare("payment.rate", Type::Decimal);
        env.declare("payment.months", Type::Int);
        env
    }

    /// `(source, data, result)`: decimals and money compute exactly, money rounds to the tiyn
    /// half away from zero, and money is kept as its canonical text.
    #[test]
    fn decimals_and_money_compute_exactly() {
        let data = json!({
            "applicant": {"income": 1000000.10, "age": 3},
            "payment": {"amount": "1850000.50", "paid": 432500, "rate": 0.015, "months": 3}
        });
        let cases: &[(&str, serde_json::Value)] = &[
            ("applicant.income - 999999.90", json!(0.2)),
            ("applicant.income - 999999.90 == 0.2", json!(true)),
            ("0.1 + 0.2 == 0.3", json!(true)),
            ("payment.amount + payment.paid", json!("2282500.50")),
            ("payment.amount - payment.paid", json!("1417500.50")),
            ("payment.amount * payment.rate", json!("27750.01")),
            ("payment.amount * payment.months", json!("5550001.50")),
            ("payment.amount / 3", json!("616666.83")),
            ("payment.amount / payment.paid > 4.2", json!(true)),
            ("money(\"0.01\") * 0.5", json!("0.01")),
            ("money(\"-0.01\") * 0.5", json!("-0.01")),
            ("payment.amount > 1000000", json!(true)),
            ("payment.paid == 432500", json!(true)),
            ("payment.paid == money(\"432 500,00\")", json!(true)),
            ("payment.paid in [432500, 1]", json!(true)),
            ("-payment.paid", json!("-432500.00")),
            ("string(payment.paid)", json!("432500.00")),
            ("int(payment.amount)", json!(1850000)),
            ("double(payment.amount) * 2.0", json!(3700001.0)),
            ("money(payment.rate)", json!("0.02")),
            (
                "payment.months > 2 ? payment.amount : 0",
                json!("1850000.50"),
            ),
            ("payment.months > 5 ? payment.amount : 0", json!("0.00")),
        ];
        for (src, want) in cases {
            let e = check(src, &money_env(), None).unwrap_or_else(|e| panic!("`{src}`: {e:#?}"));
            assert_eq!(eval(&e, &data).as_ref(), Ok(want), "{src}");
        }
        // A whole number written for a money field is kept as money.
        let e = check("432500", &money_env(), Some(&Type::Money)).unwrap();
        assert_eq!(eval(&e, &data), Ok(json!("432500.00")));
        // Data that is not an amount is refused as any other mistyped datum.
        let e = check("payment.amount > 1", &money_env(), None).unwrap();
        assert!(matches!(
            eval(&e, &json!({"payment": {"amount": "много"}})),
            Err(EvalError::BadData { .. })
        ));
    }

    #[test]
    fn money_mixes_only_with_money_and_numbers_written_out() {
        // (source, expected type, message, hint)
        let cases: &[(&str, Option<Type>, &str, Option<&str>)] = &[
            (
                "payment.amount + payment.rate",
                None,
                "`+` cannot mix an amount of money (`payment.amount`) and a decimal number (`payment.rate`)",
                Some("turn the number into money with money(payment.rate)"),
            ),
            (
                "payment.amount > payment.rate",
                Some(Type::Bool),
                "cannot compare `payment.amount` (an amount of money) with `payment.rate` (a decimal number)",
                Some("turn the number into money with money(payment.rate)"),
            ),
            (
                "payment.amount * payment.paid",
                None,
                "two amounts of money cannot be multiplied",
                Some("multiply an amount by a number: `amount * 2` or `amount * 0.5`"),
            ),
            (
                "payment.rate",
                Some(Type::Money),
                "the value must be an amount of money, but this is a decimal number",
                Some("turn the number into money with money(…)"),
            ),
            (
                "1.505",
                Some(Type::Money),
                "the value must be an amount of money, but this is a decimal number",
                Some("an amount has at most two digits of tiyn"),
            ),
            (
                "payment.amount % 2",
                None,
                "`%` needs integers, but `payment.amount` is an amount of money",
                None,
            ),
            (
                "money(\"1 000 тг\")",
                None,
                "`1 000 тг` is not a number: write digits, with a comma or a dot before the fraction",
                Some("write an amount such as money(\"1850000.50\")"),
            ),
        ];
        for (src, expected, message, hint) in cases {
            let errors = check(src, &money_env(), expected.as_ref())
                .err()
                .unwrap_or_else(|| panic!("`{src}` passed"));
            let found = errors
                .iter()
                .find(|e| e.message.to_string() == *message)
                .unwrap_or_else(|| panic!("`{src}`: wanted {message:?}, got {errors:#?}"));
            assert_eq!(
                found.hint.as_ref().map(ToString::to_string).as_deref(),
                *hint,
                "{src}"
            );
        }
        for (src, ty) in [
            ("payment.amount - payment.paid", Type::Money),
            ("payment.amount * 0.5", Type::Money),
            ("payment.amount / payment.paid", Type::Decimal),
            ("money(\"1850000.50\")", Type::Money),
            ("payment.amount + 100", Type::Money),
        ] {
            let e = check(src, &money_env(), None).unwrap_or_else(|e| panic!("`{src}`: {e:#?}"));
            assert_eq!(e.ty(), &ty, "{src}");
        }
    }

    /// `(source, the optional names it reads unprotected, in order)`: the reads a `has()`
    /// that must have held protects, and the ones it does not.
    #[test]
    fn reads_of_optional_names_need_a_has_that_held() {
        let optional: BTreeSet<String> = ["response.middle_name", "response.date"]
            .into_iter()
            .map(String::from)
            .collect();
        let m = "response.middle_name";
        let cases: &[(&str, &[&str])] = &[
            ("response.middle_name", &[m]),
            ("response.last_name + ' ' + response.middle_name", &[m]),
            ("size(response.middle_name) > 0", &[m]),
            ("response[\"middle_name\"]", &[m]),
            ("response.last_name", &[]),
            ("has(response.middle_name)", &[]),
            ("has(response.middle_name) ? response.middle_name : ''", &[]),
            (
                "has(response.middle_name) ? '' : response.middle_name",
                &[m],
            ),
            (
                "!has(response.middle_name) ? '' : response.middle_name",
                &[],
            ),
            (
                "has(response.middle_name) && response.middle_name != ''",
                &[],
            ),
            // CEL: `error && false` is false, so a test after the read protects it too.
            (
                "response.middle_name != '' && has(response.middle_name)",
                &[],
            ),
            (
                "has(response.middle_name) || response.middle_name == ''",
                &[m],
            ),
            (
                "!has(response.middle_name) || response.middle_name == ''",
                &[],
            ),
            (
                "has(response.middle_name) && response.middle_name != '' ? response.last_name + ' ' + response.middle_name : response.last_name",
                &[],
            ),
            (
                "has(response.date) && has(response.middle_name) ? response.middle_name : ''",
                &[],
            ),
            (
                "has(response.date) || has(response.middle_name) ? response.middle_name : ''",
                &[m],
            ),
            (
                "has(response.date) ? response.middle_name : response.date",
                &[m, "response.date"],
            ),
            // A comprehension's variable is not the answer.
            ("[1].exists(response, response == 1)", &[]),
        ];
        // The interpreter agrees: what is called protected evaluates whichever of the
        // optional fields the answer has.
        let answers = [
            json!({"response": {"last_name": "Ли"}}),
            json!({"response": {"last_name": "Ли", "middle_name": "Ким"}}),
            json!({"response": {"last_name": "Ли", "date": "2026-01-01"}}),
            json!({"response": {"last_name": "Ли", "middle_name": "Ким", "date": "2026-01-01"}}),
        ];
        for (src, want) in cases {
            let e = check_ok(src, None);
            let reads = e.unguarded_reads(&optional);
            let names: Vec<&str> = reads.iter().map(|r| r.name.as_str()).collect();
            assert_eq!(&names, want, "{src}");
            if want.is_empty() {
                for answer in &answers {
                    assert!(eval(&e, answer).is_ok(), "{src} on {answer}");
                }
            }
        }
        let src = "'x' + response.middle_name";
        let read = &check_ok(src, None).unguarded_reads(&optional)[0];
        let rest: String = src.chars().skip(read.offset).collect();
        assert_eq!(rest, "middle_name", "the offset points at the field");
    }

    #[test]
    fn a_value_that_may_be_null_may_leave_its_target_unset() {
        // (source, whether it may be null)
        let cases: &[(&str, bool)] = &[
            ("null", true),
            ("has(response.x) ? response.x : null", true),
            ("has(response.x) ? response.x : ''", false),
            ("applicant.name", false),
            ("'a'", false),
        ];
        for (src, want) in cases {
            assert_eq!(check_ok(src, None).may_be_absent(), *want, "{src}");
        }
    }

    #[test]
    fn a_condition_shows_what_it_tested_present() {
        // (source, shown present when true, when false)
        let cases: &[(&str, &[&str], &[&str])] = &[
            (
                "has(applicant.email) && applicant.age > 1",
                &["applicant.email"],
                &[],
            ),
            ("!has(applicant.email)", &[], &["applicant.email"]),
            ("has(applicant.email) || has(applicant.phone)", &[], &[]),
            (
                "!has(applicant.email) || !has(applicant.phone)",
                &[],
                &["applicant.email", "applicant.phone"],
            ),
            ("applicant.age > 1", &[], &[]),
        ];
        for (src, when_true, when_false) in cases {
            let e = check_ok(src, Some(&Type::Bool));
            let t: Vec<String> = e.shows_present(true).into_iter().collect();
            let f: Vec<String> = e.shows_present(false).into_iter().collect();
            assert_eq!(t, *when_true, "{src} true");
            assert_eq!(f, *when_false, "{src} false");
        }
    }

    #[test]
    fn an_expr_can_be_shared_between_threads() {
        fn shareable<T: Send + Sync + Clone>() {}
        shareable::<Expr>();
        shareable::<Env>();
    }

    /// Odd inputs produce errors, never a panic or a stack overflow.
    #[test]
    fn no_input_panics() {
        let tokens = [
            "a",
            "applicant",
            ".",
            "iin",
            "(",
            ")",
            "[",
            "]",
            "{",
            "}",
            ",",
            ":",
            "?",
            "!",
            "-",
            "+",
            "*",
            "%",
            "&&",
            "||",
            "==",
            "<",
            "in",
            "has",
            "map",
            "all",
            "exists",
            "filter",
            "exists_one",
            "size",
            "date",
            "int",
            "1",
            "1u",
            "2.5",
            "'x'",
            "\"",
            "'",
            "b'",
            "`",
            "@",
            "\\",
            "true",
            "null",
            " ",
            "\n",
            "Қ",
            "?.",
            "0x",
            "1e",
            "r'",
            "'''",
            "\u{0}",
            "c",
            "response",
            "extra",
            "person",
        ];
        let env = env();
        let data = json!({"applicant": {"iin": "1", "age": 1}, "response": {"a": [1]}, "extra": 1});
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..20_000 {
            let n = (next() % 14) as usize;
            let src: String = (0..n)
                .map(|_| tokens[(next() % tokens.len() as u64) as usize])
                .collect();
            for expected in [None, Some(&Type::Bool)] {
                if let Ok(e) = check(&src, &env, expected) {
                    let _ = eval(&e, &data);
                }
            }
        }
        for src in [
            "1".repeat(5000),
            vec!["1"; 2047].join("+"),
            format!("{}1{}", "(".repeat(300), ")".repeat(300)),
            format!("{}true", "!".repeat(3000)),
            format!("applicant{}", ".iin".repeat(800)),
            format!("{}1{}", "[".repeat(300), "]".repeat(300)),
            format!("{}1", "-".repeat(3000)),
            "[1].map(x, [1].map(y, [1].map(z, [1].map(w, [x, y, z, w]))))".to_string(),
        ] {
            let _ = check(&src, &env, None);
        }
    }
}
