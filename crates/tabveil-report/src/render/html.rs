//! The self-contained HTML page. It is also well-formed XML (every element closed, attributes
//! quoted, only the five XML entities), so strict parsers read it; the tests check that.

use std::fmt::Write;

use super::{delta, eps, mechanism_cell, num, pct, plots, score, stage};
use crate::audit::{AUDIT_COST, AUDIT_MEANING, AuditSection};
use crate::error::Result;
use crate::evaluation::EVALUATION_NOT_PRIVATE;
use crate::types::{
    Context, DeltaEpsilon, Guarantee, PrivacyReport, PublicAndPrivate, Safeguards, Spending, Tuning,
};

/// Inline CSS: readable on a phone (fluid layout, tables scroll sideways), printable.
const STYLE: &str = "
:root{--ink:#1b1f24;--muted:#5b6470;--line:#d9dee4;--accent:#1f4e9c;--warn:#9a3412;--bg:#fff;--soft:#f5f7fa}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--ink);background:var(--bg)}
main{max-width:980px;margin:0 auto;padding:16px}
h1{font-size:1.6rem;line-height:1.25;margin:.4em 0}
h2{font-size:1.25rem;margin:1.6em 0 .5em;padding-bottom:.2em;border-bottom:2px solid var(--line)}
h3{font-size:1.05rem;margin:1.2em 0 .4em}
p,li{max-width:75ch}
.headline{font-size:1.1rem;font-weight:600;padding:12px 14px;border-left:5px solid var(--accent);background:var(--soft)}
.headline.none{border-left-color:var(--warn);color:var(--warn)}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:10px;margin:14px 0}
.card{border:1px solid var(--line);border-radius:8px;padding:10px 12px;background:var(--bg)}
.card .v{font-size:1.5rem;font-weight:700;color:var(--accent)}
.card .k{color:var(--muted);font-size:.9rem}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;margin:8px 0}
table{border-collapse:collapse;width:100%;font-size:.92rem}
table.narrow{width:auto;min-width:50%}
th,td{border-bottom:1px solid var(--line);padding:6px 8px;text-align:left;vertical-align:top}
th{background:var(--soft);font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
figure{margin:12px 0}
figure svg{display:block;width:100%;max-width:640px;height:auto}
figcaption{color:var(--muted);font-size:.9rem}
dl.facts{display:grid;grid-template-columns:minmax(120px,max-content) 1fr;gap:6px 14px}
dl.facts dt{font-weight:600}
dl.facts dd{margin:0}
.muted{color:var(--muted)}
.seeded{color:var(--warn);font-weight:600}
footer{margin:2em 0 1em;color:var(--muted);font-size:.85rem}
@media (max-width:600px){body{font-size:15px}main{padding:10px}h1{font-size:1.3rem}dl.facts{grid-template-columns:1fr}dl.facts dd{margin-bottom:6px}}
@media print{body{font-size:10.5pt}main{max-width:none;padding:0}.scroll{overflow:visible}
h2,h3{break-after:avoid}figure,table,.card,.headline{break-inside:avoid}
a{color:inherit;text-decoration:none}a[href^='http']::after{content:' (' attr(href) ')';font-size:.8em;color:var(--muted)}
.cards{grid-template-columns:repeat(4,1fr)}}
";

/// Escapes text for HTML/XML content and attribute values.
pub(crate) use tabveil_data::escape_html as esc;

/// The page skeleton around `body`.
pub(crate) fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\
         <title>{}</title><style>{STYLE}</style></head><body><main>\n{body}</main></body></html>\n",
        esc(title)
    )
}

fn table(h: &mut String, head: &[(&str, bool)], rows: &[Vec<String>]) {
    h.push_str(if head.len() <= 3 {
        "<div class=\"scroll\"><table class=\"narrow\"><thead><tr>"
    } else {
        "<div class=\"scroll\"><table><thead><tr>"
    });
    for (name, numeric) in head {
        let _ = write!(
            h,
            "<th{}>{}</th>",
            if *numeric { " class=\"n\"" } else { "" },
            esc(name)
        );
    }
    h.push_str("</tr></thead><tbody>");
    for row in rows {
        h.push_str("<tr>");
        for (cell, (_, numeric)) in row.iter().zip(head) {
            let _ = write!(
                h,
                "<td{}>{}</td>",
                if *numeric { " class=\"n\"" } else { "" },
                cell
            );
        }
        h.push_str("</tr>");
    }
    h.push_str("</tbody></table></div>\n");
}

fn facts(h: &mut String, items: &[(&str, &str)]) {
    h.push_str("<dl class=\"facts\">");
    for (k, v) in items {
        let _ = write!(h, "<dt>{}</dt><dd>{}</dd>", esc(k), esc(v));
    }
    h.push_str("</dl>\n");
}

fn list(h: &mut String, items: &[String]) {
    h.push_str("<ul>");
    for i in items {
        let _ = write!(h, "<li>{}</li>", esc(i));
    }
    h.push_str("</ul>\n");
}

fn figure(h: &mut String, id: &str, svg: &str, caption: &str) {
    if svg.is_empty() {
        return;
    }
    // plotters writes a bare <svg>; give it an accessible name.
    let svg = svg.replacen(
        "<svg ",
        &format!("<svg role=\"img\" aria-label=\"{}\" ", esc(caption)),
        1,
    );
    let _ = writeln!(
        h,
        "<figure id=\"{id}\">{svg}<figcaption>{}</figcaption></figure>",
        esc(caption)
    );
}

pub(super) fn render(r: &PrivacyReport) -> Result<String> {
    let mut h = String::with_capacity(64 * 1024);
    let _ = writeln!(h, "<h1>{}</h1>", esc(&r.title()));
    let _ = writeln!(
        h,
        "<p class=\"headline{}\">{}</p>",
        if r.epsilon.is_none() { " none" } else { "" },
        esc(&r.headline)
    );
    cards(&mut h, r);
    if let Some(g) = &r.guarantee {
        guarantee(&mut h, r, g)?;
    }
    if let Some(s) = &r.spending {
        spending(&mut h, r, s)?;
    }
    public_and_private(&mut h, &r.public_and_private);
    if let Some(s) = &r.safeguards {
        safeguards(&mut h, s);
    }
    if let Some(c) = &r.context {
        context(&mut h, c);
    }
    utility(&mut h, r);
    if let Some(t) = &r.tuning {
        tuning(&mut h, t);
    }
    if let Some(a) = &r.audit {
        audit(&mut h, a);
    }
    h.push_str("<h2 id=\"regulatory\">Regulatory notes</h2>\n");
    list(&mut h, &r.regulatory_notes);
    let _ = writeln!(h, "<footer>Generated by {}.</footer>", esc(&r.generated_by));
    Ok(page(&r.title(), &h))
}

/// The empirical audit: its headline, an SVG of both bounds, the facts and the notes.
fn audit(h: &mut String, a: &AuditSection) {
    h.push_str("<h2 id=\"audit\">Empirical audit</h2>\n");
    let _ = writeln!(
        h,
        "<p class=\"headline\">{}</p>",
        esc(&super::audit::headline(a))
    );
    figure(
        h,
        "audit-bounds",
        &super::audit::svg(a),
        "The accountant's ε (an upper bound) and the audit's lower bound on the same axis.",
    );
    let items = super::audit::facts(a);
    let items: Vec<(&str, &str)> = items
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    facts(h, &items);
    let _ = writeln!(
        h,
        "<p>{}</p>\n<p>{}</p>",
        esc(AUDIT_MEANING),
        esc(AUDIT_COST)
    );
}

/// The headline numbers as cards, and the accountant's description.
fn cards(h: &mut String, r: &PrivacyReport) {
    h.push_str("<div class=\"cards\">");
    let card = |h: &mut String, v: String, k: &str| {
        let _ = write!(
            h,
            "<div class=\"card\"><div class=\"v\">{}</div><div class=\"k\">{}</div></div>",
            esc(&v),
            esc(k)
        );
    };
    match (r.epsilon, r.delta, r.target_epsilon, &r.accountant) {
        (Some(e), Some(d), Some(t), Some(a)) => {
            card(h, eps(e), "ε spent (upper bound)");
            card(h, delta(d), "δ");
            card(h, num(t), "target ε");
            if let Some(g) = &r.guarantee {
                card(h, pct(g.budget_used), "budget used");
            }
            card(h, a.kind.to_string(), "accountant");
        }
        _ => card(h, "none".to_owned(), "privacy guarantee"),
    }
    let md = &r.model;
    card(h, md.model.clone(), "model");
    card(
        h,
        md.n_rows.to_string(),
        if md.n_rows_estimated {
            "training rows (DP estimate)"
        } else {
            "training rows"
        },
    );
    h.push_str("</div>\n");
    if let Some(a) = &r.accountant {
        let _ = writeln!(
            h,
            "<p class=\"muted\">Accountant: {}</p>",
            esc(&a.description)
        );
    }
}

/// The guarantee in detail, ε at other δ and the ε(δ) plot.
fn guarantee(h: &mut String, r: &PrivacyReport, g: &Guarantee) -> Result<()> {
    h.push_str("<h2 id=\"guarantee\">The guarantee</h2>\n");
    facts(
        h,
        &[
            ("Privacy unit", g.privacy_unit.as_str()),
            ("Neighbouring tables", g.neighbouring.as_str()),
            ("Trust model", g.trust_model.as_str()),
            ("Row count", g.row_count.as_str()),
            ("Scope", g.scope.as_str()),
        ],
    );
    h.push_str("<h3>ε at other δ</h3>\n");
    let rows: Vec<Vec<String>> = g
        .epsilon_at_deltas
        .iter()
        .map(|p| vec![esc(&delta(p.delta)), esc(&eps(p.epsilon))])
        .collect();
    table(h, &[("δ", true), ("ε", true)], &rows);
    if let (Some(e), Some(d)) = (r.epsilon, r.delta) {
        let svg = plots::epsilon_delta(
            &g.curve,
            DeltaEpsilon {
                delta: d,
                epsilon: e,
            },
        )?;
        figure(
            h,
            "plot-epsilon-delta",
            &svg,
            "ε as a function of δ for this fit: every point on the curve is a valid (ε, δ) guarantee; the dot is the one reported.",
        );
    }

    Ok(())
}

/// What was spent: by stage, DP-SGD's settings, ε over the steps, the ledger.
fn spending(h: &mut String, r: &PrivacyReport, s: &Spending) -> Result<()> {
    h.push_str("<h2 id=\"spent\">What was spent</h2>\n");
    let _ = writeln!(h, "<p>{}</p>", esc(&s.note));
    let rows: Vec<Vec<String>> = [
        ("preprocessing", &s.preprocessing),
        ("training", &s.training),
    ]
    .iter()
    .map(|(name, c)| {
        vec![
            esc(&format!(
                "{name} ({} {})",
                c.entries,
                if c.entries == 1 { "entry" } else { "entries" }
            )),
            esc(&eps(c.epsilon_alone)),
            esc(&eps(c.marginal_epsilon)),
            esc(&pct(c.share_of_total)),
        ]
    })
    .collect();
    table(
        h,
        &[
            ("stage", false),
            ("ε alone", true),
            ("cost in the total", true),
            ("share", true),
        ],
        &rows,
    );
    if let Some(t) = &s.dp_sgd {
        h.push_str("<h3>Training (DP-SGD)</h3>\n");
        table(
            h,
            &[
                ("sampling rate q", true),
                ("expected batch", true),
                ("noise multiplier σ", true),
                ("clipping norm C", true),
                ("steps", true),
                ("epochs", true),
            ],
            &[vec![
                esc(&num(t.sample_rate)),
                esc(&num(t.expected_batch)),
                esc(&num(t.noise_multiplier)),
                esc(&num(t.clipping_norm)),
                t.steps.to_string(),
                esc(&num(t.epochs)),
            ]],
        );
    }
    if let Some(target) = r.target_epsilon {
        if s.epsilon_over_rounds.is_empty() {
            let svg = plots::epsilon_steps(&s.epsilon_over_steps, target)?;
            figure(
                h,
                "plot-epsilon-steps",
                &svg,
                "ε spent as training went on (at the report's δ); step 0 is the preprocessing alone, the dashed line the target.",
            );
        } else {
            let svg = plots::epsilon_rounds(&s.epsilon_over_rounds, target)?;
            figure(
                h,
                "plot-epsilon-rounds",
                &svg,
                "ε spent round by round (at the report's δ); a round is a selection and the marginal it measured, round 0 the one-way histograms alone, the dashed line the target.",
            );
        }
    }
    h.push_str("<h3>Ledger</h3>\n");
    let rows: Vec<Vec<String>> = s
        .mechanisms
        .iter()
        .map(|x| {
            vec![
                esc(&x.label),
                stage(x.stage).to_owned(),
                esc(&mechanism_cell(x)),
                esc(&num(x.sample_rate)),
                x.noise_multiplier
                    .map_or_else(|| "—".to_owned(), |s| esc(&num(s))),
                x.l2_sensitivity.map_or_else(|| "—".to_owned(), num),
                x.noise_std.map_or_else(|| "—".to_owned(), num),
                x.count.to_string(),
                esc(&eps(x.epsilon_alone)),
                x.marginal_epsilon.map_or_else(|| "—".to_owned(), eps),
            ]
        })
        .collect();
    table(
        h,
        &[
            ("release", false),
            ("stage", false),
            ("mechanism", false),
            ("q", true),
            ("σ", true),
            ("sensitivity", true),
            ("noise std", true),
            ("count", true),
            ("ε alone", true),
            ("cost in the total", true),
        ],
        &rows,
    );

    Ok(())
}

/// What was public and what was learned privately.
fn public_and_private(h: &mut String, p: &PublicAndPrivate) {
    let _ = writeln!(
        h,
        "<h2 id=\"public\">What was public, what was learned privately</h2>\n<h3>Public (declared in schema <code>{}</code>)</h3>",
        esc(&p.schema_name)
    );
    let rows: Vec<Vec<String>> = p
        .columns
        .iter()
        .map(|c| vec![esc(&c.name), esc(&c.kind), esc(&c.declared)])
        .collect();
    table(
        h,
        &[("column", false), ("kind", false), ("declared", false)],
        &rows,
    );
    list(h, &p.public_facts);
    h.push_str("<h3>Learned from the data</h3>\n");
    list(h, &p.learned_privately);
}

/// The implementation safeguards.
fn safeguards(h: &mut String, s: &Safeguards) {
    h.push_str("<h2 id=\"safeguards\">Implementation safeguards</h2>\n");
    let seeded = matches!(
        s.noise_randomness,
        tabveil_accountant::NoiseRandomness::Seeded
    );
    let _ = write!(
        h,
        "<dl class=\"facts\"><dt>Privacy randomness</dt><dd{}>{}</dd>",
        if seeded { " class=\"seeded\"" } else { "" },
        esc(&s.randomness)
    );
    for (k, v) in [
        ("Sampling", &s.sampling),
        ("Clipping", &s.clipping),
        ("Budget", &s.budget),
    ] {
        let _ = write!(h, "<dt>{}</dt><dd>{}</dd>", esc(k), esc(v));
    }
    h.push_str("</dl>\n");
}

/// How to read this ε: tiers, published deployments, guidance.
fn context(h: &mut String, c: &Context) {
    h.push_str("<h2 id=\"context\">How to read this ε</h2>\n");
    let _ = writeln!(
        h,
        "<p>This ε is in the <strong>{}</strong> tier ({}): {}</p><p class=\"muted\">{}</p>",
        esc(&c.tier),
        esc(&c.tier_range),
        esc(&c.tier_reading),
        esc(&c.tier_caveat)
    );
    let rows: Vec<Vec<String>> = c
        .tiers
        .iter()
        .map(|(n, range, reading)| vec![esc(n), esc(range), esc(reading)])
        .collect();
    table(
        h,
        &[("tier", false), ("ε", false), ("reading", false)],
        &rows,
    );
    let _ = writeln!(
        h,
        "<h3>Published deployments</h3>\n<p>{}</p>",
        esc(&c.comparison_caveat)
    );
    let rows: Vec<Vec<String>> = c
        .deployments
        .iter()
        .map(|d| {
            let checked = d
                .checked_against
                .as_deref()
                .map(|s| {
                    format!(
                        " <span class=\"muted\">(number checked against: {})</span>",
                        esc(s)
                    )
                })
                .unwrap_or_default();
            vec![
                esc(&d.organisation),
                esc(&d.release),
                esc(&num(d.epsilon)),
                esc(&d.delta.map_or_else(|| "0 (pure ε-DP)".to_owned(), delta)),
                esc(&d.privacy_unit),
                esc(&d.trust_model),
                format!(
                    "<a href=\"{}\">{}</a>{checked}",
                    esc(&d.source_url),
                    esc(&d.source)
                ),
            ]
        })
        .collect();
    table(
        h,
        &[
            ("organisation", false),
            ("release", false),
            ("ε", true),
            ("δ", true),
            ("privacy unit", false),
            ("trust model", false),
            ("source", false),
        ],
        &rows,
    );
    let _ = writeln!(
        h,
        "<h3>Guidance</h3>\n<p>{} <a href=\"{}\">{}</a></p>",
        esc(&c.guidance_summary),
        esc(&c.guidance.1),
        esc(&c.guidance.0)
    );
}

/// The evaluation scores, when attached.
fn utility(h: &mut String, r: &PrivacyReport) {
    h.push_str("<h2 id=\"utility\">Privacy and utility</h2>\n");
    match &r.evaluation {
        Some(e) => {
            let rows: Vec<Vec<String>> = e
                .named()
                .iter()
                .map(|(n, v)| vec![esc(n), esc(&score(*v))])
                .collect();
            table(h, &[("score", false), ("value", true)], &rows);
            if let Some(x) = r.epsilon {
                let _ = writeln!(h, "<p>These scores were obtained at ε = {}.</p>", esc(&eps(x)));
            }
            let _ = writeln!(h, "<p><strong>{}</strong></p>", esc(EVALUATION_NOT_PRIVATE));
        }
        None => h.push_str("<p class=\"muted\">No evaluation of the synthetic data was attached to this report.</p>\n"),
    }
}

fn tuning(h: &mut String, t: &Tuning) {
    let _ = writeln!(h, "<h3>Tuning</h3>\n<p>{}</p>", esc(&t.note));
    let rows: Vec<Vec<String>> = t
        .scenarios
        .iter()
        .map(|s| {
            let sigma = match (s.noise_multiplier, s.blocked_by.is_empty()) {
                (Some(v), true) => num(v),
                (Some(v), false) => format!("{} (refused: {})", num(v), s.blocked_by.join(", ")),
                (None, _) => format!("refused: {}", s.blocked_by.join(", ")),
            };
            vec![
                esc(&s.change),
                esc(&num(s.epsilon)),
                s.epochs.to_string(),
                s.batch_size.to_string(),
                esc(&sigma),
                esc(&s
                    .mean_gradient_noise_std
                    .map_or_else(|| "—".to_owned(), num)),
                esc(&s.epsilon_at_same_noise.map_or_else(|| "—".to_owned(), eps)),
            ]
        })
        .collect();
    table(
        h,
        &[
            ("change", false),
            ("ε", true),
            ("epochs", true),
            ("batch", true),
            ("σ", true),
            ("noise on the averaged gradient", true),
            ("ε at the same noise", true),
        ],
        &rows,
    );
    if let Some(r) = &t.ranges {
        h.push_str("<p>Ranges for this table (the other settings fixed):</p><ul>");
        if let Some(b) = &r.batch_size {
            let _ = write!(
                h,
                "<li>batch size: {} to {}, recommended {}</li>",
                b.min, b.max, b.recommended
            );
        }
        if let Some(e) = &r.epochs {
            let _ = write!(
                h,
                "<li>epochs: {} to {}, recommended {}</li>",
                e.min, e.max, e.recommended
            );
        }
        if let Some(e) = &r.epsilon {
            let _ = write!(
                h,
                "<li>ε: {} to {}, recommended {}</li>",
                esc(&num(e.min)),
                esc(&num(e.max)),
                esc(&num(e.recommended))
            );
        }
        h.push_str("</ul>\n");
    }
}
