//! The audit section's pieces, shared by the Markdown and HTML renderers: its headline, its
//! facts, and its SVG (the accountant's upper bound and the audit's lower bound on one ε
//! axis).

use std::fmt::Write;

use super::{delta, eps, esc, num};
use crate::audit::AuditSection;

/// One sentence: the bound at its confidence, and how it compares with the accountant's ε.
pub(super) fn headline(a: &AuditSection) -> String {
    let bound = format!(
        "{} audit: ε ≥ {} at {} % confidence (δ = {})",
        a.kind,
        lower(a.epsilon_lower_bound),
        num(100.0 * a.confidence),
        delta(a.delta)
    );
    match a.audited_epsilon {
        Some(claim) if a.exceeds_claim() => format!(
            "{bound}: ABOVE the accountant's ε ≤ {}. The implementation leaks more than it claims.",
            eps(claim)
        ),
        Some(claim) => format!("{bound}, within the accountant's ε ≤ {}.", eps(claim)),
        None => format!("{bound}; the audited run had no privacy claim."),
    }
}

/// The audit's facts, label and value.
pub(super) fn facts(a: &AuditSection) -> Vec<(String, String)> {
    let mut f = vec![
        ("audited".to_owned(), a.target.clone()),
        (
            "lower bound".to_owned(),
            format!("ε ≥ {}", lower(a.epsilon_lower_bound)),
        ),
    ];
    if let Some(c) = a.claimed_epsilon {
        f.push(("accountant, audited run".into(), format!("ε ≤ {}", eps(c))));
    }
    if let (Some(c), Some(p)) = (a.claimed_epsilon, a.audited_epsilon)
        && (c - p).abs() > 1e-9
    {
        f.push(("accountant, part audited".into(), format!("ε ≤ {}", eps(p))));
    }
    f.push((
        "canaries".into(),
        format!("{} — {}", a.canaries, a.canary_description),
    ));
    f.push((
        "guesses".into(),
        format!(
            "{} ({} \"in\", {} \"out\", the rest abstained on), {} correct",
            a.guesses, a.k_plus, a.k_minus, a.correct
        ),
    ));
    f.push((
        "abstention thresholds".into(),
        format!(
            "\"in\" at score ≥ {}, \"out\" at score ≤ {}",
            a.threshold_in.map_or_else(|| "—".into(), num),
            a.threshold_out.map_or_else(|| "—".into(), num)
        ),
    ));
    f.push(("score".into(), a.score_description.clone()));
    f.push((
        "guessing rules tried".into(),
        format!("{} (the confidence is shared among them)", a.rules_tried),
    ));
    if let Some(c) = a.combined_epsilon {
        f.push((
            "model and audit published together".into(),
            format!("ε ≤ {}", eps(c)),
        ));
    }
    f
}

/// A lower bound, rounded *down* to three decimals (the safe direction for a lower bound).
fn lower(x: f64) -> String {
    format!("{:.3}", (x * 1000.0).floor() / 1000.0)
}

/// Two horizontal bars on one ε axis: the accountant's claim (upper bound) and the audit's
/// lower bound. Hand-written SVG: well-formed XML, no fonts needed; [`figure`](super::html)
/// gives it its accessible name.
pub(super) fn svg(a: &AuditSection) -> String {
    let (w, left, right) = (640.0, 150.0, 20.0);
    let claim = a.audited_epsilon;
    let top = claim.unwrap_or(0.0).max(a.epsilon_lower_bound).max(1e-3) * 1.15;
    let x = |v: f64| left + (w - left - right) * (v / top).clamp(0.0, 1.0);
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} 150\" font-family=\"sans-serif\" font-size=\"14\">"
    );
    let _ = write!(
        s,
        "<rect x=\"0\" y=\"0\" width=\"{w}\" height=\"150\" fill=\"#ffffff\"/>"
    );
    let mut bar = |y: f64, value: f64, label: &str, text: String, colour: &str| {
        let end = x(value);
        // The value's label right of the bar, or inside its end when there is no room.
        let (tx, anchor, fill) = if end + 6.0 + 90.0 <= w {
            (end + 6.0, "start", "#1b1f24")
        } else {
            (end - 6.0, "end", "#ffffff")
        };
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text><rect x=\"{left}\" y=\"{:.1}\" width=\"{:.1}\" height=\"22\" fill=\"{colour}\"/><text x=\"{tx:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\" fill=\"{fill}\">{}</text>",
            left - 8.0,
            y + 16.0,
            esc(label),
            y,
            (end - left).max(1.0),
            y + 16.0,
            esc(&text)
        );
    };
    if let Some(c) = claim {
        bar(20.0, c, "accountant", format!("ε ≤ {}", eps(c)), "#1f4e9c");
    }
    bar(
        60.0,
        a.epsilon_lower_bound,
        "audit",
        format!("ε ≥ {}", lower(a.epsilon_lower_bound)),
        if a.exceeds_claim() {
            "#9a3412"
        } else {
            "#c85a0c"
        },
    );
    // The axis.
    let _ = write!(
        s,
        "<line x1=\"{left}\" y1=\"100\" x2=\"{:.1}\" y2=\"100\" stroke=\"#707070\"/>",
        w - right
    );
    let step = tick_step(top);
    let ticks = (top / step).floor() as u32;
    for k in 0..=ticks {
        let v = step * f64::from(k);
        let _ = write!(
            s,
            "<line x1=\"{0:.1}\" y1=\"100\" x2=\"{0:.1}\" y2=\"106\" stroke=\"#707070\"/><text x=\"{0:.1}\" y=\"124\" text-anchor=\"middle\">{1}</text>",
            x(v),
            esc(&format!("{}", (v * 1000.0).round() / 1000.0))
        );
    }
    let _ = write!(
        s,
        "<text x=\"{:.1}\" y=\"144\" text-anchor=\"middle\">ε</text></svg>",
        left + (w - left - right) / 2.0
    );
    s
}

/// A round tick spacing (1, 2 or 5 × 10ᵏ) giving at most six ticks over [0, top].
fn tick_step(top: f64) -> f64 {
    let raw = top / 5.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|&s| s >= raw)
        .unwrap_or(10.0 * magnitude)
}
