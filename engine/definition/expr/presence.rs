//! Presence: which names an expression reads without first knowing they are there.
//!
//! The type checker knows what a name *is*; this module knows whether it is *there*. A
//! connector's contract may leave a field out of an answer (`optional: true` in the catalog:
//! a patronymic "if any"), and reading `response.middle_name` when it is absent fails the
//! evaluation, which stops the case. So the validator asks, for each expression, which reads
//! of such names are not protected by a `has()` test that must have held for the read to
//! happen at all.
//!
//! A read is protected when the evaluation can only reach it with the name present:
//!
//! - in `c ? a : b`, reads in `a` by what `c` being true proves, reads in `b` by what `c`
//!   being false proves;
//! - in `a && b`, reads in `b` by what `a` being true proves, since `b` runs only then (or
//!   after an error in `a`, which is then the result unless `b` is false); reads in `a` by
//!   what `b` being true proves, since CEL turns `error && false` into `false`;
//! - in `a || b`, the same with what each side being *false* proves.
//!
//! What a condition proves follows `has()` through `!`, `&&`, `||` and `? :`; any other
//! condition proves nothing. That is the same left-to-right and error-absorbing evaluation
//! the interpreter (`cel` 0.15) performs.
//!
//! **Architecture Invariant:** like the checker, this module knows nothing of steps, files or
//! catalogs: it is given the dotted names that may be absent and answers with character
//! offsets into the expression text.

use std::collections::BTreeSet;

use cel::common::ast::{Expr as Node, IdedExpr, LiteralValue, operators as op};

use super::Expr;

/// A read of a name that may be absent, where nothing has shown it present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnguardedRead {
    /// The dotted name read (`response.middle_name`).
    pub name: String,
    /// 0-based character offset of the read's last segment (the field) in the expression.
    pub offset: usize,
}

/// Names shown present.
type Facts = BTreeSet<String>;

/// See [`Expr::unguarded_reads`].
pub(super) fn unguarded_reads(expr: &Expr, optional: &BTreeSet<String>) -> Vec<UnguardedRead> {
    let mut walk = Walk {
        source: &expr.source,
        info: expr.program.source_info(),
        optional,
        locals: Vec::new(),
        out: Vec::new(),
    };
    walk.node(expr.program.expression(), &Facts::new(), 0);
    walk.out.sort_by_key(|r| r.offset);
    walk.out.dedup();
    walk.out
}

/// See [`Expr::shows_present`].
pub(super) fn shows_present(expr: &Expr, holds: bool) -> BTreeSet<String> {
    let optional = BTreeSet::new();
    let walk = Walk {
        source: &expr.source,
        info: expr.program.source_info(),
        optional: &optional,
        locals: Vec::new(),
        out: Vec::new(),
    };
    if holds {
        walk.when_true(expr.program.expression(), 0)
    } else {
        walk.when_false(expr.program.expression(), 0)
    }
}

/// See [`Expr::may_be_absent`].
pub(super) fn may_be_absent(expr: &Expr) -> bool {
    absent_result(expr.program.expression(), 0)
}

/// Whether the value of `node` may be `null`: a `null` literal where the result comes from.
fn absent_result(node: &IdedExpr, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return true;
    }
    match &node.expr {
        Node::Literal(LiteralValue::Null) => true,
        Node::Call(call) if call.func_name == op::CONDITIONAL && call.args.len() == 3 => {
            absent_result(&call.args[1], depth + 1) || absent_result(&call.args[2], depth + 1)
        }
        _ => false,
    }
}

/// The checker refuses deeper trees; this guard only keeps a walk of one from overflowing.
const MAX_DEPTH: usize = 256;

struct Walk<'a> {
    source: &'a str,
    info: &'a cel::common::ast::SourceInfo,
    optional: &'a BTreeSet<String>,
    /// Names bound by the enclosing comprehensions: they hide data of the same name.
    locals: Vec<String>,
    out: Vec<UnguardedRead>,
}

impl Walk<'_> {
    /// Walks `node`, evaluated where the names in `present` are known to be there.
    fn node(&mut self, node: &IdedExpr, present: &Facts, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        let depth = depth + 1;
        match &node.expr {
            Node::Ident(_) | Node::Select(_) => {
                if let Node::Select(select) = &node.expr {
                    // `has(a.b)` reads `a` and tests `b`: only `a` must be there.
                    self.node(&select.operand, present, depth);
                    if select.test {
                        return;
                    }
                }
                if let Some(path) = self.path(node)
                    && self.optional.contains(&path)
                    && !present.contains(&path)
                {
                    let offset = self.field_offset(node);
                    self.out.push(UnguardedRead { name: path, offset });
                }
            }
            Node::Call(call) => {
                let args = call.args.as_slice();
                match (call.func_name.as_str(), args) {
                    (op::CONDITIONAL, [c, then, otherwise]) => {
                        self.node(c, present, depth);
                        self.node(then, &with(present, &self.when_true(c, depth)), depth);
                        self.node(otherwise, &with(present, &self.when_false(c, depth)), depth);
                    }
                    (op::LOGICAL_AND, [a, b]) => {
                        self.node(a, &with(present, &self.when_true(b, depth)), depth);
                        self.node(b, &with(present, &self.when_true(a, depth)), depth);
                    }
                    (op::LOGICAL_OR, [a, b]) => {
                        self.node(a, &with(present, &self.when_false(b, depth)), depth);
                        self.node(b, &with(present, &self.when_false(a, depth)), depth);
                    }
                    (op::INDEX, [operand, index]) if self.path(node).is_some() => {
                        self.node(operand, present, depth);
                        self.node(index, present, depth);
                        let path = self.path(node).unwrap_or_default();
                        if self.optional.contains(&path) && !present.contains(&path) {
                            let offset = self.start(index);
                            self.out.push(UnguardedRead { name: path, offset });
                        }
                    }
                    _ => {
                        if let Some(target) = &call.target {
                            self.node(target, present, depth);
                        }
                        for arg in args {
                            self.node(arg, present, depth);
                        }
                    }
                }
            }
            Node::List(list) => {
                for e in &list.elements {
                    self.node(e, present, depth);
                }
            }
            Node::Map(map) => {
                for entry in &map.entries {
                    if let cel::common::ast::EntryExpr::MapEntry(e) = &entry.expr {
                        self.node(&e.key, present, depth);
                        self.node(&e.value, present, depth);
                    }
                }
            }
            Node::Struct(_) | Node::Literal(_) | Node::Unspecified => {}
            Node::Comprehension(c) => {
                self.node(&c.iter_range, present, depth);
                self.node(&c.accu_init, present, depth);
                let bound = 2 + usize::from(c.iter_var2.is_some());
                self.locals.push(c.iter_var.clone());
                if let Some(second) = &c.iter_var2 {
                    self.locals.push(second.clone());
                }
                self.locals.push(c.accu_var.clone());
                self.node(&c.loop_cond, present, depth);
                self.node(&c.loop_step, present, depth);
                self.node(&c.result, present, depth);
                self.locals.truncate(self.locals.len() - bound);
            }
        }
    }

    /// What `node` being true shows present.
    fn when_true(&self, node: &IdedExpr, depth: usize) -> Facts {
        if depth > MAX_DEPTH {
            return Facts::new();
        }
        let depth = depth + 1;
        match &node.expr {
            Node::Select(select) if select.test => self.path(node).into_iter().collect(),
            Node::Call(call) => match (call.func_name.as_str(), call.args.as_slice()) {
                (op::LOGICAL_NOT, [a]) => self.when_false(a, depth),
                (op::LOGICAL_AND, [a, b]) => {
                    with(&self.when_true(a, depth), &self.when_true(b, depth))
                }
                (op::LOGICAL_OR, [a, b]) => self
                    .when_true(a, depth)
                    .intersection(&self.when_true(b, depth))
                    .cloned()
                    .collect(),
                (op::CONDITIONAL, [c, t, e]) => {
                    let then = with(&self.when_true(c, depth), &self.when_true(t, depth));
                    let other = with(&self.when_false(c, depth), &self.when_true(e, depth));
                    then.intersection(&other).cloned().collect()
                }
                _ => Facts::new(),
            },
            _ => Facts::new(),
        }
    }

    /// What `node` being false shows present.
    fn when_false(&self, node: &IdedExpr, depth: usize) -> Facts {
        if depth > MAX_DEPTH {
            return Facts::new();
        }
        let depth = depth + 1;
        match &node.expr {
            Node::Call(call) => match (call.func_name.as_str(), call.args.as_slice()) {
                (op::LOGICAL_NOT, [a]) => self.when_true(a, depth),
                (op::LOGICAL_OR, [a, b]) => {
                    with(&self.when_false(a, depth), &self.when_false(b, depth))
                }
                (op::LOGICAL_AND, [a, b]) => self
                    .when_false(a, depth)
                    .intersection(&self.when_false(b, depth))
                    .cloned()
                    .collect(),
                (op::CONDITIONAL, [c, t, e]) => {
                    let then = with(&self.when_true(c, depth), &self.when_false(t, depth));
                    let other = with(&self.when_false(c, depth), &self.when_false(e, depth));
                    then.intersection(&other).cloned().collect()
                }
                _ => Facts::new(),
            },
            _ => Facts::new(),
        }
    }

    /// The dotted name a chain of selections (or `a["b"]`) denotes, from a data name that no
    /// comprehension variable hides.
    fn path(&self, node: &IdedExpr) -> Option<String> {
        match &node.expr {
            Node::Ident(name) => (!self.locals.contains(name)).then(|| name.clone()),
            Node::Select(select) => {
                Some(format!("{}.{}", self.path(&select.operand)?, select.field))
            }
            Node::Call(call) if call.func_name == op::INDEX => match call.args.as_slice() {
                [operand, index] => match &index.expr {
                    Node::Literal(LiteralValue::String(field)) => {
                        Some(format!("{}.{}", self.path(operand)?, field.inner()))
                    }
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        }
    }

    /// Where the field of a selection is written, in characters: past its dot.
    fn field_offset(&self, node: &IdedExpr) -> usize {
        let dot = self.info.offset_for(node.id).map_or(0, |(s, _)| s as usize);
        let byte = match &node.expr {
            Node::Select(select) => {
                super::checker::find_word(self.source, dot, &select.field).unwrap_or(dot)
            }
            _ => dot,
        };
        self.chars(byte)
    }

    /// Where a node's own token starts, in characters.
    fn start(&self, node: &IdedExpr) -> usize {
        let byte = self.info.offset_for(node.id).map_or(0, |(s, _)| s as usize);
        self.chars(byte)
    }

    fn chars(&self, byte: usize) -> usize {
        self.source
            .char_indices()
            .take_while(|(i, _)| *i < byte)
            .count()
    }
}

/// `a ∪ b`.
fn with(a: &Facts, b: &Facts) -> Facts {
    a.union(b).cloned().collect()
}
