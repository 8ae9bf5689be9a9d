//! The self-contained HTML page: numbers, one-line readings and inline SVG plots.

use std::fmt::Write;

use super::{CONFIDENTIALITY, EvaluationReport, plots};

impl EvaluationReport {
    /// The report as one self-contained HTML page (inline CSS and SVG, no script, no external
    /// resource): headline scores, ML utility, leakage readings, the DCR histograms, the real and
    /// synthetic association heatmaps side by side, and one real-vs-synthetic distribution plot
    /// per column.
    ///
    /// # Errors
    /// [`EvalError::Plot`](crate::EvalError::Plot) if a plot cannot be drawn.
    pub fn to_html(&self) -> crate::Result<String> {
        let mut h = String::with_capacity(1 << 20);
        let m = &self.meta;
        let _ = write!(
            h,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>tabveil evaluation</title><style>{STYLE}</style></head><body>\n"
        );
        let _ = write!(
            h,
            "<h1>Synthetic data evaluation</h1><p class=\"sub\">{} synthetic rows against {} \
             real training rows{}; seed {}; tabveil-eval {}</p>\n<p class=\"warn\">{}</p>\n",
            m.synthetic_rows,
            m.real_rows,
            m.holdout_rows
                .map(|r| format!(" and {r} holdout rows"))
                .unwrap_or_default(),
            m.seed,
            esc(&m.tabveil_eval_version),
            esc(CONFIDENTIALITY)
        );

        // Headline cards.
        let q = &self.quality;
        let _ = write!(
            h,
            "<h2 id=\"quality\">Quality <small>(SDMetrics {} QualityReport definitions)</small></h2><div class=\"cards\">",
            esc(&m.sdmetrics_compatible)
        );
        for (name, v) in [
            ("Overall", q.overall),
            ("Column shapes", q.column_shapes),
            ("Column pair trends", q.column_pair_trends),
        ] {
            let _ = write!(
                h,
                "<div class=\"card\"><div class=\"big\" style=\"color:{}\">{}</div><div>{}</div></div>",
                score_colour(v),
                pct(v),
                name
            );
        }
        h.push_str("</div>\n");

        // ML utility.
        h.push_str("<h2 id=\"ml\">ML utility</h2>");
        match &self.ml {
            Some(ml) => {
                let _ = write!(
                    h,
                    "<p>Target <b>{}</b>, positive class <b>{}</b>; tested on {} holdout rows; \
                     model: {}.</p><table><tr><th></th><th>accuracy</th><th>F1 (positive)</th>\
                     <th>ROC AUC</th></tr>",
                    esc(&ml.target),
                    esc(&ml.positive_class),
                    ml.test_rows,
                    esc(&ml.model)
                );
                for (name, s) in [
                    ("train synthetic, test real (TSTR)", &ml.tstr),
                    ("train real, test real (TRTR)", &ml.trtr),
                ] {
                    let _ = write!(
                        h,
                        "<tr><td>{name}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                        num(Some(s.accuracy)),
                        num(Some(s.f1)),
                        num(s.roc_auc)
                    );
                }
                let _ = write!(
                    h,
                    "<tr><td>always the majority class</td><td>{}</td><td></td><td>0.500</td></tr></table>\
                     <p class=\"reading\">{}</p>",
                    num(Some(ml.majority_baseline_accuracy)),
                    esc(&ml.reading)
                );
            }
            None => h.push_str("<p>Not computed (see the notes below).</p>\n"),
        }

        // Privacy.
        h.push_str("<h2 id=\"privacy\">Privacy leakage</h2>");
        let p = &self.privacy;
        if let Some(d) = &p.dcr {
            h.push_str(
                "<table><tr><th>distance to closest record (Gower)</th><th>reference rows</th>\
                 <th>median</th><th>5th percentile</th><th>exact copies</th></tr>",
            );
            let mut rows = vec![("synthetic → training (all)", &d.synthetic_to_train)];
            if let Some(s) = &d.synthetic_to_train_size_matched {
                rows.push(("synthetic → training (as many rows as the holdout)", s));
            }
            if let Some(s) = &d.synthetic_to_holdout {
                rows.push(("synthetic → holdout (baseline)", s));
            }
            for (name, s) in rows {
                let _ = write!(
                    h,
                    "<tr><td>{name}</td><td>{}</td><td>{:.4}</td><td>{:.4}</td><td>{:.2} %</td></tr>",
                    s.reference_rows,
                    s.median,
                    s.p5,
                    100.0 * s.exact_copy_rate
                );
            }
            h.push_str("</table>");
            let _ = write!(h, "<p class=\"reading\">{}</p>", esc(&d.reading));
            let _ = write!(h, "<div class=\"plot\">{}</div>", plots::dcr_histogram(d)?);
        }
        if let Some(mia) = &p.membership_inference {
            let _ = write!(
                h,
                "<p><b>Membership inference</b>: AUC {:.3} (guessing: {:.1}; {} training vs {} \
                 holdout rows).</p><p class=\"reading\">{}</p>",
                mia.auc,
                mia.baseline,
                mia.members,
                mia.non_members,
                esc(&mia.reading)
            );
        }
        if let Some(aia) = &p.attribute_inference {
            let _ = write!(
                h,
                "<p><b>Attribute inference</b> on <b>{}</b> ({}): training rows {:.3}, holdout \
                 rows {:.3}, baseline {:.3}.</p><p class=\"reading\">{}</p>",
                esc(&aia.column),
                esc(&aia.metric),
                aia.train,
                aia.holdout,
                aia.baseline,
                esc(&aia.reading)
            );
        }

        // Heatmaps.
        h.push_str(
            "<h2 id=\"associations\">Pairwise association</h2><p class=\"sub\">Pearson's r between continuous \
             columns, Cramér's V (continuous columns in 10 bins) for other pairs. Blue −1, white \
             0, red +1; grey: undefined.</p><div class=\"row\">",
        );
        let _ = write!(
            h,
            "<div class=\"plot\">{}</div><div class=\"plot\">{}</div></div>",
            plots::heatmap(&self.associations, false)?,
            plots::heatmap(&self.associations, true)?
        );

        // Columns.
        h.push_str(
            "<h2 id=\"columns\">Columns</h2><table><tr><th>column</th><th>kind</th><th>shape metric</th>\
             <th>score</th><th>KS</th><th>Wasserstein-1</th><th>χ² (dof, p)</th>\
             <th>missing real / synthetic</th></tr>",
        );
        for c in &self.columns {
            let chi = c.chi_square.map_or_else(String::new, |t| {
                format!(
                    "{:.1} ({}, {:.2e})",
                    t.statistic, t.degrees_of_freedom, t.p_value
                )
            });
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{:?}</td><td>{}</td><td>{}</td><td>{}</td>\
                 <td>{}</td><td>{:.1} % / {:.1} %</td></tr>",
                esc(&c.column),
                c.kind.as_str(),
                c.shape_metric,
                num(c.shape_score),
                num(c.ks_statistic),
                c.wasserstein
                    .map_or_else(String::new, |w| format!("{w:.4}")),
                chi,
                100.0 * c.missing_real,
                100.0 * c.missing_synthetic
            );
        }
        h.push_str("</table><div class=\"grid\">");
        for c in &self.columns {
            let _ = write!(h, "<div class=\"plot\">{}</div>", plots::distribution(c)?);
        }
        h.push_str("</div>\n");

        let notes: Vec<&String> = m.notes.iter().chain(&p.notes).collect();
        if !notes.is_empty() {
            h.push_str("<h2 id=\"notes\">Notes</h2><ul>");
            for n in notes {
                let _ = write!(h, "<li>{}</li>", esc(n));
            }
            h.push_str("</ul>");
        }
        h.push_str("</body></html>\n");
        Ok(h)
    }
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px auto;\
max-width:1320px;color:#1b1b1b;padding:0 16px}h1{margin-bottom:4px}h2{margin-top:32px;border-bottom:\
1px solid #ddd;padding-bottom:4px}small{font-weight:normal;color:#666}.sub{color:#555}.warn{background:\
#fff6e0;border:1px solid #f0c36d;padding:8px 12px;border-radius:6px}.cards{display:flex;gap:16px}.card\
{border:1px solid #ddd;border-radius:8px;padding:12px 24px;text-align:center;min-width:160px}.big\
{font-size:34px;font-weight:600}table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid \
#ddd;padding:4px 10px;text-align:right}td:first-child,th:first-child{text-align:left}.reading{font-style:\
italic;color:#333}.row{display:flex;gap:24px;flex-wrap:wrap}.grid{display:flex;flex-wrap:wrap;gap:8px}\
.plot svg{display:block}";

use tabveil_data::escape_html as esc;

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_owned(), |v| format!("{:.1} %", 100.0 * v))
}

fn num(v: Option<f64>) -> String {
    v.filter(|v| v.is_finite())
        .map_or_else(|| "n/a".to_owned(), |v| format!("{v:.3}"))
}

fn score_colour(v: Option<f64>) -> &'static str {
    match v {
        Some(v) if v >= 0.8 => "#1e7b34",
        Some(v) if v >= 0.6 => "#b26a00",
        Some(_) => "#b3261e",
        None => "#666",
    }
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
