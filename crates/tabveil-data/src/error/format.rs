//! Values in messages: short numbers (never 300 digits), bounds, lists of names.

/// A number for a message: plain when short, scientific otherwise (never 300 digits).
pub(crate) fn num(v: f64) -> String {
    let a = v.abs();
    if v == 0.0 || (1e-6..1e15).contains(&a) || !v.is_finite() {
        format!("{v}")
    } else {
        format!("{v:e}")
    }
}

/// Bounds for a message: `[0, 100]`, `[0, ∞)`, `(−∞, 100]`.
pub(crate) fn bounds(min: Option<f64>, max: Option<f64>) -> String {
    let lo = min.map_or_else(|| "(−∞".to_owned(), |v| format!("[{}", num(v)));
    let hi = max.map_or_else(|| "∞)".to_owned(), |v| format!("{}]", num(v)));
    format!("{lo}, {hi}")
}

/// Names for a message: `` `a`, `b` ``, at most ten and then how many more.
pub(super) fn names(list: &[String]) -> String {
    const SHOWN: usize = 10;
    let mut out = list
        .iter()
        .take(SHOWN)
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if list.len() > SHOWN {
        out.push_str(&format!(" and {} more", list.len() - SHOWN));
    }
    out
}

/// ` at line N`, or nothing when the line is unknown.
pub(super) fn at_line(line: Option<u64>) -> String {
    line.map_or_else(String::new, |l| format!(" at line {l}"))
}

/// A schema JSON error: with its position when the parser knows one (line 0: it does not, the
/// JSON is valid but not a schema).
pub(super) fn schema_json(message: &str, line: usize, col: usize) -> String {
    if line == 0 {
        format!("the JSON is not a valid schema: {message}")
    } else {
        format!("schema JSON is malformed at line {line}, column {col}: {message}")
    }
}
