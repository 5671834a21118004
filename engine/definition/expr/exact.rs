//! Exact numbers inside the `cel` interpreter.
//!
//! The interpreter knows only `f64` for numbers with a fraction, and its `+` does not dispatch
//! to values of our own. Rather than write a second interpreter, a checked expression is
//! rewritten once, when it is checked: every operation the checker typed as `decimal` or
//! `money` (`+ - * /`, comparisons, `in`, `-x`, `int()`, `double()`, `string()`) becomes a call
//! of one of the functions below, and every decimal literal a call that reads its text. Those
//! functions compute with [`Decimal`] on [`Number`], an opaque value the interpreter carries
//! without looking inside. Everything else (strings, lists, macros, `has()`) stays the
//! interpreter's, whose semantics the tests already pin down.
//!
//! The functions' names start with `@`, which no name in an expression can, so a
//! methodologist can never call one directly. Int operations stay the interpreter's own
//! (exact already); an operation on two values of unknown type ([`Type::Any`], an
//! undeclared field of a map) too, with the `f64` such JSON numbers have always had.

use std::collections::HashMap;
use std::sync::Arc;

use cel::common::ast::{
    CallExpr, EntryExpr, Expr as Node, IdedExpr, LiteralValue, operators as op,
};
use cel::common::types::CelString;
use cel::objects::Opaque;
use cel::{Context, ExecutionError, Value};
use rust_decimal::prelude::ToPrimitive;

use super::Type;
use crate::money::{Decimal, Money, decimal_from_json, decimal_to_json, parse_decimal};

/// A decimal or an amount of money, as the interpreter carries it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Number {
    /// The value; an amount always has two digits after the point.
    pub value: Decimal,
    /// Whether it is money: results round to the tiyn and it is stored as text.
    pub money: bool,
}

/// Equal by value, as a person compares numbers: 90000 is 90000.00.
impl PartialEq for Number {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl Eq for Number {}

impl Opaque for Number {
    fn runtime_type_name(&self) -> &str {
        "qyzmet.number"
    }
}

impl Number {
    /// A decimal.
    pub fn decimal(value: Decimal) -> Value {
        Value::Opaque(Arc::new(Number {
            value,
            money: false,
        }))
    }

    /// An amount of money.
    pub fn money(value: Money) -> Value {
        Value::Opaque(Arc::new(Number {
            value: value.amount(),
            money: true,
        }))
    }

    /// Money rounds to the tiyn; a decimal stays as computed.
    fn value(value: Decimal, money: bool) -> Value {
        if money {
            Number::money(Money::from_decimal(value))
        } else {
            Number::decimal(value)
        }
    }

    /// The JSON the case keeps (see [`crate::money`]).
    pub fn to_json(self) -> serde_json::Value {
        if self.money {
            Money::from_decimal(self.value).to_json()
        } else {
            decimal_to_json(self.value)
        }
    }
}

/// The number a value holds: ours, or an int or a float of the interpreter's (a literal
/// `2`, a JSON number of unknown type).
fn number(value: &Value) -> Option<Number> {
    match value {
        Value::Opaque(o) => o.downcast_ref::<Number>().copied(),
        Value::Int(i) => Some(plain(Decimal::from(*i))),
        Value::UInt(u) => Some(plain(Decimal::from(*u))),
        Value::Float(f) => serde_json::Number::from_f64(*f)
            .and_then(|n| decimal_from_json(&serde_json::Value::Number(n)).ok())
            .map(plain),
        _ => None,
    }
}

fn plain(value: Decimal) -> Number {
    Number {
        value,
        money: false,
    }
}

/// The names of the functions, each with what it does.
const ADD: &str = "@exact_add";
const SUB: &str = "@exact_sub";
const MUL: &str = "@exact_mul";
const DIV: &str = "@exact_div";
const NEG: &str = "@exact_neg";
const EQ: &str = "@exact_eq";
const NE: &str = "@exact_ne";
const LT: &str = "@exact_lt";
const LE: &str = "@exact_le";
const GT: &str = "@exact_gt";
const GE: &str = "@exact_ge";
const IN: &str = "@exact_in";
const LITERAL: &str = "@exact_literal";
const INT: &str = "@exact_int";
const DOUBLE: &str = "@exact_double";
const STRING: &str = "@exact_string";
/// `money(x)` keeps its name: the checker knows it, the stdlib does not.
const MONEY: &str = "money";

/// Rewrites a checked tree (see the module's doc); `types` is the checker's type of each node.
pub(super) fn rewrite(node: &IdedExpr, types: &HashMap<u64, Type>) -> IdedExpr {
    let exact = |n: &IdedExpr| matches!(types.get(&n.id), Some(Type::Decimal | Type::Money));
    let expr = match &node.expr {
        Node::Literal(LiteralValue::Double(d)) => call(
            LITERAL,
            vec![IdedExpr {
                id: 0,
                expr: Node::Literal(LiteralValue::String(CelString::from(format!(
                    "{}",
                    d.inner()
                )))),
            }],
        ),
        Node::Call(c) => {
            let target = c.target.as_ref().map(|t| Box::new(rewrite(t, types)));
            let args: Vec<IdedExpr> = c.args.iter().map(|a| rewrite(a, types)).collect();
            let any_exact = c.args.iter().any(exact);
            let name = match (c.func_name.as_str(), c.args.len(), target.is_some()) {
                (op::ADD, 2, _) if any_exact => ADD,
                (op::SUBSTRACT, 2, _) if any_exact => SUB,
                (op::MULTIPLY, 2, _) if any_exact => MUL,
                (op::DIVIDE, 2, _) if any_exact => DIV,
                (op::NEGATE, 1, _) if any_exact => NEG,
                (op::EQUALS, 2, _) if any_exact => EQ,
                (op::NOT_EQUALS, 2, _) if any_exact => NE,
                (op::LESS, 2, _) if any_exact => LT,
                (op::LESS_EQUALS, 2, _) if any_exact => LE,
                (op::GREATER, 2, _) if any_exact => GT,
                (op::GREATER_EQUALS, 2, _) if any_exact => GE,
                (op::IN, 2, _) if exact(&c.args[0]) => IN,
                ("int", 1, false) if any_exact => INT,
                ("string", 1, false) if any_exact => STRING,
                ("double", 1, false) => DOUBLE,
                (other, _, _) => {
                    return IdedExpr {
                        id: node.id,
                        expr: Node::Call(CallExpr {
                            func_name: other.to_string(),
                            target,
                            args,
                        }),
                    };
                }
            };
            call(name, args)
        }
        Node::Select(s) => {
            let mut s = s.clone();
            s.operand = Box::new(rewrite(&s.operand, types));
            Node::Select(s)
        }
        Node::List(l) => {
            let mut l = l.clone();
            l.elements = l.elements.iter().map(|e| rewrite(e, types)).collect();
            Node::List(l)
        }
        Node::Map(m) => {
            let mut m = m.clone();
            for entry in &mut m.entries {
                if let EntryExpr::MapEntry(e) = &mut entry.expr {
                    e.key = rewrite(&e.key, types);
                    e.value = rewrite(&e.value, types);
                }
            }
            Node::Map(m)
        }
        Node::Comprehension(c) => {
            let mut c = c.clone();
            c.iter_range = rewrite(&c.iter_range, types);
            c.accu_init = rewrite(&c.accu_init, types);
            c.loop_cond = rewrite(&c.loop_cond, types);
            c.loop_step = rewrite(&c.loop_step, types);
            c.result = rewrite(&c.result, types);
            Node::Comprehension(c)
        }
        other => other.clone(),
    };
    IdedExpr { id: node.id, expr }
}

fn call(name: &str, args: Vec<IdedExpr>) -> Node {
    Node::Call(CallExpr {
        func_name: name.to_string(),
        target: None,
        args,
    })
}

/// Declares the functions in an evaluation's context.
pub(super) fn declare(context: &mut Context) -> Result<(), cel::DeclarationError> {
    context.add_function(ADD, |a: Value, b: Value| arithmetic("+", &a, &b))?;
    context.add_function(SUB, |a: Value, b: Value| arithmetic("-", &a, &b))?;
    context.add_function(MUL, |a: Value, b: Value| arithmetic("*", &a, &b))?;
    context.add_function(DIV, |a: Value, b: Value| arithmetic("/", &a, &b))?;
    context.add_function(NEG, |a: Value| {
        let n = operand("-", &a)?;
        Ok::<_, ExecutionError>(Number::value(-n.value, n.money))
    })?;
    context.add_function(EQ, |a: Value, b: Value| Value::Bool(equal(&a, &b)))?;
    context.add_function(NE, |a: Value, b: Value| Value::Bool(!equal(&a, &b)))?;
    context.add_function(LT, |a: Value, b: Value| order("<", &a, &b, |o| o.is_lt()))?;
    context.add_function(LE, |a: Value, b: Value| order("<=", &a, &b, |o| o.is_le()))?;
    context.add_function(GT, |a: Value, b: Value| order(">", &a, &b, |o| o.is_gt()))?;
    context.add_function(GE, |a: Value, b: Value| order(">=", &a, &b, |o| o.is_ge()))?;
    context.add_function(IN, |a: Value, list: Value| match list {
        Value::List(items) => Ok(Value::Bool(items.iter().any(|item| equal(&a, item)))),
        Value::Map(_) => Ok(Value::Bool(false)),
        other => Err(ExecutionError::function_error(
            "in",
            format!("`in` needs a list, not a {}", other.type_of()),
        )),
    })?;
    context.add_function(LITERAL, |text: Arc<String>| {
        parse_decimal(&text)
            .map(Number::decimal)
            .map_err(|e| ExecutionError::function_error("number", e))
    })?;
    context.add_function(INT, |a: Value| {
        let n = operand("int", &a)?;
        n.value
            .trunc()
            .to_i64()
            .map(Value::Int)
            .ok_or_else(too_large)
    })?;
    context.add_function(DOUBLE, |a: Value| match &a {
        Value::String(text) => parse_decimal(text)
            .map(Number::decimal)
            .map_err(|e| ExecutionError::function_error("double", e)),
        other => operand("double", other).map(|n| Number::decimal(n.value)),
    })?;
    context.add_function(STRING, |a: Value| {
        let n = operand("string", &a)?;
        let text = if n.money {
            Money::from_decimal(n.value).canonical()
        } else {
            n.value.normalize().to_string()
        };
        Ok::<_, ExecutionError>(Value::String(Arc::new(text)))
    })?;
    context.add_function(MONEY, |a: Value| match &a {
        Value::String(text) => Money::parse(text)
            .map(Number::money)
            .map_err(|e| ExecutionError::function_error("money", e)),
        other => operand("money", other).map(|n| Number::money(Money::from_decimal(n.value))),
    })?;
    Ok(())
}

/// The number in an operand, or the error the interpreter would give.
fn operand(function: &str, value: &Value) -> Result<Number, ExecutionError> {
    number(value).ok_or_else(|| {
        ExecutionError::function_error(function, format!("a {} is not a number", value.type_of()))
    })
}

fn too_large() -> ExecutionError {
    ExecutionError::Overflow("number", Value::Null, Value::Null)
}

/// `+ - * /` on exact numbers. Money with money, or with a number, is money (rounded to the
/// tiyn, half away from zero); money divided by money is a plain ratio.
fn arithmetic(symbol: &str, a: &Value, b: &Value) -> Result<Value, ExecutionError> {
    let (x, y) = (operand(symbol, a)?, operand(symbol, b)?);
    let result = match symbol {
        "+" => x.value.checked_add(y.value),
        "-" => x.value.checked_sub(y.value),
        "*" => x.value.checked_mul(y.value),
        _ if y.value.is_zero() => return Err(ExecutionError::DivisionByZero(a.clone())),
        _ => x.value.checked_div(y.value),
    }
    .ok_or_else(too_large)?;
    let money = match symbol {
        "/" => x.money && !y.money,
        _ => x.money || y.money,
    };
    Ok(Number::value(result, money))
}

/// `==` by value between numbers; a number never equals anything else.
fn equal(a: &Value, b: &Value) -> bool {
    match (number(a), number(b)) {
        (Some(x), Some(y)) => x.value == y.value,
        _ => false,
    }
}

/// `< <= > >=` between numbers.
fn order(
    symbol: &str,
    a: &Value,
    b: &Value,
    holds: fn(std::cmp::Ordering) -> bool,
) -> Result<Value, ExecutionError> {
    let (x, y) = (operand(symbol, a)?, operand(symbol, b)?);
    Ok(Value::Bool(holds(x.value.cmp(&y.value))))
}
