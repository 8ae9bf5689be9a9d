//! [`Value`]: one cell given in memory.

/// One cell of a row given in memory to [`Table::from_rows`](crate::Table::from_rows), or read
/// back with [`Table::row`](crate::Table::row).
///
/// - continuous columns take `Number` (or `Text`, parsed like a CSV field);
/// - datetime columns take `Number` (seconds since 1970) or `Text` in the column's format;
/// - categorical columns take `Text` (a declared category; a `Number` is matched by its text);
/// - boolean columns take `Bool` or `Text`;
/// - `Null` (or an empty `Text`) is a missing value; id columns accept anything and keep
///   nothing.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A missing value.
    Null,
    /// A number.
    Number(f64),
    /// Text, parsed according to the column's kind.
    Text(String),
    /// A boolean.
    Bool(bool),
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Number(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}
