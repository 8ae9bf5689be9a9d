//! Non-private training, as SDV's `TVAE.fit`: each epoch a fresh permutation of the rows cut
//! into batches of `batch_size` (the last one smaller: `drop_last = false`), the mean loss
//! (1/n) Σᵢ ℓᵢ of each batch, one Adam step (coupled L2) on the encoder, the decoder and σ,
//! then σ clamped.
//!
//! **No privacy guarantee**: the transformer and the networks see the raw data.

use candle_nn::Optimizer;
use rand::seq::SliceRandom;
use tabveil_sgd::{Adam, ParamsAdam};

use super::Trained;
use super::config::{TvaeConfig, ValidTvaeConfig};
use super::networks::{BatchLoss, VaeNets, standard_normal};
use crate::error::{ModelError, Result};
use crate::nn::gather_rows;
use crate::progress::{Losses, StopReason, report_epoch, report_step};
use crate::seeds::{Stream, stream};
use crate::shell::{Encoded, Fit, FitInput, encode_exactly};
use crate::synthesizer::FitSummary;

/// Fits a non-private TVAE.
pub(crate) fn fit(config: &ValidTvaeConfig, input: FitInput<'_>) -> Fit<Trained> {
    let (table, schema, device, progress) = input.parts();
    let Encoded { transformer, data } =
        encode_exactly(table, schema, &config.transformer, config.seed, progress)?;
    let n = table.n_rows();
    let dim = transformer.layout().width();
    let nets = VaeNets::for_config(config, transformer.layout(), device)?;
    let params = nets.parameters();
    let mut adam = Adam::new(
        params.iter().map(|(_, v)| v.clone()).collect(),
        adam_params(config),
    )?;
    let mut order_rng = stream(config.seed, Stream::Rows);
    let mut latent_rng = stream(config.seed, Stream::Latent);
    let e = config.embedding_dim;

    let mut order: Vec<usize> = (0..n).collect();
    let mut x = Vec::with_capacity(config.batch_size.min(n) * dim);
    let mut steps = 0u64;
    let mut epochs_done = 0;
    let mut stop = StopReason::Completed;
    'epochs: for epoch in 1..=config.epochs {
        // As `DataLoader(shuffle=True)`: a fresh permutation of the rows every epoch.
        order.shuffle(&mut order_rng);
        let mut sums = BatchLoss::default();
        for batch in order.chunks(config.batch_size) {
            let b = batch.len();
            x.clear();
            gather_rows(&data, dim, batch, &mut x);
            let eps = standard_normal::<f32, _>(b * e, &mut latent_rng);
            let scale = 1.0 / b as f64;
            let (record, loss) = nets.batch_gradients(&x, &eps, b, config.loss_factor, scale)?;
            let grads = record.sum()?;
            adam.step(&grads.to_grad_store(&params)?)?;
            nets.clamp_sigma(config.sigma_bounds)?;
            steps += 1;
            let losses = batch_losses(&loss, b as f64)?;
            sums.reconstruction += loss.reconstruction;
            sums.kld += loss.kld;
            if let Some(reason) = report_step(progress, epoch, steps, losses) {
                stop = reason;
                break 'epochs;
            }
        }
        epochs_done = epoch;
        // Means per row over the epoch.
        let means = batch_losses(&sums, n as f64)?;
        if let Some(reason) = report_epoch(progress, epoch, config.epochs, steps, means) {
            stop = reason;
            break;
        }
    }
    let fitted = Trained::new(schema.clone(), transformer, nets, None);
    Ok((fitted, FitSummary::non_private(stop, epochs_done, steps)))
}

/// TVAE's Adam settings.
pub(crate) fn adam_params(config: &TvaeConfig) -> ParamsAdam {
    ParamsAdam::new(config.learning_rate, config.betas, config.l2scale)
}

/// SDV's reported losses over `rows` rows: `loss` = `reconstruction` + `kld`, each a mean per
/// row.
fn batch_losses(loss: &BatchLoss, rows: f64) -> Result<Losses> {
    let rec = loss.reconstruction / rows;
    let kld = loss.kld / rows;
    if !(rec.is_finite() && kld.is_finite()) {
        return Err(ModelError::NonFinite {
            what: "the TVAE loss",
        });
    }
    let mut losses = Losses::new();
    losses.set("loss", rec + kld);
    losses.set("reconstruction", rec);
    losses.set("kld", kld);
    Ok(losses)
}
