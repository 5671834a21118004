//! Expressions: the CEL of definitions, checked against the data every shipped service
//! declares (`expr::check`, whose errors are offsets into the expression) and, when they
//! check, evaluated (`expr::eval`) against case data of the declared shape or hostile data
//! of any shape: the data a citizen's application and the state systems' answers put there.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use qyzmet::definition::expr::{self, Env, Type};
use qyzmet::definition::{self, Options};
use qyzmet::yaml;
use serde_json::{Map, Value, json};

use super::mutate::{Bytes, Corpus, HOSTILE};
use super::{files, run};

struct World {
    corpus: Corpus,
    env: Env,
    /// Every declared name with its type, for the data.
    names: Vec<(String, Type)>,
}

/// Every string of the shipped workflow files that reads like an expression.
fn expressions() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut paths = files("workflows", ".yaml");
    paths.extend(files("tests/fixtures/definitions", ".yaml"));
    for path in paths {
        let Ok(doc) = yaml::read(&path) else { continue };
        let mut stack = vec![doc.value().clone()];
        while let Some(v) = stack.pop() {
            match v {
                Value::String(s) if s.len() < 300 && looks_like_expression(&s) => {
                    out.push((path.display().to_string(), s));
                }
                Value::Array(items) => stack.extend(items),
                Value::Object(map) => stack.extend(map.into_iter().map(|(_, v)| v)),
                _ => {}
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

fn looks_like_expression(s: &str) -> bool {
    [
        "==", "!=", "&&", "||", "has(", "size(", ">", "<", " + ", " * ", "money(", "date(",
    ]
    .iter()
    .any(|op| s.contains(op))
        || (s.contains('.')
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c == '_' || c == '.'))
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let report = definition::load(&[PathBuf::from("workflows")], &Options::default());
        let mut names: Vec<(String, Type)> = vec![
            ("today".into(), Type::Date),
            ("registration_number".into(), Type::String),
            ("n".into(), Type::Int),
            ("d".into(), Type::Decimal),
            ("m".into(), Type::Money),
            ("b".into(), Type::Bool),
            ("when".into(), Type::Date),
            ("e".into(), Type::Enum(vec!["a".into(), "b".into()])),
            ("l".into(), Type::List(Box::new(Type::Int))),
            ("ls".into(), Type::List(Box::new(Type::String))),
            ("map".into(), Type::Map),
            ("any".into(), Type::Any),
        ];
        for def in &report.library.definitions {
            for (name, field) in def.parameters.iter().chain(def.data.iter()) {
                names.push((name.clone(), field.ty.clone()));
            }
        }
        let mut env = Env::new();
        for (name, ty) in &names {
            env.declare(name, ty.clone());
        }
        let mut seeds = expressions();
        for s in [
            "m * 1.5 + money(d) / 3",
            "m / money('0.00')",
            "n / 0 + n % 0",
            "9223372036854775807 + n",
            "-9223372036854775808 - 1",
            "size(ls) > 0 && ls[0].contains('x') && l.all(x, x > 2)",
            "has(map.a.b) ? map.a.b : any.c[0]",
            "date('2026-02-30') < when && today >= date(registration_number)",
            "e == 'a' || e in ['b'] || 'c' in ls",
            "l.map(x, x * x).filter(y, y % 2 == 0).exists_one(z, z == 4)",
            "double(n) / 0.0 == double('nan')",
            "string(m) + string(d) + string(today)",
            "int('99999999999999999999') + uint(-1)",
            "b ? [1, 2][n] : {'k': 1}[registration_number]",
            "matches(registration_number, '(a+)+$')",
        ] {
            seeds.push(("hand-written".into(), s.to_string()));
        }
        let dict = [
            " && ",
            " || ",
            "!",
            ".",
            "(",
            ")",
            "[",
            "]",
            "{",
            "}",
            "size(",
            "has(",
            "'",
            "\"",
            "\\",
            "\\u",
            "\\x",
            "?",
            " : ",
            ",",
            " + ",
            " - ",
            " * ",
            " / ",
            " % ",
            " == ",
            " < ",
            " in ",
            "money(",
            "date(",
            "int(",
            "double(",
            "string(",
            ".all(x, ",
            ".map(x, ",
            "today",
            "n",
            "m",
            "d",
            "l",
            "ls",
            "map",
            "any",
            "e",
            "b",
            "1.5",
            "0",
            "-",
            "0x7fffffffffffffff",
            "18446744073709551615u",
            "1e308",
            "b'\\xff'",
            "r'",
            "'''",
            "null",
            "true",
            "dyn(",
            "type(",
            ".size()",
            "((((((((((",
            "))))))))))",
            "[[[[[[[[",
            "!!!!!!!!",
            "--------",
        ];
        let corpus = Corpus {
            seeds,
            dict: dict.iter().map(|s| s.to_string()).collect(),
            limit: 6 * 1024,
        };
        World { corpus, env, names }
    })
}

/// A value of `ty`, or now and then a value of no declared shape.
fn value(ty: &Type, b: &mut Bytes, depth: usize) -> Value {
    let pick = b.byte();
    if pick.is_multiple_of(5) || depth > 3 {
        return hostile(b);
    }
    match ty {
        Type::String | Type::Phone | Type::Email => {
            json!(["текст", "", "a@b.kz", "+77011234567"][pick as usize % 4])
        }
        Type::Iin => json!("520315400123"),
        Type::Int => json!([0i64, 1, -1, i64::MAX, i64::MIN, 42][pick as usize % 6]),
        Type::Decimal => json!(["1.5", "0.10", "-0"][pick as usize % 3]),
        Type::Money => json!(
            [
                "1850000.50",
                "0.01",
                "-5.00",
                "79228162514264337593543950335"
            ][pick as usize % 4]
        ),
        Type::Bool => json!(pick.is_multiple_of(2)),
        Type::Date => json!(["2026-03-15", "2024-02-29", "1952-03-15"][pick as usize % 3]),
        Type::Enum(values) => values
            .get(pick as usize % values.len().max(1))
            .map_or(Value::Null, |v| json!(v)),
        Type::List(item) => {
            let n = b.byte() % 4;
            Value::Array((0..n).map(|_| value(item, b, depth + 1)).collect())
        }
        Type::Map | Type::Any => {
            let mut m = Map::new();
            for k in ["a", "b", "c"].iter().take(b.byte() as usize % 4) {
                m.insert(k.to_string(), value(&Type::Any, b, depth + 1));
            }
            Value::Object(m)
        }
    }
}

fn hostile(b: &mut Bytes) -> Value {
    match b.byte() % 12 {
        0 => Value::Null,
        1 => json!(1e308),
        2 => json!(u64::MAX),
        3 => json!(i64::MIN),
        4 => json!(-0.0),
        5 => json!(HOSTILE[b.below(HOSTILE.len())]),
        6 => json!("x".repeat(10_000)),
        7 => json!([[[[[[[[[[]]]]]]]]]]),
        8 => json!({"a": {"b": {"c": null}}}),
        9 => json!(true),
        10 => json!("2026-02-30"),
        _ => {
            // Nesting past every limit: eval must refuse it, not overflow converting it.
            let mut v = json!(1);
            for _ in 0..200 {
                v = json!([v]);
            }
            v
        }
    }
}

/// Case data for the declared names: each present, absent or hostile.
fn data(names: &[(String, Type)], b: &mut Bytes) -> Value {
    let mut root = json!({});
    for (name, ty) in names {
        if b.is_empty() || b.byte().is_multiple_of(3) {
            continue;
        }
        let v = value(ty, b, 0);
        let segments: Vec<&str> = name.split('.').collect();
        super::put(&mut root, &segments, v);
    }
    root
}

fn expected(pick: u8) -> Option<Type> {
    [
        None,
        Some(Type::Bool),
        Some(Type::Int),
        Some(Type::Decimal),
        Some(Type::Money),
        Some(Type::String),
        Some(Type::Date),
    ][pick as usize % 7]
        .clone()
}

/// Checks `source`; every error must fall inside it. When it checks, evaluates it on data
/// the bytes make: any result or error, never a panic.
fn check(source: &str, target: Option<Type>, b: &mut Bytes) {
    let w = world();
    match expr::check(source, &w.env, target.as_ref()) {
        Err(errors) => {
            let len = source.chars().count();
            for e in errors {
                assert!(
                    e.offset <= len,
                    "offset {} in {len} characters: {e}",
                    e.offset
                );
                let _ = e.message.render(qyzmet::definition::messages::Lang::Kk);
            }
        }
        Ok(expr) => {
            let optional: BTreeSet<String> = w.names.iter().map(|(n, _)| n.clone()).collect();
            let _ = expr.unguarded_reads(&optional);
            let _ = expr.shows_present(true);
            let _ = expr.may_be_absent();
            for _ in 0..3 {
                let data = data(&w.names, b);
                let _ = expr::eval(&expr, &data);
            }
        }
    }
}

fn check_input(input: &[u8]) {
    let w = world();
    let (_, source) = w.corpus.text(input);
    let mut b = Bytes::new(input);
    let target = expected(b.byte());
    check(&source, target, &mut b);
}

/// A regression file: the expression, checked for every expected type and evaluated on
/// data made from its own bytes.
fn replay(file: &Path) {
    let bytes = std::fs::read(file).unwrap();
    let source = String::from_utf8_lossy(&bytes).into_owned();
    for pick in 0..7 {
        check(&source, expected(pick), &mut Bytes::new(&bytes));
    }
}

#[test]
fn random() {
    world();
    run("expr", replay, check_input);
}

/// The longest expression, all parentheses, and the longest chain of operators: checked
/// or refused, never a stack overflow.
#[test]
fn deep_nesting() {
    let w = world();
    let half = 2047;
    for source in [
        "(".repeat(half) + "1" + &")".repeat(half),
        "!".repeat(4095) + "b",
        "-".repeat(4095) + "1",
        "[".repeat(half) + &"]".repeat(half),
        vec!["n"; 2048].join("+"),
        "b ? ".repeat(1000) + "1" + &" : 1".repeat(1000),
    ] {
        let _ = expr::check(&source, &w.env, None);
    }
}
