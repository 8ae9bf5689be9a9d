//! The last guard on every line the command prints about a problem (errors, warnings, findings):
//! whatever the libraries put in a message, the user sees a line of reasonable length.
//!
//! - A number of more than [`MAX_DIGITS`] digits (`1e300` written out in full, `1e-320` with
//!   its 320 zeros) is rewritten in scientific notation.
//! - A `backtick-quoted` name longer than [`MAX_QUOTED`] characters, or any run of more than
//!   [`MAX_WORD`] characters without a space, keeps its start and end around an ellipsis.
//! - A line longer than [`MAX_LINE`] characters is cut, with an ellipsis.

use std::fmt::Write as _;

/// Longest digit run printed as it is (a `u64` has 20 digits; an `f64` printed in full, 300).
const MAX_DIGITS: usize = 24;
/// Longest quoted name printed as it is.
const MAX_QUOTED: usize = 80;
/// Longest run of non-space characters printed as it is.
const MAX_WORD: usize = 200;
/// Longest line printed.
const MAX_LINE: usize = 4000;

/// `text` with every line made safe to print (see the [module docs](self)).
pub(crate) fn text(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_LINE * 4));
    for (i, l) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&line(l));
    }
    out
}

/// One line made safe to print.
pub(crate) fn line(line: &str) -> String {
    let numbers = short_numbers(line);
    let quoted = short_quoted(&numbers);
    let words = short_words(&quoted);
    cut(&words, MAX_LINE)
}

/// Rewrites digit runs longer than [`MAX_DIGITS`] (with their sign, fraction and exponent) in
/// scientific notation.
fn short_numbers(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len());
    let mut i = 0;
    while i < chars.len() {
        let starts_number = chars[i].is_ascii_digit() && (i == 0 || !is_word_char(chars[i - 1]));
        if !starts_number {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        if i + 1 < chars.len() && chars[i] == '.' && chars[i + 1].is_ascii_digit() {
            i += 1;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
        }
        if i + 1 < chars.len() && matches!(chars[i], 'e' | 'E') {
            let mut j = i + 1;
            if j < chars.len() && matches!(chars[j], '+' | '-') {
                j += 1;
            }
            if j < chars.len() && chars[j].is_ascii_digit() {
                while j < chars.len() && chars[j].is_ascii_digit() {
                    j += 1;
                }
                i = j;
            }
        }
        let token: String = chars[start..i].iter().collect();
        let digits = token.chars().filter(char::is_ascii_digit).count();
        match token.parse::<f64>() {
            Ok(v) if digits > MAX_DIGITS && v.is_finite() => {
                let _ = write!(out, "{}", scientific(v));
            }
            _ => out.push_str(&token),
        }
    }
    out
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// `v` in scientific notation, with the shortest digits that give `v` back (`1e300`,
/// `1.5e-320`).
fn scientific(v: f64) -> String {
    format!("{v:e}")
}

/// Elides the middle of `backtick-quoted` spans longer than [`MAX_QUOTED`].
fn short_quoted(line: &str) -> String {
    let mut out = String::with_capacity(line.len().min(MAX_LINE * 2));
    let mut rest = line;
    while let Some(open) = rest.find('`') {
        out.push_str(&rest[..=open]);
        rest = &rest[open + 1..];
        match rest.find('`') {
            Some(close) => {
                out.push_str(&elide(&rest[..close], MAX_QUOTED));
                out.push('`');
                rest = &rest[close + 1..];
            }
            None => break,
        }
    }
    out.push_str(rest);
    out
}

/// Elides the middle of runs of non-space characters longer than [`MAX_WORD`].
fn short_words(line: &str) -> String {
    if !line.split(' ').any(|w| w.chars().count() > MAX_WORD) {
        return line.to_owned();
    }
    line.split(' ')
        .map(|w| elide(w, MAX_WORD))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `s` with its middle replaced by `…` when longer than `max` characters.
fn elide(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max {
        return s.to_owned();
    }
    let keep = max / 2;
    let head: String = s.chars().take(keep).collect();
    let tail: String = s.chars().skip(n - keep / 2).collect();
    format!("{head}…{tail}")
}

/// `s` cut to `max` characters, with an ellipsis.
fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_numbers_become_scientific() {
        let huge = format!("{}", 1e300_f64);
        assert_eq!(line(&format!("value {huge} is out")), "value 1e300 is out");
        let tiny = format!("{}", 1.5e-320_f64);
        assert_eq!(line(&format!("ε = {tiny}.")), "ε = 1.5e-320.");
        // Ordinary numbers, codes and versions stay.
        for keep in [
            "0.000536",
            "26049",
            "E-BATCH-RANGE",
            "1e-6",
            "v1.2.3",
            "12345678901234567",
        ] {
            assert_eq!(line(keep), keep);
        }
    }

    #[test]
    fn long_names_and_lines_are_elided() {
        let name = "x".repeat(1 << 20);
        let l = line(&format!("column `{name}` is missing"));
        assert!(l.chars().count() < 200, "{}", l.len());
        assert!(
            l.starts_with("column `xxx") && l.ends_with("x` is missing"),
            "{l}"
        );
        assert!(l.contains('…'));
        let l = line(&format!("file {name}.csv: cannot read"));
        assert!(l.chars().count() < 300);
        assert!(l.ends_with(": cannot read"));
        let l = line(&"a ".repeat(10_000));
        assert!(l.chars().count() <= MAX_LINE + 1);
    }
}
