//! Checks of the schedule and the model's shape: rows, epochs, batch size, pac, discriminator
//! steps, layer widths.

use crate::config::ModelSettings;
use crate::finding::{Code, Finding};
use crate::format::sig;
use crate::session::Session;

pub(crate) fn check(s: &mut Session<'_>, out: &mut Vec<Finding>) {
    let config = s.config;
    let n = s.n_rows;
    let private = config.privacy.is_private();

    if n == 0 {
        out.push(Finding::new(
            Code::NoRows,
            "n_rows",
            "the table has no rows: there is nothing to learn from.",
            "fit on a table with rows (at least a few thousand for a private fit)",
        ));
    }

    if config.epochs == 0 {
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
                config.epochs, config.batch_size
            ),
            fix,
        ));
    }

    if n >= 1 && !(config.batch_size >= 1 && config.batch_size <= n) {
        let what = if private {
            "the expected batch size q·n"
        } else {
            "the batch size"
        };
        let range = match (private, s.max_batch()) {
            (true, Some(max)) => format!(
                "use a batch size between 1 and {max} (the largest that keeps the training noise within its bound at this ε and number of epochs)"
            ),
            _ => format!("use a batch size between 1 and the table's {n} rows"),
        };
        let reason = if config.batch_size == 0 {
            format!("{what} is 0: every batch would be empty (fewer than one expected row).")
        } else {
            format!(
                "{what} {} is larger than the table's {n} rows.",
                config.batch_size
            )
        };
        out.push(Finding::new(Code::BatchRange, "batch_size", reason, range));
    }

    match &config.model {
        ModelSettings::Ctgan(c) => {
            if c.pac == 0 {
                out.push(Finding::new(
                    Code::PacRange,
                    "model.pac",
                    "pac = 0: the discriminator would see no rows.",
                    if private {
                        "set pac = 1 (private mode)"
                    } else {
                        "set pac ≥ 1 (SDV's default is 10)"
                    },
                ));
            } else if private && c.pac != 1 {
                out.push(Finding::new(
                    Code::DpPac,
                    "model.pac",
                    format!(
                        "pac = {}: each discriminator input would pack {} rows, so one person's row would change a whole pack and the per-example clipping would not bound one person's influence.",
                        c.pac, c.pac
                    ),
                    "set pac = 1 for private training",
                ));
            } else if !private && config.batch_size >= 1 && !config.batch_size.is_multiple_of(c.pac)
            {
                let lower = config.batch_size / c.pac * c.pac;
                let upper = lower.saturating_add(c.pac);
                let nearest = if lower >= c.pac {
                    format!("{lower} or {upper}")
                } else {
                    upper.to_string()
                };
                out.push(Finding::new(
                    Code::BatchNotMultipleOfPac,
                    "batch_size",
                    format!(
                        "batch size {} is not a multiple of pac = {}: the discriminator packs pac rows per input.",
                        config.batch_size, c.pac
                    ),
                    format!("use batch size {nearest}"),
                ));
            }
            if c.discriminator_steps == 0 {
                out.push(Finding::new(
                    Code::DiscriminatorStepsZero,
                    "model.discriminator_steps",
                    "discriminator_steps = 0: the discriminator would never be trained.",
                    "set discriminator_steps = 1 (SDV's default)",
                ));
            }
            shape(
                out,
                c.embedding_dim,
                &[
                    ("generator_dims", &c.generator_dims),
                    ("discriminator_dims", &c.discriminator_dims),
                ],
                "SDV's CTGAN uses embedding_dim 128 and [256, 256] for both networks",
            );
        }
        ModelSettings::Tvae(t) => shape(
            out,
            t.embedding_dim,
            &[
                ("compress_dims", &t.compress_dims),
                ("decompress_dims", &t.decompress_dims),
            ],
            "SDV's TVAE uses embedding_dim 128 and [128, 128] for both networks",
        ),
        // No network: `validate` does not run the schedule checks for it.
        ModelSettings::Marginal(_) => {}
    }

    memory(s, out);
}

fn shape(out: &mut Vec<Finding>, embedding: u64, layers: &[(&str, &Vec<u64>)], default: &str) {
    if embedding == 0 {
        out.push(Finding::new(
            Code::NetworkShape,
            "model.embedding_dim",
            "embedding_dim = 0: the network would have no input noise or latent space.",
            format!("use a positive size; {default}"),
        ));
    }
    for (name, dims) in layers {
        if dims.contains(&0) {
            out.push(Finding::new(
                Code::NetworkShape,
                format!("model.{name}"),
                format!("{name} = {dims:?} has a layer of width 0."),
                format!("use positive widths; {default}"),
            ));
        }
    }
}

fn memory(s: &mut Session<'_>, out: &mut Vec<Finding>) {
    let Some(limit) = s.options.memory_limit_bytes else {
        return;
    };
    let estimate = crate::memory::MemoryEstimate::new(s.config, s.schema, s.n_rows);
    if estimate.total_bytes <= limit {
        return;
    }
    let mut fixes = Vec::new();
    if let Some(Some(b)) = s.memory_max_batch()
        && b < s.config.batch_size
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
