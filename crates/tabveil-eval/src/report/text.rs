//! The readable text summary.

use std::fmt::Write;

use super::{CONFIDENTIALITY, EvaluationReport};

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_owned(), |v| format!("{:.1} %", 100.0 * v))
}

fn num(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.3}"))
}

impl EvaluationReport {
    /// A readable summary: quality scores, ML utility, leakage readings, the worst columns.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        let m = &self.meta;
        let _ = writeln!(
            s,
            "Evaluation of {} synthetic rows against {} real rows{} (seed {})",
            m.synthetic_rows,
            m.real_rows,
            m.holdout_rows
                .map(|h| format!(" and {h} holdout rows"))
                .unwrap_or_default(),
            m.seed
        );
        let q = &self.quality;
        let _ = writeln!(
            s,
            "\nQuality (SDMetrics {} QualityReport)",
            m.sdmetrics_compatible
        );
        let _ = writeln!(s, "  overall             {}", pct(q.overall));
        let _ = writeln!(s, "  column shapes       {}", pct(q.column_shapes));
        let _ = writeln!(s, "  column pair trends  {}", pct(q.column_pair_trends));
        let mut worst: Vec<_> = self
            .columns
            .iter()
            .filter_map(|c| c.shape_score.map(|v| (v, c)))
            .collect();
        worst.sort_by(|a, b| a.0.total_cmp(&b.0));
        if !worst.is_empty() {
            let _ = writeln!(s, "  weakest columns:");
            for (score, c) in worst.iter().take(3) {
                let _ = writeln!(
                    s,
                    "    {:<24} {:?} {}",
                    c.column,
                    c.shape_metric,
                    pct(Some(*score))
                );
            }
        }
        let _ = writeln!(s, "\nML utility");
        match &self.ml {
            Some(ml) => {
                let _ = writeln!(
                    s,
                    "  target {} (positive class {:?}), {} holdout rows, model: {}",
                    ml.target, ml.positive_class, ml.test_rows, ml.model
                );
                let _ = writeln!(s, "                 accuracy   F1      ROC AUC");
                let _ = writeln!(
                    s,
                    "  TSTR           {:<10} {:<7} {}",
                    num(Some(ml.tstr.accuracy)),
                    num(Some(ml.tstr.f1)),
                    num(ml.tstr.roc_auc)
                );
                let _ = writeln!(
                    s,
                    "  TRTR           {:<10} {:<7} {}",
                    num(Some(ml.trtr.accuracy)),
                    num(Some(ml.trtr.f1)),
                    num(ml.trtr.roc_auc)
                );
                let _ = writeln!(
                    s,
                    "  majority-class accuracy {}",
                    num(Some(ml.majority_baseline_accuracy))
                );
                let _ = writeln!(s, "  → {}", ml.reading);
            }
            None => {
                let _ = writeln!(s, "  not computed (see notes)");
            }
        }
        let p = &self.privacy;
        let _ = writeln!(s, "\nPrivacy leakage");
        if let Some(d) = &p.dcr {
            let t = &d.synthetic_to_train;
            let _ = writeln!(
                s,
                "  DCR synthetic→train (all {} rows): median {:.4}, 5th pct {:.4}, exact copies {:.2} %",
                t.reference_rows,
                t.median,
                t.p5,
                100.0 * t.exact_copy_rate
            );
            if let (Some(a), Some(b)) =
                (&d.synthetic_to_train_size_matched, &d.synthetic_to_holdout)
            {
                let _ = writeln!(
                    s,
                    "  DCR synthetic→train ({} rows):  median {:.4}, 5th pct {:.4}, exact copies {:.2} %",
                    a.reference_rows,
                    a.median,
                    a.p5,
                    100.0 * a.exact_copy_rate
                );
                let _ = writeln!(
                    s,
                    "  DCR synthetic→holdout ({} rows): median {:.4}, 5th pct {:.4}, exact copies {:.2} %",
                    b.reference_rows,
                    b.median,
                    b.p5,
                    100.0 * b.exact_copy_rate
                );
            }
            let _ = writeln!(s, "  → {}", d.reading);
        }
        if let Some(mia) = &p.membership_inference {
            let _ = writeln!(
                s,
                "  membership inference AUC {:.3} (baseline {:.1}; {} members vs {} non-members)",
                mia.auc, mia.baseline, mia.members, mia.non_members
            );
            let _ = writeln!(s, "  → {}", mia.reading);
        }
        if let Some(aia) = &p.attribute_inference {
            let _ = writeln!(
                s,
                "  attribute inference on {} ({}): train {:.3}, holdout {:.3}, baseline {:.3}",
                aia.column, aia.metric, aia.train, aia.holdout, aia.baseline
            );
            let _ = writeln!(s, "  → {}", aia.reading);
        }
        let notes: Vec<&String> = m.notes.iter().chain(&p.notes).collect();
        if !notes.is_empty() {
            let _ = writeln!(s, "\nNotes");
            for n in notes {
                let _ = writeln!(s, "  - {n}");
            }
        }
        let _ = writeln!(s, "\n{CONFIDENTIALITY}");
        s
    }
}
