//! The Markdown rendering.

use std::fmt::Write;

use super::{delta, eps, num, pct, score, stage};
use crate::evaluation::EVALUATION_NOT_PRIVATE;
use crate::types::{PrivacyReport, Tuning};

/// Escapes the characters that would break a table cell or start markup.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

pub(super) fn render(r: &PrivacyReport) -> String {
    let mut m = String::with_capacity(16 * 1024);
    let _ = writeln!(m, "# {}\n", r.title());
    let _ = writeln!(m, "**{}**\n", r.headline);

    // Summary table.
    match (r.epsilon, r.delta, r.target_epsilon, &r.accountant) {
        (Some(e), Some(d), Some(t), Some(a)) => {
            let _ = writeln!(
                m,
                "| ε spent | δ | target ε | budget used | accountant |\n|---|---|---|---|---|\n| {} | {} | {} | {} | {} (upper bound) |\n",
                eps(e),
                delta(d),
                num(t),
                r.guarantee
                    .as_ref()
                    .map_or_else(String::new, |g| pct(g.budget_used)),
                a.kind
            );
            let _ = writeln!(m, "Accountant: {}\n", a.description);
        }
        _ => {
            let _ = writeln!(
                m,
                "| ε spent | δ | target ε | accountant |\n|---|---|---|---|\n| none | none | none | none |\n"
            );
        }
    }
    let md = &r.model;
    // The marginal model has no batches or epochs: its "epochs" are selection rounds.
    let schedule = if md.model == "marginal" {
        md.epochs_completed
            .map(|e| format!("{} selection rounds", num(e)))
            .unwrap_or_else(|| "selection rounds".to_owned())
    } else {
        format!(
            "batch {}, {} epochs planned{}",
            md.batch_size,
            md.epochs_planned,
            md.epochs_completed
                .map(|e| format!(", {} run", num(e)))
                .unwrap_or_default()
        )
    };
    let _ = writeln!(
        m,
        "Model: {}{} on {}{} rows × {} columns; {schedule}.\n",
        md.model,
        md.name
            .as_deref()
            .map(|n| format!(" `{n}`"))
            .unwrap_or_default(),
        if md.n_rows_estimated { "≈" } else { "" },
        md.n_rows,
        md.columns,
    );

    if let Some(g) = &r.guarantee {
        let _ = writeln!(m, "## The guarantee\n");
        for (k, v) in [
            ("Privacy unit", &g.privacy_unit),
            ("Neighbouring tables", &g.neighbouring),
            ("Trust model", &g.trust_model),
            ("Row count", &g.row_count),
            ("Scope", &g.scope),
        ] {
            let _ = writeln!(m, "- **{k}:** {v}");
        }
        let _ = writeln!(m, "\n### ε at other δ\n\n| δ | ε |\n|---|---|");
        for p in &g.epsilon_at_deltas {
            let _ = writeln!(m, "| {} | {} |", delta(p.delta), eps(p.epsilon));
        }
        m.push('\n');
    }

    if let Some(s) = &r.spending {
        let _ = writeln!(m, "## What was spent\n\n{}\n", s.note);
        let _ = writeln!(
            m,
            "| stage | ε alone | cost in the total | share |\n|---|---|---|---|"
        );
        for (name, c) in [
            ("preprocessing", &s.preprocessing),
            ("training", &s.training),
        ] {
            let _ = writeln!(
                m,
                "| {name} ({} {}) | {} | {} | {} |",
                c.entries,
                if c.entries == 1 { "entry" } else { "entries" },
                eps(c.epsilon_alone),
                eps(c.marginal_epsilon),
                pct(c.share_of_total)
            );
        }
        if let Some(t) = &s.dp_sgd {
            let _ = writeln!(
                m,
                "\n### Training (DP-SGD)\n\n| sampling rate q | expected batch | noise multiplier σ | clipping norm C | steps | epochs |\n|---|---|---|---|---|---|\n| {} | {} | {} | {} | {} | {} |",
                num(t.sample_rate),
                num(t.expected_batch),
                num(t.noise_multiplier),
                num(t.clipping_norm),
                t.steps,
                num(t.epochs)
            );
        }
        let _ = writeln!(
            m,
            "\n### Ledger\n\n| release | stage | mechanism | q | σ | sensitivity | noise std | count | ε alone | cost in the total |\n|---|---|---|---|---|---|---|---|---|---|"
        );
        for x in &s.mechanisms {
            let _ = writeln!(
                m,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                cell(&x.label),
                stage(x.stage),
                x.mechanism,
                num(x.sample_rate),
                num(x.noise_multiplier),
                x.l2_sensitivity.map_or_else(|| "—".to_owned(), num),
                x.noise_std.map_or_else(|| "—".to_owned(), num),
                x.count,
                eps(x.epsilon_alone),
                x.marginal_epsilon.map_or_else(|| "—".to_owned(), eps)
            );
        }
        if let (Some(first), Some(last)) =
            (s.epsilon_over_steps.first(), s.epsilon_over_steps.last())
        {
            let _ = writeln!(
                m,
                "\nε grew from {} after the preprocessing to {} after {} training steps.",
                eps(first.epsilon),
                eps(last.epsilon),
                last.steps
            );
        }
        m.push('\n');
    }

    let p = &r.public_and_private;
    let _ = writeln!(
        m,
        "## What was public, what was learned privately\n\n### Public (declared in schema `{}`)\n\n| column | kind | declared |\n|---|---|---|",
        cell(&p.schema_name)
    );
    for c in &p.columns {
        let _ = writeln!(
            m,
            "| {} | {} | {} |",
            cell(&c.name),
            c.kind,
            cell(&c.declared)
        );
    }
    m.push('\n');
    for f in &p.public_facts {
        let _ = writeln!(m, "- {f}");
    }
    let _ = writeln!(m, "\n### Learned from the data\n");
    for f in &p.learned_privately {
        let _ = writeln!(m, "- {f}");
    }
    m.push('\n');

    if let Some(s) = &r.safeguards {
        let _ = writeln!(m, "## Implementation safeguards\n");
        for (k, v) in [
            ("Privacy randomness", &s.randomness),
            ("Sampling", &s.sampling),
            ("Clipping", &s.clipping),
            ("Budget", &s.budget),
        ] {
            let _ = writeln!(m, "- **{k}:** {v}");
        }
        m.push('\n');
    }

    if let Some(c) = &r.context {
        let _ = writeln!(
            m,
            "## How to read this ε\n\nThis ε is in the **{}** tier ({}): {}\n\n{}\n\n| tier | ε | reading |\n|---|---|---|",
            c.tier, c.tier_range, c.tier_reading, c.tier_caveat
        );
        for (name, range, reading) in &c.tiers {
            let _ = writeln!(m, "| {name} | {range} | {} |", cell(reading));
        }
        let _ = writeln!(
            m,
            "\n### Published deployments\n\n{}\n\n| organisation | release | ε | δ | privacy unit | trust model | source |\n|---|---|---|---|---|---|---|",
            c.comparison_caveat
        );
        for d in &c.deployments {
            let checked = d
                .checked_against
                .as_deref()
                .map(|s| format!(" (number checked against: {s})"))
                .unwrap_or_default();
            let _ = writeln!(
                m,
                "| {} | {} | {} | {} | {} | {} | [{}]({}){} |",
                cell(&d.organisation),
                cell(&d.release),
                num(d.epsilon),
                d.delta.map_or_else(|| "0 (pure ε-DP)".to_owned(), delta),
                cell(&d.privacy_unit),
                cell(&d.trust_model),
                cell(&d.source),
                d.source_url,
                cell(&checked)
            );
        }
        let _ = writeln!(
            m,
            "\n### Guidance\n\n{} — [{}]({})\n",
            c.guidance_summary, c.guidance.0, c.guidance.1
        );
    }

    let _ = writeln!(m, "## Privacy and utility\n");
    match &r.evaluation {
        Some(e) => {
            let _ = writeln!(m, "| score | value |\n|---|---|");
            for (name, v) in e.named() {
                let _ = writeln!(m, "| {name} | {} |", score(v));
            }
            if let Some(eps_spent) = r.epsilon {
                let _ = writeln!(m, "\nThese scores were obtained at ε = {}.", eps(eps_spent));
            }
            let _ = writeln!(m, "\n{}", EVALUATION_NOT_PRIVATE);
        }
        None => {
            let _ = writeln!(
                m,
                "No evaluation of the synthetic data was attached to this report."
            );
        }
    }
    if let Some(t) = &r.tuning {
        tuning(&mut m, t);
    }
    m.push('\n');

    let _ = writeln!(m, "## Regulatory notes\n");
    for n in &r.regulatory_notes {
        let _ = writeln!(m, "- {n}");
    }
    let _ = writeln!(m, "\n---\n\nGenerated by {}.", r.generated_by);
    m
}

fn tuning(m: &mut String, t: &Tuning) {
    let _ = writeln!(
        m,
        "\n### Tuning\n\n{}\n\n| change | ε | epochs | batch | σ | noise on the averaged gradient | ε at the same noise |\n|---|---|---|---|---|---|---|",
        t.note
    );
    for s in &t.scenarios {
        let sigma = match (s.noise_multiplier, s.blocked_by.is_empty()) {
            (Some(v), true) => num(v),
            (Some(v), false) => format!("{} (refused: {})", num(v), s.blocked_by.join(", ")),
            (None, _) => format!("refused: {}", s.blocked_by.join(", ")),
        };
        let _ = writeln!(
            m,
            "| {} | {} | {} | {} | {} | {} | {} |",
            s.change,
            num(s.epsilon),
            s.epochs,
            s.batch_size,
            sigma,
            s.mean_gradient_noise_std
                .map_or_else(|| "—".to_owned(), num),
            s.epsilon_at_same_noise.map_or_else(|| "—".to_owned(), eps)
        );
    }
    if let Some(r) = &t.ranges {
        let _ = writeln!(m, "\nRanges for this table (the other settings fixed):\n");
        if let Some(b) = &r.batch_size {
            let _ = writeln!(
                m,
                "- batch size: {} to {}, recommended {}",
                b.min, b.max, b.recommended
            );
        }
        if let Some(e) = &r.epochs {
            let _ = writeln!(
                m,
                "- epochs: {} to {}, recommended {}",
                e.min, e.max, e.recommended
            );
        }
        if let Some(e) = &r.epsilon {
            let _ = writeln!(
                m,
                "- ε: {} to {}, recommended {}",
                num(e.min),
                num(e.max),
                num(e.recommended)
            );
        }
    }
}
