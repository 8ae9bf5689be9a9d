//! The canonical JSON text of a chain entry: the bytes that are hashed.
//!
//! Rules (documented in the crate docs, § "The ledger chain"): UTF-8; no insignificant
//! whitespace; object members sorted by the bytes of their names; strings escaped as RFC 8259
//! requires and nothing more (`"`, `\`, and control characters — `\b \f \n \r \t` by name, the
//! others as `\u00XX`); integers in decimal; other numbers in the shortest form that reads back
//! to the same `f64` (serde_json's formatting); `true`, `false`, `null`.

use serde_json::Value;

/// The canonical text of `value`.
pub(crate) fn canonical(value: &Value) -> String {
    let mut out = String::new();
    write(value, &mut out);
    out
}

fn write(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            // Sorted here whatever order the map keeps (serde_json's `preserve_order` feature
            // may be on somewhere in the dependency graph).
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (name, item)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(name, out);
                out.push(':');
                write(item, out);
            }
            out.push('}');
        }
    }
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0C}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn members_are_sorted_and_whitespace_is_gone() {
        let v = json!({"b": [1, 2.5, -3e-7], "a": {"z": null, "é": true, "A": "x\"y\n\u{1}"}});
        assert_eq!(
            canonical(&v),
            r#"{"a":{"A":"x\"y\n\u0001","z":null,"é":true},"b":[1,2.5,-3e-7]}"#
        );
    }

    #[test]
    fn the_canonical_text_reads_back_to_the_same_value_and_text() {
        let v = json!({"sigma": 1.234_567_890_123_456_7, "q": 0.1, "n": 12_345_678_901_u64, "s": "σ ε"});
        let text = canonical(&v);
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, v);
        assert_eq!(canonical(&back), text);
    }
}
