//! Checks of the schedule and the model's own settings: rows, epochs and batch size (DP-SGD
//! models), then what the model says about its settings (`ModelSpec::setting_findings`: pac,
//! discriminator steps, layer widths…), then memory.

use crate::batch::{largest_batch_at_most, min_batch_size};
use crate::finding::{Code, Finding};
use crate::format::sig;
use crate::session::Session;

pub(crate) fn check(s: &mut Session<'_>, out: &mut Vec<Finding>) {
    let config = s.config;
    let n = s.n_rows;

    if n == 0 {
        out.push(Finding::new(
            Code::NoRows,
            "n_rows",
            "the table has no rows: there is nothing to learn from.",
            "fit on a table with rows (at least a few thousand for a private fit)",
        ));
    }

    if config.model.spec().schedule().is_some() {
        dp_sgd_schedule(s, out);
    }

    let mut findings = Vec::new();
    config.model.spec().setting_findings(&mut findings);
    out.extend(findings.into_iter().map(Finding::from_setting));

    memory(s, out);
}

/// Epochs and batch size of a model trained by DP-SGD.
fn dp_sgd_schedule(s: &mut Session<'_>, out: &mut Vec<Finding>) {
    let config = s.config;
    let n = s.n_rows;
    let private = config.privacy().is_private();
    if config.epochs() == 0 {
        let fix = match s.max_epochs() {
            Some(max) => format!(
                "use between 1 and {max} epochs (the most that keep the training noise within its bound at this ε and batch size)"
            ),
            None => "use at least 1 epoch (SDV's default is 300)".to_owned(),
        };
        out.push(Finding::new(
            Code::EpochsZero,
            "epochs",
            "0 epochs: the model would not be trained.",
            fix,
        ));
    } else if n >= 1 && !s.valid.schedule && s.valid.batch {
        let fix = match s.max_epochs() {
            Some(max) => format!("use at most {max} epochs"),
            None => "use fewer epochs".to_owned(),
        };
        out.push(Finding::new(
            Code::EpochsOverflow,
            "epochs",
            format!(
                "{} epochs of batches of {} over {n} rows is more training steps than fit in 64 bits.",
                config.epochs(), config.batch_size()
            ),
            fix,
        ));
    }

    let min = min_batch_size(config);
    if n >= 1 && !(config.batch_size() >= min.max(1) && config.batch_size() <= n) {
        let what = if private {
            "the expected batch size q·n"
        } else {
            "the batch size"
        };
        let model = config.model.name();
        let sizes = config.model.spec().batch_sizes();
        let smallest = if sizes.multiple_of > 1 {
            format!(
                "{model} takes batches of at least {min}, in multiples of {}",
                sizes.multiple_of
            )
        } else {
            format!("{model} takes batches of at least {min}")
        };
        let no_batch = format!(
            "no batch size works at this ε and number of epochs ({smallest}): raise ε, use fewer epochs, or fit on more rows"
        );
        let range = match (private, s.max_batch()) {
            (true, Some(max)) => match largest_batch_at_most(config, max.min(n)) {
                Some(hi) => format!(
                    "use a batch size between {min} and {hi} (the largest that keeps the training noise within its bound at this ε and number of epochs)"
                ),
                None => no_batch,
            },
            // Computed, and nothing fits (not: not computable, e.g. for an invalid δ).
            (true, None)
                if s.planner.is_some()
                    && s.dp()
                        .is_some_and(|d| d.epsilon.is_finite() && d.epsilon > 0.0) =>
            {
                no_batch
            }
            _ => match largest_batch_at_most(config, n) {
                Some(hi) => format!("use a batch size between {min} and {hi}"),
                None => format!(
                    "the table's {n} row(s) are too few: {smallest}; fit on a table with more rows"
                ),
            },
        };
        let reason = if config.batch_size() == 0 {
            format!("{what} is 0: every batch would be empty (fewer than one expected row).")
        } else if config.batch_size() < min {
            format!(
                "{what} {} is below the smallest {model} accepts ({min}).",
                config.batch_size()
            )
        } else {
            format!(
                "{what} {} is larger than the table's {n} rows.",
                config.batch_size()
            )
        };
        out.push(Finding::new(Code::BatchRange, "batch_size", reason, range));
    }
}

fn memory(s: &mut Session<'_>, out: &mut Vec<Finding>) {
    let Some(limit) = s.options.memory_limit_bytes else {
        return;
    };
    let estimate = crate::memory::MemoryEstimate::new(s.config, s.schema, s.n_rows);
    if let Some(floor) = estimate.floor_bytes {
        model_memory(&estimate, floor, limit, out);
        return;
    }
    if estimate.total_bytes <= limit {
        return;
    }
    let mut fixes = Vec::new();
    if let Some(Some(b)) = s.memory_max_batch()
        && b < s.config.batch_size()
    {
        fixes.push(format!("reduce the batch size to at most {b}"));
    }
    if let Some((name, width)) = estimate.widest_columns.first() {
        fixes.push(format!(
            "merge rare categories or drop columns: `{name}` alone takes {width} of the {} one-hot columns",
            estimate.data_width
        ));
    }
    if fixes.is_empty() {
        fixes.push("use a machine with more memory".to_owned());
    }
    out.push(Finding::new(
        Code::Memory,
        "batch_size",
        format!(
            "the fit is estimated to need {} (data {}, networks {}, one batch {}), more than the limit of {}; the one-hot width is {} for {} parameters.",
            crate::memory::human_bytes(estimate.total_bytes),
            crate::memory::human_bytes(estimate.data_bytes),
            crate::memory::human_bytes(estimate.parameter_bytes),
            crate::memory::human_bytes(estimate.activation_bytes),
            crate::memory::human_bytes(limit),
            estimate.data_width,
            sig(estimate.parameters as f64, 3)
        ),
        fixes.join("; or "),
    ));
}

/// The memory findings of a model that is no network (the marginal model): an error when even
/// its smallest fit exceeds the limit — computed from public inputs alone, so the refusal
/// releases nothing about the data — else a warning when its largest might.
fn model_memory(
    estimate: &crate::memory::MemoryEstimate,
    floor: u64,
    limit: u64,
    out: &mut Vec<Finding>,
) {
    use crate::memory::human_bytes;
    let fix = "model fewer columns (drop some, or declare them `id`), declare fewer categories, lower `model.max_clique_cells` or, with a target, set `model.target_triples` to false; or raise the memory limit on a machine with more memory";
    if floor > limit {
        out.push(Finding::new(
            Code::ModelTooWide,
            "schema.columns",
            format!(
                "whatever the data, the fit needs at least {} for the workload's candidate marginals, the one-way histograms and the smallest model of these columns' public domains, more than the limit of {}.",
                human_bytes(floor),
                human_bytes(limit)
            ),
            fix,
        ));
    } else if estimate.total_bytes > limit {
        out.push(Finding::new(
            Code::Memory,
            "model.max_model_cells",
            format!(
                "the fit may need up to {} (data {}, model and candidate marginals at most {}), more than the limit of {}.",
                human_bytes(estimate.total_bytes),
                human_bytes(estimate.data_bytes),
                human_bytes(estimate.parameter_bytes),
                human_bytes(limit)
            ),
            format!("lower `model.max_model_cells`; or {fix}"),
        ));
    }
}
