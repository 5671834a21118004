//! The type checker: walks the tree the `cel` parser produced and infers a type for every node.
//!
//! The `cel` crate declares overloads by argument type for dispatch at run time, but has no
//! result types and no checker, so this is written against its AST (`cel::common::ast`).
//! Operators are calls named `_==_`, `_&&_`, `!_`, `_?_:_`, `@in`, `_[_]`; the macros `has`,
//! `all`, `exists`, `exists_one`, `map` and `filter` arrive already expanded into a presence
//! test (`Select` with `test`) or a `Comprehension` whose accumulator is named `@result`.
//!
//! **Architecture Invariant:** the checker never gives up at the first problem. A node with an
//! error gets [`Type::Any`], which is accepted everywhere, so one mistake gives one message and
//! the rest of the expression is still checked.

use std::collections::{BTreeSet, HashMap};

use cel::common::ast::{
    CallExpr, ComprehensionExpr, EntryExpr, Expr as Node, IdedExpr, ListExpr, LiteralValue,
    MapExpr, SelectExpr, operators as op,
};

use super::{Env, ExprError, Type};
use crate::definition::messages::Msg;
use crate::diagnostic::did_you_mean;
use crate::msg;

/// Deeper trees are refused: each level is a stack frame here and in the interpreter.
const MAX_DEPTH: usize = 200;

/// The functions the checker knows, for "did you mean" hints. The macros are listed too,
/// since a misspelt `exsits` is a call to an unknown function.
const FUNCTIONS: &[&str] = &[
    "size",
    "contains",
    "startsWith",
    "endsWith",
    "matches",
    "int",
    "double",
    "string",
    "bool",
    "date",
    "dyn",
    "has",
    "money",
    "all",
    "exists",
    "exists_one",
    "map",
    "filter",
];

/// What the checker knows about the value of a node.
#[derive(Debug, Clone, PartialEq)]
enum Ty {
    /// A value of a declared type; [`Type::Any`] when unknown.
    Data(Type),
    /// A declared prefix such as `applicant`: an object whose fields are the names declared
    /// below it. `open` when the prefix itself is declared as a map (or any), so fields that
    /// are not declared may be read too.
    Object { path: String, open: bool },
    /// The `null` literal.
    Null,
}

/// Unknown, or already reported: accepted everywhere.
const ANY: Ty = Ty::Data(Type::Any);

impl Ty {
    /// The type as the rest of the engine sees it.
    fn public(&self) -> Type {
        match self {
            Ty::Data(ty) => ty.clone(),
            Ty::Object { .. } => Type::Map,
            Ty::Null => Type::Any,
        }
    }

    /// With an article, for messages, in the methodologist's language.
    fn describe(&self) -> Msg {
        match self {
            Ty::Data(ty) => ty.describe_msg(),
            Ty::Object { .. } => msg!("expr.type.map"),
            Ty::Null => msg!("expr.type.null"),
        }
    }

    /// The declared type, when it is one (not an object prefix or null).
    fn data(&self) -> Option<&Type> {
        match self {
            Ty::Data(ty) => Some(ty),
            _ => None,
        }
    }

    /// Unknown: every check passes.
    fn is_any(&self) -> bool {
        matches!(self, Ty::Data(Type::Any))
    }

    /// Text at run time, dates excluded (see [`Type::is_text`]).
    fn is_text(&self) -> bool {
        self.data().is_some_and(Type::is_text)
    }

    /// An integer or a decimal.
    fn is_number(&self) -> bool {
        self.data().is_some_and(Type::is_number)
    }

    /// An amount of money.
    fn is_money(&self) -> bool {
        matches!(self, Ty::Data(Type::Money))
    }

    /// An object at run time: a declared prefix or a map.
    fn is_object(&self) -> bool {
        matches!(self, Ty::Object { .. } | Ty::Data(Type::Map))
    }
}

/// A checked operand, with what messages about it need.
struct Operand<'e> {
    /// Where it is written, and whether it is a literal (enum and date checks look at that).
    node: &'e IdedExpr,
    /// Its inferred type.
    ty: Ty,
    /// The declared name it denotes (`applicant.age`), to name it in messages.
    path: Option<String>,
}

/// What a successful check yields.
pub(super) struct Outcome {
    /// The type of the result.
    pub ty: Type,
    /// The dotted names read, sorted.
    pub variables: Vec<String>,
    /// The type inferred for each node, by id: which operations run on exact numbers.
    pub types: HashMap<u64, Type>,
}

impl Outcome {
    /// The top-level variables read (`applicant` for `applicant.iin`), for eval to bind.
    pub fn roots(&self) -> BTreeSet<&str> {
        self.variables
            .iter()
            .map(|v| v.split('.').next().unwrap_or(v))
            .collect()
    }
}

/// Type-checks a parsed program; see [`super::check`].
pub(super) fn check(
    program: &cel::Program,
    source: &str,
    env: &Env,
    expected: Option<&Type>,
) -> Result<Outcome, Vec<ExprError>> {
    let mut checker = Checker {
        env,
        source,
        info: program.source_info(),
        errors: Vec::new(),
        locals: Vec::new(),
        macros: Vec::new(),
        reads: BTreeSet::new(),
        types: HashMap::new(),
        depth: 0,
        too_deep: false,
    };
    let root = program.expression();
    let ty = checker.check(root);
    if let Some(expected) = expected
        && !checker.too_deep
    {
        checker.expect(root, &ty, expected);
    }
    let mut errors = checker.errors;
    if errors.is_empty() {
        return Ok(Outcome {
            ty: ty.public(),
            variables: checker.reads.into_iter().collect(),
            types: checker
                .types
                .iter()
                .map(|(id, ty)| (*id, ty.public()))
                .collect(),
        });
    }
    errors.sort_by_key(|e| (e.offset, e.message.to_string()));
    errors.dedup();
    Err(errors)
}

/// The state of one walk over one expression.
struct Checker<'a> {
    /// The declared variables.
    env: &'a Env,
    /// The expression text, for positions and quotes in messages.
    source: &'a str,
    /// Where each node was written (byte offsets, by node id).
    info: &'a cel::common::ast::SourceInfo,
    /// The problems found so far.
    errors: Vec<ExprError>,
    /// The variables of the enclosing comprehensions, innermost last.
    locals: Vec<(String, Ty)>,
    /// The macros (`exists`, `filter`…) being checked, innermost last, for messages.
    macros: Vec<String>,
    /// The declared names read.
    reads: BTreeSet<String>,
    /// The type inferred for each node, by id: how `map` learns its element type.
    types: HashMap<u64, Ty>,
    /// How deep the walk is now.
    depth: usize,
    /// Whether the walk stopped at [`MAX_DEPTH`].
    too_deep: bool,
}

// Walking the tree.
impl<'e> Checker<'_> {
    /// Checks a node whose value is used as a whole: a declared name it denotes counts as read.
    fn check(&mut self, node: &'e IdedExpr) -> Ty {
        self.operand(node).ty
    }

    /// Checks a node, recording the declared name it denotes as read, and returns both.
    fn operand(&mut self, node: &'e IdedExpr) -> Operand<'e> {
        let (ty, path) = self.check_path(node);
        if let Some(path) = &path {
            self.reads.insert(path.clone());
        }
        Operand { node, ty, path }
    }

    /// Checks a node and returns the declared name it denotes without recording it, so that
    /// `applicant.iin` reads `applicant.iin`, not also `applicant`.
    fn check_path(&mut self, node: &'e IdedExpr) -> (Ty, Option<String>) {
        if self.depth >= MAX_DEPTH {
            if !self.too_deep {
                self.too_deep = true;
                self.errors.push(
                    ExprError::new(0, msg!("expr.too_deep"))
                        .with_hint(Some(msg!("expr.hint.split"))),
                );
            }
            return (ANY, None);
        }
        self.depth += 1;
        let (ty, path) = match &node.expr {
            Node::Literal(literal) => (self.literal(node, literal), None),
            Node::Ident(name) => self.ident(node, name),
            Node::Select(select) if select.test => (self.has(node, select), None),
            Node::Select(select) => {
                let (operand, path) = self.check_path(&select.operand);
                let at = self.field_offset(node, &select.operand, &select.field);
                self.field(at, &select.operand, operand, path, &select.field)
            }
            Node::Call(call) => (self.call(node, call), None),
            Node::List(list) => (self.list(list), None),
            Node::Map(map) => (self.map(map), None),
            Node::Struct(s) => {
                self.error(
                    self.offset(node),
                    msg!("expr.no_struct", name = s.type_name),
                    Some(msg!("expr.hint.map_instead")),
                );
                (ANY, None)
            }
            Node::Comprehension(c) => (self.comprehension(node, c), None),
            Node::Unspecified => (ANY, None),
        };
        self.depth -= 1;
        self.types.insert(node.id, ty.clone());
        (ty, path)
    }

    fn literal(&mut self, node: &IdedExpr, literal: &LiteralValue) -> Ty {
        match literal {
            LiteralValue::Boolean(_) => Ty::Data(Type::Bool),
            LiteralValue::Int(_) => Ty::Data(Type::Int),
            LiteralValue::Double(_) => Ty::Data(Type::Decimal),
            LiteralValue::String(_) => Ty::Data(Type::String),
            LiteralValue::Null => Ty::Null,
            LiteralValue::UInt(_) => {
                self.error(
                    self.offset(node),
                    msg!("expr.no_unsigned"),
                    Some(msg!("expr.hint.remove_u")),
                );
                ANY
            }
            LiteralValue::Bytes(_) => {
                self.error(
                    self.offset(node),
                    msg!("expr.no_bytes"),
                    Some(msg!("expr.hint.remove_b")),
                );
                ANY
            }
        }
    }

    fn ident(&mut self, node: &IdedExpr, name: &str) -> (Ty, Option<String>) {
        if let Some((_, ty)) = self.locals.iter().rev().find(|(local, _)| local == name) {
            return (ty.clone(), None);
        }
        if let Some(ty) = self.declared(name) {
            return (ty, Some(name.to_string()));
        }
        let roots: BTreeSet<String> = self
            .env
            .known_paths()
            .into_iter()
            .filter(|p| !p.contains('.'))
            .chain(self.locals.iter().map(|(local, _)| local.clone()))
            .filter(|p| !p.starts_with('@'))
            .collect();
        let hint = suggest(name, roots.iter().map(String::as_str)).or_else(|| {
            (!roots.is_empty() && roots.len() <= 12).then(|| {
                let names: Vec<&str> = roots.iter().map(String::as_str).collect();
                msg!("expr.hint.variables", names = names.join(", "))
            })
        });
        self.error(
            self.offset(node),
            msg!("expr.unknown_variable", name = name),
            hint,
        );
        (ANY, None)
    }

    /// The type of a declared name or prefix.
    fn declared(&self, path: &str) -> Option<Ty> {
        let declared = self.env.get(path);
        if self.env.is_prefix(path) {
            let open = matches!(declared, Some(Type::Map | Type::Any));
            return Some(Ty::Object {
                path: path.to_string(),
                open,
            });
        }
        declared.map(|ty| Ty::Data(ty.clone()))
    }

    /// `operand.field` (or `operand["field"]`), with the field written at char offset `at`.
    fn field(
        &mut self,
        at: usize,
        operand_node: &IdedExpr,
        operand: Ty,
        path: Option<String>,
        field: &str,
    ) -> (Ty, Option<String>) {
        match operand {
            Ty::Object { path: prefix, open } => {
                let full = format!("{prefix}.{field}");
                if let Some(ty) = self.declared(&full) {
                    return (ty, Some(full));
                }
                if open {
                    self.reads.insert(prefix);
                } else {
                    self.unknown_field(at, &prefix, field);
                }
                (ANY, None)
            }
            Ty::Data(Type::Map | Type::Any) => {
                if let Some(path) = path {
                    self.reads.insert(path);
                }
                (ANY, None)
            }
            other => {
                let name = self.name(operand_node, path.as_deref());
                if let Some(path) = path {
                    self.reads.insert(path);
                }
                self.error(
                    at,
                    msg!("expr.no_field", name = name, field = field)
                        .with_msg("ty", other.describe()),
                    None,
                );
                (ANY, None)
            }
        }
    }

    fn unknown_field(&mut self, at: usize, prefix: &str, field: &str) {
        let full = format!("{prefix}.{field}");
        let depth = full.split('.').count();
        let siblings: Vec<String> = self
            .env
            .known_paths()
            .into_iter()
            .filter(|p| p.split('.').count() == depth && p.starts_with(&format!("{prefix}.")))
            .collect();
        let hint = suggest(&full, siblings.iter().map(String::as_str)).or_else(|| {
            let fields: Vec<&str> = siblings
                .iter()
                .filter_map(|s| s.rsplit('.').next())
                .collect();
            (!fields.is_empty() && fields.len() <= 12).then(|| {
                msg!(
                    "expr.hint.fields",
                    prefix = prefix,
                    fields = fields.join(", ")
                )
            })
        });
        self.error(at, msg!("expr.unknown_variable", name = full), hint);
    }

    /// `has(operand.field)`.
    fn has(&mut self, node: &IdedExpr, select: &'e SelectExpr) -> Ty {
        let (operand, path) = self.check_path(&select.operand);
        let at = self.field_offset(node, &select.operand, &select.field);
        match operand {
            Ty::Object { .. } | Ty::Data(Type::Map | Type::Any) => {
                let (_, path) = self.field(at, &select.operand, operand, path, &select.field);
                if let Some(path) = path {
                    self.reads.insert(path);
                }
            }
            other => {
                let name = self.name(&select.operand, path.as_deref());
                self.error(
                    at,
                    msg!("expr.has_not_object", name = name).with_msg("ty", other.describe()),
                    Some(msg!("expr.hint.has")),
                );
            }
        }
        Ty::Data(Type::Bool)
    }

    fn list(&mut self, list: &'e ListExpr) -> Ty {
        let items: Vec<Operand<'e>> = list.elements.iter().map(|e| self.operand(e)).collect();
        if items.is_empty() {
            return Ty::Data(Type::List(Box::new(Type::Any)));
        }
        let item = self.unify(&items, msg!("expr.list_mixed"));
        Ty::Data(Type::List(Box::new(item.public())))
    }

    fn map(&mut self, map: &'e MapExpr) -> Ty {
        for entry in &map.entries {
            let EntryExpr::MapEntry(entry) = &entry.expr else {
                continue;
            };
            let key = self.operand(&entry.key);
            let usable = key.ty.is_any()
                || key.ty.is_text()
                || matches!(key.ty, Ty::Data(Type::Int | Type::Bool));
            if !usable {
                let name = self.name(key.node, key.path.as_deref());
                self.error(
                    self.start(key.node),
                    msg!("expr.map_key", name = name).with_msg("ty", key.ty.describe()),
                    None,
                );
            }
            self.check(&entry.value);
        }
        Ty::Data(Type::Map)
    }

    /// A macro (`all`, `exists`, `exists_one`, `map`, `filter`) expanded into a loop.
    fn comprehension(&mut self, node: &IdedExpr, c: &'e ComprehensionExpr) -> Ty {
        let name = self.macro_name(node);
        let range = self.operand(&c.iter_range);
        let item = match &range.ty {
            Ty::Data(Type::List(item)) => Ty::Data((**item).clone()),
            Ty::Object { .. } | Ty::Data(Type::Map) => Ty::Data(Type::String),
            Ty::Data(Type::Any) => ANY,
            other => {
                let what = self.name(range.node, range.path.as_deref());
                self.error(
                    self.start(range.node),
                    msg!("expr.not_a_list", name = what).with_msg("ty", other.describe()),
                    Some(msg!("expr.hint.macro_list", name = name)),
                );
                ANY
            }
        };
        let init = self.check(&c.accu_init);
        self.macros.push(name);
        self.locals.push((c.iter_var.clone(), item));
        let iter_vars = match &c.iter_var2 {
            Some(second) => {
                self.locals.push((second.clone(), ANY));
                2
            }
            None => 1,
        };
        self.locals.push((c.accu_var.clone(), init.clone()));
        self.check(&c.loop_cond);
        self.check(&c.loop_step);
        // `map` and `filter` start from `[]` and append `[x]`: the result is a list of the
        // type of `x`, which the step has just inferred.
        let accu = match &c.accu_init.expr {
            Node::List(l) if l.elements.is_empty() => appended(&c.loop_step, &c.accu_var)
                .and_then(|id| self.types.get(&id).cloned())
                .unwrap_or(init),
            _ => init,
        };
        for _ in 0..=iter_vars {
            self.locals.pop();
        }
        self.locals.push((c.accu_var.clone(), accu));
        let result = self.check(&c.result);
        self.locals.pop();
        self.macros.pop();
        result
    }
}

// Operators and functions.
impl<'e> Checker<'_> {
    fn call(&mut self, node: &'e IdedExpr, call: &'e CallExpr) -> Ty {
        let name = call.func_name.as_str();
        let args = call.args.as_slice();
        match (name, args) {
            (op::LOGICAL_NOT, [arg]) => {
                let arg = self.operand(arg);
                if !(arg.ty.is_any() || arg.ty == Ty::Data(Type::Bool)) {
                    let what = self.name(arg.node, arg.path.as_deref());
                    self.error(
                        self.start(arg.node),
                        msg!("expr.not_needs_bool", name = what).with_msg("ty", arg.ty.describe()),
                        None,
                    );
                }
                Ty::Data(Type::Bool)
            }
            (op::NEGATE, [arg]) => {
                let arg = self.operand(arg);
                if arg.ty.is_any() || arg.ty.is_number() {
                    return arg.ty;
                }
                let what = self.name(arg.node, arg.path.as_deref());
                self.error(
                    self.offset(node),
                    msg!("expr.negate_needs_number", name = what).with_msg("ty", arg.ty.describe()),
                    None,
                );
                ANY
            }
            (op::LOGICAL_AND | op::LOGICAL_OR, _) => {
                let symbol = if name == op::LOGICAL_AND { "&&" } else { "||" };
                // In `exists` and `all` the condition is joined to the accumulator `@result`.
                let in_macro = args
                    .iter()
                    .any(|a| matches!(&a.expr, Node::Ident(n) if n.starts_with('@')));
                for arg in args {
                    let arg = self.operand(arg);
                    if arg.ty.is_any() || arg.ty == Ty::Data(Type::Bool) {
                        continue;
                    }
                    let what = self.name(arg.node, arg.path.as_deref());
                    let message = match self.macros.last() {
                        Some(m) if in_macro => {
                            msg!("expr.condition_of_bool", of = format!("`{m}`"), name = what)
                        }
                        _ => msg!("expr.logic_needs_bool", symbol = symbol, name = what),
                    }
                    .with_msg("ty", arg.ty.describe());
                    self.error(self.start(arg.node), message, None);
                }
                Ty::Data(Type::Bool)
            }
            (op::NOT_STRICTLY_FALSE, [arg]) => {
                self.check(arg);
                Ty::Data(Type::Bool)
            }
            (op::EQUALS | op::NOT_EQUALS, [left, right]) => {
                let (left, right) = (self.operand(left), self.operand(right));
                self.compare(node, &left, &right, false);
                Ty::Data(Type::Bool)
            }
            (op::LESS | op::LESS_EQUALS | op::GREATER | op::GREATER_EQUALS, [left, right]) => {
                let (left, right) = (self.operand(left), self.operand(right));
                self.compare(node, &left, &right, true);
                Ty::Data(Type::Bool)
            }
            (op::ADD, [left, right]) => {
                let (left, right) = (self.operand(left), self.operand(right));
                self.add(node, &left, &right)
            }
            (op::SUBSTRACT | op::MULTIPLY | op::DIVIDE | op::MODULO, [left, right]) => {
                let (left, right) = (self.operand(left), self.operand(right));
                self.arithmetic(node, name, &left, &right)
            }
            (op::CONDITIONAL, [condition, then, otherwise]) => {
                let condition = self.operand(condition);
                if !(condition.ty.is_any() || condition.ty == Ty::Data(Type::Bool)) {
                    let what = self.name(condition.node, condition.path.as_deref());
                    // `filter` and `exists_one` keep or count with a `? :` on `@result`.
                    let in_macro = matches!(&otherwise.expr, Node::Ident(n) if n.starts_with('@'));
                    let of = match self.macros.last() {
                        Some(m) if in_macro => format!("`{m}`"),
                        _ => "`? :`".to_string(),
                    };
                    self.error(
                        self.start(condition.node),
                        msg!("expr.condition_of_bool", of = of, name = what)
                            .with_msg("ty", condition.ty.describe()),
                        None,
                    );
                }
                let branches = [self.operand(then), self.operand(otherwise)];
                self.unify(&branches, msg!("expr.branches_mixed"))
            }
            (op::INDEX, [operand, index]) => self.index(operand, index),
            (op::IN, [element, collection]) => {
                let (element, collection) = (self.operand(element), self.operand(collection));
                self.in_collection(node, &element, &collection);
                Ty::Data(Type::Bool)
            }
            (op::OPT_INDEX | op::OPT_SELECT, _) => {
                self.error(
                    self.offset(node),
                    msg!("expr.no_optional"),
                    Some(msg!("expr.hint.has_instead")),
                );
                ANY
            }
            _ => self.function(node, call),
        }
    }

    /// `==`, `!=`, and with `ordered`, `<`, `<=`, `>`, `>=`.
    fn compare(&mut self, node: &IdedExpr, left: &Operand, right: &Operand, ordered: bool) {
        if left.ty.is_any() || right.ty.is_any() {
            return;
        }
        if let Some((null, other)) = match (&left.ty, &right.ty) {
            (Ty::Null, _) => Some((left, right)),
            (_, Ty::Null) => Some((right, left)),
            _ => None,
        } {
            let hint = other
                .path
                .as_ref()
                .map(|p| msg!("expr.hint.has_for", path = p));
            self.error(self.start(null.node), msg!("expr.never_null"), hint);
            return;
        }
        let (l, r) = (&left.ty, &right.ty);
        let ok = match (l, r) {
            _ if l.is_text() && r.is_text() => {
                self.literal_of(left, right);
                self.literal_of(right, left);
                true
            }
            (Ty::Data(Type::Date), _) if r.is_text() => return self.date_against(left, right),
            (_, Ty::Data(Type::Date)) if l.is_text() => return self.date_against(right, left),
            (Ty::Data(Type::Date), Ty::Data(Type::Date)) => true,
            _ if l.is_money() || r.is_money() => {
                fits_money(left) && fits_money(right) && l.is_number() && r.is_number()
            }
            _ if l.is_number() && r.is_number() => true,
            (Ty::Data(Type::Bool), Ty::Data(Type::Bool)) => !ordered,
            (Ty::Data(Type::List(_)), Ty::Data(Type::List(_))) => !ordered,
            _ if l.is_object() && r.is_object() => !ordered,
            _ => false,
        };
        if ok {
            return;
        }
        let verb = if ordered && l == r {
            "order"
        } else {
            "compare"
        };
        let (a, b) = (self.phrase(left), self.phrase(right));
        let message = if verb == "order" {
            msg!("expr.cannot_order")
        } else {
            msg!("expr.cannot_compare")
        }
        .with_msg("a", a)
        .with_msg("b", b);
        let hint = self
            .compare_hint(left, right)
            .or_else(|| self.compare_hint(right, left));
        self.error(self.offset(node), message, hint);
    }

    /// A hint for comparing `value` with `other` of the wrong type.
    fn compare_hint(&self, value: &Operand, other: &Operand) -> Option<Msg> {
        let text = string_literal(other.node);
        if value.ty.is_money() && other.ty.is_number() && !other.ty.is_money() {
            return Some(self.money_hint(other));
        }
        match (&value.ty, text) {
            (ty, Some(text)) if ty.is_number() && text.trim().parse::<f64>().is_ok() => {
                Some(msg!("expr.hint.unquote", text = text.trim()))
            }
            (Ty::Data(Type::Bool), Some(text @ ("true" | "false"))) => {
                Some(msg!("expr.hint.unquote", text = text))
            }
            (ty, None) if ty.is_number() && other.ty.is_text() => {
                let name = self.name(other.node, other.path.as_deref());
                Some(msg!("expr.hint.to_number", value = strip(&name)))
            }
            (Ty::Data(Type::Date), _) => Some(msg!("expr.hint.date_with_date")),
            _ => None,
        }
    }

    /// Checks a string literal compared with (or assigned to) an enum or an IIN.
    fn literal_of(&mut self, value: &Operand, other: &Operand) {
        let Some(text) = string_literal(other.node) else {
            return;
        };
        match &value.ty {
            Ty::Data(Type::Enum(values)) if !values.iter().any(|v| v == text) => {
                let name = self.name(value.node, value.path.as_deref());
                let hint = suggest(text, values.iter().map(String::as_str));
                self.error(
                    self.start(other.node),
                    msg!(
                        "expr.not_a_value_of",
                        text = text,
                        name = name,
                        values = values.join(", ")
                    ),
                    hint,
                );
            }
            Ty::Data(Type::Iin) if !is_iin(text) => {
                self.error(
                    self.start(other.node),
                    msg!("expr.not_iin", text = text),
                    None,
                );
            }
            _ => {}
        }
    }

    /// A date compared with text: only a literal ISO date will do.
    fn date_against(&mut self, date: &Operand, text: &Operand) {
        match string_literal(text.node) {
            Some(literal) => self.iso_literal(text.node, literal),
            None => {
                let name = self.name(text.node, text.path.as_deref());
                let message = msg!("expr.cannot_compare")
                    .with_msg("a", self.phrase(date))
                    .with_msg("b", self.phrase(text));
                self.error(
                    self.start(text.node),
                    message,
                    Some(msg!("expr.hint.to_date", value = strip(&name))),
                );
            }
        }
    }

    /// Reports a string literal that is not an ISO date.
    fn iso_literal(&mut self, node: &IdedExpr, literal: &str) {
        if super::runtime::parse_iso_date(literal).is_some() {
            return;
        }
        let hint = match dotted_date(literal) {
            Some(iso) => msg!("expr.hint.date_iso", iso = iso),
            None => msg!("expr.hint.date_form"),
        };
        self.error(
            self.start(node),
            msg!("expr.not_a_date", text = literal),
            Some(hint),
        );
    }

    fn add(&mut self, node: &IdedExpr, left: &Operand, right: &Operand) -> Ty {
        let (l, r) = (&left.ty, &right.ty);
        match (l, r) {
            _ if l.is_any() || r.is_any() => ANY,
            (Ty::Data(Type::Int), Ty::Data(Type::Int)) => Ty::Data(Type::Int),
            (Ty::Data(Type::Decimal), Ty::Data(Type::Decimal)) => Ty::Data(Type::Decimal),
            _ if (l.is_money() || r.is_money()) && l.is_number() && r.is_number() => {
                self.money_sum(node, "+", left, right)
            }
            _ if l.is_number() && r.is_number() => self.mixed(node, "+", left, right),
            _ if l.is_text() && r.is_text() => Ty::Data(Type::String),
            (Ty::Data(Type::List(a)), Ty::Data(Type::List(b))) => {
                let item = join_types(a, b, None, None).unwrap_or(Type::Any);
                Ty::Data(Type::List(Box::new(item)))
            }
            (Ty::Data(Type::Date), _) | (_, Ty::Data(Type::Date)) => {
                self.error(
                    self.offset(node),
                    msg!("expr.date_add"),
                    Some(msg!("expr.hint.date_compare")),
                );
                ANY
            }
            _ => {
                let (bad, good) = if l.is_number() || l.is_text() {
                    (right, left)
                } else {
                    (left, right)
                };
                let name = self.name(bad.node, bad.path.as_deref());
                let hint = (good.ty.is_text() && bad.ty.is_number())
                    .then(|| msg!("expr.hint.to_string", value = strip(&name)));
                self.error(
                    self.offset(node),
                    msg!("expr.plus_needs", name = name).with_msg("ty", bad.ty.describe()),
                    hint,
                );
                ANY
            }
        }
    }

    /// `-`, `*`, `/`, `%`.
    fn arithmetic(&mut self, node: &IdedExpr, name: &str, left: &Operand, right: &Operand) -> Ty {
        let symbol = name.trim_matches('_');
        let modulo = name == op::MODULO;
        if !modulo && (left.ty.is_money() || right.ty.is_money()) {
            return self.money_arithmetic(node, name, symbol, left, right);
        }
        for side in [left, right] {
            let ok = side.ty.is_any()
                || side.ty == Ty::Data(Type::Int)
                || (!modulo && side.ty == Ty::Data(Type::Decimal));
            if !ok {
                let what = self.name(side.node, side.path.as_deref());
                let key = if modulo {
                    "expr.needs_integers"
                } else {
                    "expr.needs_numbers"
                };
                self.error(
                    self.offset(node),
                    msg!(key, symbol = symbol, name = what).with_msg("ty", side.ty.describe()),
                    None,
                );
                return ANY;
            }
        }
        match (&left.ty, &right.ty) {
            (l, r) if l.is_any() || r.is_any() => ANY,
            (l, r) if l == r => l.clone(),
            _ => self.mixed(node, symbol, left, right),
        }
    }

    /// An integer and a decimal in arithmetic: CEL has no implicit conversion.
    fn mixed(&mut self, node: &IdedExpr, symbol: &str, left: &Operand, right: &Operand) -> Ty {
        let int = if left.ty == Ty::Data(Type::Int) {
            left
        } else {
            right
        };
        let name = self.name(int.node, int.path.as_deref());
        let message = msg!("expr.cannot_mix", symbol = symbol)
            .with_msg("a", self.phrase_first(left))
            .with_msg("b", self.phrase_first(right));
        let hint = match &int.node.expr {
            Node::Literal(LiteralValue::Int(_)) => {
                msg!("expr.hint.decimal_literal", value = strip(&name))
            }
            _ => msg!("expr.hint.to_decimal", value = strip(&name)),
        };
        self.error(self.offset(node), message, Some(hint));
        Ty::Data(Type::Decimal)
    }

    /// `+` or `-` with money on one side: money and money, or a number written as a literal
    /// (`amount + 100`), give money; a decimal or an integer that is not written out is
    /// refused, as int and decimal are, so an amount never silently meets a rate or a count.
    fn money_sum(&mut self, node: &IdedExpr, symbol: &str, left: &Operand, right: &Operand) -> Ty {
        let other = if left.ty.is_money() { right } else { left };
        if other.ty.is_any() || fits_money(other) {
            return Ty::Data(Type::Money);
        }
        let message = msg!("expr.cannot_mix", symbol = symbol)
            .with_msg("a", self.phrase_first(left))
            .with_msg("b", self.phrase_first(right));
        let hint = self.money_hint(other);
        self.error(self.offset(node), message, Some(hint));
        Ty::Data(Type::Money)
    }

    /// `-`, `*` and `/` with money on one side (`%` is for integers).
    fn money_arithmetic(
        &mut self,
        node: &IdedExpr,
        name: &str,
        symbol: &str,
        left: &Operand,
        right: &Operand,
    ) -> Ty {
        for side in [left, right] {
            if !(side.ty.is_any() || side.ty.is_number()) {
                let what = self.name(side.node, side.path.as_deref());
                self.error(
                    self.offset(node),
                    msg!("expr.needs_numbers", symbol = symbol, name = what)
                        .with_msg("ty", side.ty.describe()),
                    None,
                );
                return ANY;
            }
        }
        let (l, r) = (&left.ty, &right.ty);
        match name {
            op::SUBSTRACT => self.money_sum(node, symbol, left, right),
            op::MULTIPLY if l.is_money() && r.is_money() => {
                self.error(
                    self.offset(node),
                    msg!("expr.money_times_money"),
                    Some(msg!("expr.hint.money_times")),
                );
                Ty::Data(Type::Money)
            }
            op::MULTIPLY => Ty::Data(Type::Money),
            op::DIVIDE if l.is_money() && r.is_money() => Ty::Data(Type::Decimal),
            op::DIVIDE if l.is_money() => Ty::Data(Type::Money),
            _ => {
                self.error(
                    self.offset(node),
                    msg!("expr.cannot_divide", symbol = symbol)
                        .with_msg("a", self.phrase_first(left))
                        .with_msg("b", self.phrase_first(right)),
                    Some(msg!("expr.hint.money_divide")),
                );
                ANY
            }
        }
    }

    /// How to turn a number into money: `money(x)`.
    fn money_hint(&self, number: &Operand) -> Msg {
        let name = self.name(number.node, number.path.as_deref());
        msg!("expr.hint.to_money", value = strip(&name))
    }

    fn index(&mut self, operand: &'e IdedExpr, index: &'e IdedExpr) -> Ty {
        let (ty, path) = self.check_path(operand);
        if let Ty::Object { .. } = ty
            && let Some(field) = string_literal(index)
        {
            let at = self.start(index);
            self.check(index);
            let (ty, path) = self.field(at, operand, ty, path, field);
            if let Some(path) = path {
                self.reads.insert(path);
            }
            return ty;
        }
        if let Some(path) = &path {
            self.reads.insert(path.clone());
        }
        let key = self.operand(index);
        match &ty {
            Ty::Data(Type::List(item)) => {
                if !(key.ty.is_any() || key.ty == Ty::Data(Type::Int)) {
                    let what = self.name(key.node, key.path.as_deref());
                    self.error(
                        self.start(key.node),
                        msg!("expr.list_index", name = what).with_msg("ty", key.ty.describe()),
                        None,
                    );
                }
                Ty::Data((**item).clone())
            }
            _ if ty.is_any() => ANY,
            _ if ty.is_object() => {
                let usable = key.ty.is_any()
                    || key.ty.is_text()
                    || (ty == Ty::Data(Type::Map)
                        && matches!(key.ty, Ty::Data(Type::Int | Type::Bool)));
                if !usable {
                    let what = self.name(key.node, key.path.as_deref());
                    self.error(
                        self.start(key.node),
                        msg!("expr.object_index", name = what).with_msg("ty", key.ty.describe()),
                        None,
                    );
                }
                ANY
            }
            other => {
                let what = self.name(operand, path.as_deref());
                let hint = (other.is_text() || *other == Ty::Data(Type::Date))
                    .then(|| msg!("expr.hint.text_functions"));
                self.error(
                    self.start(key.node),
                    msg!("expr.not_indexable", name = what).with_msg("ty", other.describe()),
                    hint,
                );
                ANY
            }
        }
    }

    /// `element in collection`.
    fn in_collection(&mut self, node: &IdedExpr, element: &Operand, collection: &Operand) {
        match &collection.ty {
            Ty::Data(Type::List(item)) => {
                if let Node::List(list) = &collection.node.expr {
                    for item in &list.elements {
                        let ty = self.types.get(&item.id).cloned().unwrap_or(ANY);
                        let item = Operand {
                            node: item,
                            ty,
                            path: None,
                        };
                        self.compare(node, element, &item, false);
                    }
                } else {
                    let item = Operand {
                        node: collection.node,
                        ty: Ty::Data((**item).clone()),
                        path: None,
                    };
                    self.compare(node, element, &item, false);
                }
            }
            ty if ty.is_any() => {}
            ty if ty.is_object() => {
                if !(element.ty.is_any() || element.ty.is_text()) {
                    let what = self.name(element.node, element.path.as_deref());
                    self.error(
                        self.start(element.node),
                        msg!("expr.in_object", name = what).with_msg("ty", element.ty.describe()),
                        None,
                    );
                }
            }
            other => {
                let what = self.name(collection.node, collection.path.as_deref());
                let hint = other
                    .is_text()
                    .then(|| msg!("expr.hint.contains", value = strip(&what)));
                self.error(
                    self.offset(node),
                    msg!("expr.in_needs_list", name = what).with_msg("ty", other.describe()),
                    hint,
                );
            }
        }
    }

    /// A call of a named function, global (`size(x)`) or on a value (`x.size()`).
    fn function(&mut self, node: &'e IdedExpr, call: &'e CallExpr) -> Ty {
        let name = call.func_name.as_str();
        let member = call.target.is_some();
        let mut operands: Vec<Operand<'e>> = Vec::new();
        if let Some(target) = &call.target {
            operands.push(self.operand(target));
        }
        for arg in &call.args {
            operands.push(self.operand(arg));
        }
        let at = self.name_offset(node, name);
        let bool_ = Ty::Data(Type::Bool);
        match name {
            "size" => {
                if let Some([value]) = self.arity(at, name, &operands, 1) {
                    let ok = value.ty.is_any()
                        || value.ty.is_text()
                        || value.ty.is_object()
                        || matches!(value.ty, Ty::Data(Type::List(_)));
                    if !ok {
                        self.wrong_argument(name, value, msg!("expr.arg.sized"));
                    }
                }
                Ty::Data(Type::Int)
            }
            "contains" | "startsWith" | "endsWith" => {
                if !member {
                    self.written_after(at, name);
                    return bool_;
                }
                if let Some([value, part]) = self.arity(at, name, &operands, 2) {
                    if matches!(value.ty, Ty::Data(Type::List(_))) && name == "contains" {
                        let list = self.name(value.node, value.path.as_deref());
                        self.error(
                            at,
                            msg!("expr.contains_list"),
                            Some(msg!("expr.hint.in_list", list = strip(&list))),
                        );
                        return bool_;
                    }
                    for operand in [value, part] {
                        if !(operand.ty.is_any() || operand.ty.is_text()) {
                            self.wrong_argument(name, operand, msg!("expr.arg.string"));
                        }
                    }
                }
                bool_
            }
            "matches" => {
                if let Some([value, pattern]) = self.arity(at, name, &operands, 2) {
                    for operand in [value, pattern] {
                        if !(operand.ty.is_any() || operand.ty.is_text()) {
                            self.wrong_argument(name, operand, msg!("expr.arg.string"));
                        }
                    }
                    if let Some(pattern_text) = string_literal(pattern.node)
                        && let Some(problem) = super::runtime::regex_problem(pattern_text)
                    {
                        self.error(
                            self.start(pattern.node),
                            msg!("expr.bad_regex", pattern = pattern_text),
                            // The regex crate's own words: shown as they are.
                            Some(en(problem)),
                        );
                    }
                }
                bool_
            }
            "int" | "double" | "string" | "bool" | "date" | "dyn" | "money" if member => {
                self.error(
                    at,
                    msg!("expr.written_before", name = name),
                    Some(msg!("expr.hint.write_before", name = name)),
                );
                ANY
            }
            "int" => {
                if let Some([value]) = self.arity(at, name, &operands, 1) {
                    if let Some(text) = string_literal(value.node) {
                        if text.parse::<i64>().is_err() {
                            self.error(
                                self.start(value.node),
                                msg!("expr.not_whole", text = text),
                                None,
                            );
                        }
                    } else if !(value.ty.is_any() || value.ty.is_number() || value.ty.is_text()) {
                        self.wrong_argument(name, value, msg!("expr.arg.number_or_string"));
                    }
                }
                Ty::Data(Type::Int)
            }
            "double" => {
                if let Some([value]) = self.arity(at, name, &operands, 1) {
                    if let Some(text) = string_literal(value.node) {
                        if text.parse::<f64>().is_err() {
                            self.error(
                                self.start(value.node),
                                msg!("expr.not_number", text = text),
                                None,
                            );
                        }
                    } else if !(value.ty.is_any() || value.ty.is_number() || value.ty.is_text()) {
                        self.wrong_argument(name, value, msg!("expr.arg.number_or_string"));
                    }
                }
                Ty::Data(Type::Decimal)
            }
            "string" => {
                if let Some([value]) = self.arity(at, name, &operands, 1) {
                    let ok = value.ty.is_any()
                        || value.ty.is_number()
                        || value.ty.is_text()
                        || matches!(value.ty, Ty::Data(Type::Bool | Type::Date));
                    if !ok {
                        self.wrong_argument(name, value, msg!("expr.arg.printable"));
                    }
                }
                Ty::Data(Type::String)
            }
            "bool" => {
                if let Some([value]) = self.arity(at, name, &operands, 1) {
                    let ok =
                        value.ty.is_any() || value.ty.is_text() || value.ty == Ty::Data(Type::Bool);
                    if !ok {
                        self.wrong_argument(name, value, msg!("expr.arg.string"));
                    }
                }
                bool_
            }
            "date" => {
                if let Some([value]) = self.arity(at, name, &operands, 1) {
                    if let Some(text) = string_literal(value.node) {
                        self.iso_literal(value.node, text);
                    } else if !(value.ty.is_any()
                        || value.ty.is_text()
                        || value.ty == Ty::Data(Type::Date))
                    {
                        self.wrong_argument(name, value, msg!("expr.arg.iso_date"));
                    }
                }
                Ty::Data(Type::Date)
            }
            "dyn" => {
                self.arity(at, name, &operands, 1);
                ANY
            }
            "money" => {
                if let Some([value]) = self.arity(at, name, &operands, 1) {
                    if let Some(text) = string_literal(value.node) {
                        if let Err(e) = crate::money::Money::parse(text) {
                            self.error(
                                self.start(value.node),
                                // The money parser's own words (crate::money).
                                en(e.to_string()),
                                Some(msg!("expr.hint.money_literal")),
                            );
                        }
                    } else if !(value.ty.is_any() || value.ty.is_number() || value.ty.is_text()) {
                        self.wrong_argument(name, value, msg!("expr.arg.number_or_string"));
                    }
                }
                Ty::Data(Type::Money)
            }
            "has" => {
                self.error(at, msg!("expr.has_one_field"), Some(msg!("expr.hint.has")));
                bool_
            }
            "all" | "exists" | "exists_one" | "map" | "filter" => {
                let example = match name {
                    "map" => "list.map(x, x.name)",
                    "filter" => "list.filter(x, x.age > 18)",
                    _ => "list.exists(x, x.age > 18)",
                };
                let example = example.replace("exists", name);
                self.error(
                    at,
                    msg!("expr.macro_needs", name = name),
                    Some(msg!("expr.hint.write_as", example = example)),
                );
                ANY
            }
            _ => {
                let hint = suggest(name, FUNCTIONS.iter().copied()).or_else(|| {
                    Some(msg!(
                        "expr.hint.functions",
                        names = FUNCTIONS[..11].join(", ")
                    ))
                });
                self.error(at, msg!("expr.unknown_function", name = name), hint);
                ANY
            }
        }
    }

    /// The operands when there are `want` of them (the target counts); else reports it.
    fn arity<'o>(
        &mut self,
        at: usize,
        name: &str,
        operands: &'o [Operand<'e>],
        want: usize,
    ) -> Option<&'o [Operand<'e>]> {
        if operands.len() == want {
            return Some(operands);
        }
        let (want, given) = (want, operands.len());
        let key = match (want == 1, given == 1) {
            (true, true) => "expr.arity.one_one",
            (true, false) => "expr.arity.one_many",
            (false, true) => "expr.arity.many_one",
            (false, false) => "expr.arity.many_many",
        };
        self.error(at, msg!(key, name = name, want = want, given = given), None);
        None
    }

    fn wrong_argument(&mut self, function: &str, operand: &Operand, needs: Msg) {
        let what = self.name(operand.node, operand.path.as_deref());
        self.error(
            self.start(operand.node),
            msg!("expr.function_needs", function = function, name = what)
                .with_msg("needs", needs)
                .with_msg("ty", operand.ty.describe()),
            None,
        );
    }

    fn written_after(&mut self, at: usize, name: &str) {
        self.error(
            at,
            msg!("expr.written_after", name = name),
            Some(msg!("expr.hint.write_after", name = name)),
        );
    }

    /// The common type of list elements or `? :` branches; reports the first that differs.
    fn unify(&mut self, items: &[Operand], message: Msg) -> Ty {
        let Some(first) = items.first() else {
            return ANY;
        };
        let mut ty = first.ty.clone();
        let mut lit = string_literal(first.node);
        // A number written out goes with money (`has(x) ? x.amount : 0`).
        if items.iter().any(|item| item.ty.is_money())
            && items
                .iter()
                .all(|item| item.ty.is_money() || item.ty.is_any() || fits_money(item))
        {
            return Ty::Data(Type::Money);
        }
        for (i, item) in items.iter().enumerate().skip(1) {
            match join(&ty, lit, &item.ty, string_literal(item.node)) {
                Some(joined) => {
                    ty = joined;
                    lit = None;
                }
                None => {
                    let earlier = &items[i - 1];
                    let (a, b) = (
                        self.name(earlier.node, earlier.path.as_deref()),
                        self.name(item.node, item.path.as_deref()),
                    );
                    let hint = (earlier.ty.is_number() && item.ty.is_number())
                        .then(|| msg!("expr.hint.whole_as_decimal"));
                    self.error(
                        self.start(item.node),
                        msg!("expr.differ", a = a, b = b)
                            .with_msg("message", message)
                            .with_msg("a_is", earlier.ty.describe())
                            .with_msg("b_is", item.ty.describe()),
                        hint,
                    );
                    return ANY;
                }
            }
        }
        ty
    }

    /// Checks that the whole expression fits where it is used.
    fn expect(&mut self, node: &IdedExpr, ty: &Ty, expected: &Type) {
        if ty.is_any() || *expected == Type::Any || (*ty == Ty::Null && *expected != Type::Bool) {
            return;
        }
        // A user's `? :` (not one from a macro): each branch must fit.
        if let Node::Call(call) = &node.expr
            && let (op::CONDITIONAL, [_, then, otherwise]) =
                (call.func_name.as_str(), call.args.as_slice())
        {
            for branch in [then, otherwise] {
                let ty = self.types.get(&branch.id).cloned().unwrap_or(ANY);
                self.expect(branch, &ty, expected);
            }
            return;
        }
        if *expected == Type::Bool {
            if *ty != Ty::Data(Type::Bool) {
                self.error(
                    self.start(node),
                    msg!("expr.condition_bool").with_msg("ty", ty.describe()),
                    None,
                );
            }
            return;
        }
        if let Some(problem) = self.assignable(node, ty, expected) {
            self.errors.push(problem);
        }
    }

    /// Why a value of type `ty` written as `node` cannot go into a field of type `expected`.
    fn assignable(&self, node: &IdedExpr, ty: &Ty, expected: &Type) -> Option<ExprError> {
        let literal = string_literal(node);
        let at = self.start(node);
        let fits = match (ty, expected) {
            _ if ty.is_any() || *ty == Ty::Null || *expected == Type::Any => true,
            (Ty::Object { .. }, Type::Map) => true,
            (Ty::Data(actual), _) if actual == expected => true,
            (Ty::Data(Type::Int | Type::Money), Type::Decimal) => true,
            // Whole tenge are exact; a decimal only when written out with at most two digits
            // after the point.
            (Ty::Data(Type::Int), Type::Money) => true,
            (Ty::Data(Type::Decimal), Type::Money) if numeric_literal(node) => money_literal(node),
            (_, Type::String) => ty.is_text() || *ty == Ty::Data(Type::Date),
            (Ty::Data(Type::String), Type::Iin) => match literal {
                Some(text) if !is_iin(text) => {
                    return Some(ExprError::new(at, msg!("expr.not_iin", text = text)));
                }
                _ => true,
            },
            (Ty::Data(Type::String), Type::Phone | Type::Email) => true,
            (Ty::Data(Type::String), Type::Enum(values)) => match literal {
                Some(text) if !values.iter().any(|v| v == text) => {
                    return Some(
                        ExprError::new(
                            at,
                            msg!("expr.not_allowed", text = text, values = values.join(", ")),
                        )
                        .with_hint(suggest(text, values.iter().map(String::as_str))),
                    );
                }
                _ => true,
            },
            (Ty::Data(Type::Enum(actual)), Type::Enum(values)) => {
                match actual.iter().find(|a| !values.contains(a)) {
                    Some(extra) => {
                        return Some(ExprError::new(
                            at,
                            msg!(
                                "expr.may_be_other",
                                text = extra,
                                values = values.join(", ")
                            ),
                        ));
                    }
                    None => true,
                }
            }
            (Ty::Data(Type::String), Type::Date) => match literal {
                Some(text) if super::runtime::parse_iso_date(text).is_none() => {
                    let hint = dotted_date(text).map(|iso| msg!("expr.hint.date_iso", iso = iso));
                    return Some(
                        ExprError::new(at, msg!("expr.not_a_date", text = text)).with_hint(hint),
                    );
                }
                Some(_) => true,
                None => {
                    return Some(
                        ExprError::new(
                            at,
                            msg!("expr.must_be")
                                .with_msg("want", Type::Date.describe_msg())
                                .with_msg("ty", ty.describe()),
                        )
                        .with_hint(Some(msg!("expr.hint.to_date", value = "…"))),
                    );
                }
            },
            (Ty::Data(Type::List(actual)), Type::List(item)) => {
                if let Node::List(list) = &node.expr {
                    // Each element of a literal list, so that each enum value is checked.
                    for element in &list.elements {
                        let ty = self.types.get(&element.id).cloned().unwrap_or(ANY);
                        if let Some(problem) = self.assignable(element, &ty, item) {
                            return Some(problem);
                        }
                    }
                    true
                } else {
                    let element = IdedExpr::default();
                    self.assignable(&element, &Ty::Data((**actual).clone()), item)
                        .is_none()
                }
            }
            _ => false,
        };
        if fits {
            return None;
        }
        let hint = match (ty, expected) {
            (Ty::Data(Type::Decimal | Type::Money), Type::Int) => Some(msg!("expr.hint.to_int")),
            (Ty::Data(Type::Decimal), Type::Money) if numeric_literal(node) => {
                Some(msg!("expr.hint.tiyn"))
            }
            (Ty::Data(Type::Decimal), Type::Money) => Some(msg!("expr.hint.to_money", value = "…")),
            _ => None,
        };
        Some(
            ExprError::new(
                at,
                msg!("expr.must_be")
                    .with_msg("want", expected.describe_msg())
                    .with_msg("ty", ty.describe()),
            )
            .with_hint(hint),
        )
    }
}

// Positions and names.
impl Checker<'_> {
    fn error(&mut self, offset: usize, message: Msg, hint: Option<Msg>) {
        self.errors
            .push(ExprError::new(offset, message).with_hint(hint));
    }

    /// The character offset of a byte offset in the source.
    fn chars(&self, byte: usize) -> usize {
        self.source
            .char_indices()
            .take_while(|(i, _)| *i < byte)
            .count()
    }

    /// The byte range a node's own token covers (the operator for an operation).
    fn own(&self, node: &IdedExpr) -> Option<(usize, usize)> {
        self.info
            .offset_for(node.id)
            .map(|(start, stop)| (start as usize, stop as usize))
    }

    /// Where the node's own token is, in characters.
    fn offset(&self, node: &IdedExpr) -> usize {
        self.own(node).map_or(0, |(start, _)| self.chars(start))
    }

    /// Where the node's text starts, in characters: its leftmost token.
    fn start(&self, node: &IdedExpr) -> usize {
        self.span(node).map_or(0, |(start, _)| self.chars(start))
    }

    /// The bytes the node's tokens cover, first to last (inclusive).
    fn span(&self, node: &IdedExpr) -> Option<(usize, usize)> {
        self.span_within(node, 0)
    }

    /// [`Self::span`], `depth` levels down: a tree deeper than [`MAX_DEPTH`] is cut short.
    fn span_within(&self, node: &IdedExpr, depth: usize) -> Option<(usize, usize)> {
        let mut span = self.own(node);
        if depth >= MAX_DEPTH {
            return span;
        }
        let mut widen = |other: Option<(usize, usize)>| {
            if let Some((start, stop)) = other {
                span = Some(match span {
                    Some((s, e)) => (s.min(start), e.max(stop)),
                    None => (start, stop),
                });
            }
        };
        let depth = depth + 1;
        match &node.expr {
            Node::Call(call) => {
                if let Some(target) = &call.target {
                    widen(self.span_within(target, depth));
                }
                for arg in &call.args {
                    widen(self.span_within(arg, depth));
                }
            }
            Node::Select(select) => {
                let operand = self.span_within(&select.operand, depth);
                widen(operand);
                // The node's token is the dot; the field name is not a node.
                if let Some(at) = self.field_after(node, operand, &select.field) {
                    widen(Some((at, at + select.field.len().saturating_sub(1))));
                }
            }
            Node::List(list) => {
                for element in &list.elements {
                    widen(self.span_within(element, depth));
                }
            }
            Node::Map(map) => {
                for entry in &map.entries {
                    if let EntryExpr::MapEntry(entry) = &entry.expr {
                        widen(self.span_within(&entry.key, depth));
                        widen(self.span_within(&entry.value, depth));
                    }
                }
            }
            Node::Comprehension(c) => widen(self.span_within(&c.iter_range, depth)),
            _ => {}
        }
        span
    }

    /// The byte where `field` of a selection is written: after the operand, past the dot.
    fn field_byte(&self, node: &IdedExpr, operand: &IdedExpr, field: &str) -> Option<usize> {
        self.field_after(node, self.span(operand), field)
    }

    /// [`Self::field_byte`] with the operand's span already known.
    fn field_after(
        &self,
        node: &IdedExpr,
        operand: Option<(usize, usize)>,
        field: &str,
    ) -> Option<usize> {
        let after_operand = operand.map_or(0, |(_, stop)| stop + 1);
        let from = self
            .own(node)
            .map_or(0, |(start, _)| start)
            .max(after_operand);
        find_word(self.source, from, field)
    }

    /// The character offset of a selected field, for "unknown variable" errors.
    fn field_offset(&self, node: &IdedExpr, operand: &IdedExpr, field: &str) -> usize {
        match self.field_byte(node, operand, field) {
            Some(byte) => self.chars(byte),
            None => self.offset(node),
        }
    }

    /// The character offset of a function's name: the call's token is its `(`.
    fn name_offset(&self, node: &IdedExpr, name: &str) -> usize {
        let Some((start, _)) = self.own(node) else {
            return 0;
        };
        let before = self.source.get(..start).unwrap_or("");
        match before.trim_end().strip_suffix(name) {
            Some(rest) => self.chars(rest.len()),
            None => self.chars(start),
        }
    }

    /// The name of the macro a comprehension was written as: the word before its `(`.
    fn macro_name(&self, node: &IdedExpr) -> String {
        let start = self.own(node).map_or(0, |(start, _)| start);
        let before = self.source.get(..start).unwrap_or("").trim_end();
        let word: String = before
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        if word.is_empty() {
            "the macro".into()
        } else {
            word
        }
    }

    /// How a node is named in messages: `` `applicant.age` `` or its text, or "this value".
    fn name(&self, node: &IdedExpr, path: Option<&str>) -> String {
        if let Some(path) = path {
            return format!("`{path}`");
        }
        match self.text(node) {
            Some(text) => format!("`{text}`"),
            None => "this value".into(),
        }
    }

    /// `` `applicant.age` (an integer) ``.
    fn phrase(&self, operand: &Operand) -> Msg {
        msg!(
            "expr.phrase",
            name = self.name(operand.node, operand.path.as_deref())
        )
        .with_msg("ty", operand.ty.describe())
    }

    /// `` an integer (`applicant.age`) ``.
    fn phrase_first(&self, operand: &Operand) -> Msg {
        msg!(
            "expr.phrase_first",
            name = self.name(operand.node, operand.path.as_deref())
        )
        .with_msg("ty", operand.ty.describe())
    }

    /// The source text of a node, when short and whole (brackets balanced).
    fn text(&self, node: &IdedExpr) -> Option<String> {
        let (start, stop) = self.span(node)?;
        let mut end = stop + 1;
        // A call's `)` and a list's `]` are no node's token: take them while unbalanced.
        while let Some(text) = self.source.get(start..end) {
            match balance(text) {
                0 => {
                    let text = text.trim();
                    return (!text.is_empty() && text.chars().count() <= 60)
                        .then(|| text.to_string());
                }
                open if open > 0 => {
                    let rest = self.source.get(end..)?;
                    let skipped = rest.len() - rest.trim_start().len();
                    let next = rest.trim_start().chars().next()?;
                    if !matches!(next, ')' | ']' | '}') {
                        return None;
                    }
                    end += skipped + next.len_utf8();
                }
                _ => return None,
            }
        }
        None
    }
}

/// The id of the list appended to the accumulator in a `map` or `filter` step:
/// `@result + [x]`, possibly under `cond ? @result + [x] : @result`.
fn appended(step: &IdedExpr, accu: &str) -> Option<u64> {
    let Node::Call(call) = &step.expr else {
        return None;
    };
    match (call.func_name.as_str(), call.args.as_slice()) {
        (op::ADD, [left, right]) => match (&left.expr, &right.expr) {
            (Node::Ident(name), Node::List(_)) if name == accu => Some(right.id),
            _ => None,
        },
        (op::CONDITIONAL, [_, then, _]) => appended(then, accu),
        _ => None,
    }
}

/// The common type of two values of types `a` and `b` (with their literal text if they are
/// string literals), or `None` if they have none.
fn join(a: &Ty, a_lit: Option<&str>, b: &Ty, b_lit: Option<&str>) -> Option<Ty> {
    match (a, b) {
        _ if a.is_any() || b.is_any() => Some(ANY),
        (Ty::Null, other) | (other, Ty::Null) => Some(other.clone()),
        (Ty::Object { path: p, .. }, Ty::Object { path: q, .. }) if p == q => Some(a.clone()),
        _ if a.is_object() && b.is_object() => Some(Ty::Data(Type::Map)),
        (Ty::Data(a), Ty::Data(b)) => join_types(a, b, a_lit, b_lit).map(Ty::Data),
        _ => None,
    }
}

/// [`join`] for declared types.
fn join_types(a: &Type, b: &Type, a_lit: Option<&str>, b_lit: Option<&str>) -> Option<Type> {
    let iso = |lit: Option<&str>| lit.is_some_and(|t| super::runtime::parse_iso_date(t).is_some());
    match (a, b) {
        _ if a == b => Some(a.clone()),
        (Type::Any, _) | (_, Type::Any) => Some(Type::Any),
        (Type::Enum(x), Type::Enum(y)) => {
            let mut values = x.clone();
            values.extend(y.iter().filter(|v| !x.contains(v)).cloned());
            Some(Type::Enum(values))
        }
        _ if a.is_text() && b.is_text() => Some(Type::String),
        (Type::Date, Type::String) if iso(b_lit) => Some(Type::Date),
        (Type::String, Type::Date) if iso(a_lit) => Some(Type::Date),
        (Type::List(x), Type::List(y)) => {
            join_types(x, y, None, None).map(|t| Type::List(Box::new(t)))
        }
        _ => None,
    }
}

/// A number written out (`100`, `2.5`, `-3`): where money is expected, it is an amount.
fn numeric_literal(node: &IdedExpr) -> bool {
    match &node.expr {
        Node::Literal(LiteralValue::Int(_) | LiteralValue::Double(_)) => true,
        Node::Call(call) => {
            call.func_name == op::NEGATE && call.args.len() == 1 && numeric_literal(&call.args[0])
        }
        _ => false,
    }
}

/// A decimal literal with at most two digits after the point, as f64 prints it shortest.
fn money_literal(node: &IdedExpr) -> bool {
    match &node.expr {
        Node::Literal(LiteralValue::Double(f)) => {
            crate::money::Money::parse(&format!("{}", f.inner())).is_ok()
        }
        Node::Literal(LiteralValue::Int(_)) => true,
        Node::Call(call) if call.func_name == op::NEGATE && call.args.len() == 1 => {
            money_literal(&call.args[0])
        }
        _ => false,
    }
}

/// Whether an operand may meet money: money itself or a number written out.
fn fits_money(operand: &Operand) -> bool {
    operand.ty.is_money() || operand.ty.is_any() || numeric_literal(operand.node)
}

/// The text of a string literal node.
fn string_literal(node: &IdedExpr) -> Option<&str> {
    match &node.expr {
        Node::Literal(LiteralValue::String(text)) => Some(text.inner()),
        _ => None,
    }
}

/// Twelve ASCII digits.
fn is_iin(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// `31.01.2026` → `2026-01-31`, the form people write dates in here.
fn dotted_date(text: &str) -> Option<String> {
    let mut parts = text.trim().split('.');
    let (day, month, year) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || year.len() != 4 {
        return None;
    }
    let iso = format!("{year}-{month:0>2}-{day:0>2}");
    super::runtime::parse_iso_date(&iso).map(|_| iso)
}

/// A "did you mean" candidate, only when it is a plausible typo: close by Jaro-Winkler (as
/// everywhere in the engine) and within a few edits, so that a long shared prefix such as
/// `applicant.` does not make every field look like a typo of every other. Short words
/// (`ry` for `ru`) are too short for Jaro-Winkler: for them, the one candidate a single edit
/// or a change of case away.
fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<Msg> {
    let candidates: Vec<&str> = candidates.into_iter().collect();
    // Names are compared whole, but the edits that matter are in the last segment.
    let last = word.rsplit('.').next().unwrap_or(word);
    let allowed = 1 + last.chars().count() / 4;
    let close = did_you_mean(word, candidates.iter().copied())
        .filter(|best| strsim::damerau_levenshtein(word, best) <= allowed);
    let best = close.or_else(|| {
        let mut near = candidates.iter().copied().filter(|c| {
            c.eq_ignore_ascii_case(word)
                || (word.chars().count() >= 2 && strsim::damerau_levenshtein(word, c) == 1)
        });
        let first = near.next()?;
        near.next().is_none().then_some(first)
    })?;
    Some(msg!("hint.did_you_mean", name = best))
}

/// The byte offset of `word` as a whole identifier at or after `from`.
pub(super) fn find_word(source: &str, from: usize, word: &str) -> Option<usize> {
    if word.is_empty() {
        return None;
    }
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut at = from;
    while let Some(found) = source.get(at..)?.find(word) {
        let start = at + found;
        let end = start + word.len();
        let before = source[..start].chars().next_back();
        let after = source[end..].chars().next();
        if !before.is_some_and(is_ident) && !after.is_some_and(is_ident) {
            return Some(start);
        }
        at = end;
    }
    None
}

/// Open brackets minus closed ones, outside quotes; negative once a closing one is unmatched.
fn balance(text: &str) -> i64 {
    let mut depth = 0i64;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in text.chars() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => {
                depth -= 1;
                if depth < 0 {
                    return depth;
                }
            }
            _ => {}
        }
    }
    if quote.is_some() { i64::MIN } else { depth }
}

/// `` `x` `` → `x`, for putting a name inside a suggested call.
fn strip(name: &str) -> &str {
    name.trim_matches('`')
}

/// A message whose words come from elsewhere (the regex crate, the money parser), shown as
/// they are in every language.
fn en(text: impl Into<String>) -> Msg {
    msg!("expr.untranslated", text = text.into())
}
