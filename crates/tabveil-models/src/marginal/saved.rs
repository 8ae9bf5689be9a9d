//! A fitted marginal model to and from the saved-model format ([`crate::persist`]).
//!
//! Parts: `config` (never the noise seed), `schema`, `state` (codings, model cells, denoised
//! fine histograms, cliques, N̂ — all public or post-processing of releases), `rounds`,
//! `training` (the [`FitSummary`]) and, in private mode, `ledger`. Tensors: one log-potential
//! per clique, `potential.<k>`, shaped by the clique's model cells. No row is saved.

use tabveil_data::Schema;

use super::config::{MarginalConfig, ValidMarginalConfig};
use super::factor::cells;
use super::{Fitted, Marginal, MarginalRound, ModelState};
use crate::error::{ModelError, Result};
use crate::persist::{HostTensor, SavedModel};
use crate::registry::ModelKind;
use crate::synthesizer::FitSummary;

const PARTS: [&str; 6] = ["config", "schema", "state", "rounds", "training", "ledger"];

pub(super) fn to_saved(
    config: &ValidMarginalConfig,
    fitted: &Fitted,
    summary: &FitSummary,
) -> Result<SavedModel> {
    let mut saved = SavedModel::new(ModelKind::Marginal);
    saved.put_json("config", config.get())?;
    saved
        .parts
        .insert("schema".into(), fitted.schema.to_json()?);
    saved.put_json("state", &fitted.state)?;
    saved.put_json("rounds", &fitted.rounds)?;
    saved.put_json("training", summary)?;
    if let Some(ledger) = &fitted.ledger {
        saved.parts.insert("ledger".into(), ledger.to_json()?);
    }
    let sizes = fitted.state.sizes();
    for (k, (clique, p)) in fitted
        .state
        .cliques
        .iter()
        .zip(&fitted.potentials)
        .enumerate()
    {
        let shape: Vec<usize> = clique.iter().map(|&a| sizes[a]).collect();
        let values = p.iter().map(|&v| v as f32).collect();
        saved
            .tensors
            .insert(format!("potential.{k}"), HostTensor { shape, values });
    }
    Ok(saved)
}

pub(super) fn from_saved(mut saved: SavedModel) -> Result<Marginal> {
    saved.expect_kind(ModelKind::Marginal)?;
    if let Some(extra) = saved.parts.keys().find(|k| !PARTS.contains(&k.as_str())) {
        return Err(ModelError::corrupt(format!("unknown part `{extra}`")));
    }
    let config: MarginalConfig = saved.json("config")?;
    let config = config
        .check()
        .map_err(|e| ModelError::corrupt(format!("part `config` is invalid: {e}")))?;
    let schema_text = saved
        .parts
        .get("schema")
        .ok_or_else(|| ModelError::corrupt("part `schema` is missing"))?;
    let schema = Schema::from_json(schema_text)
        .map_err(|e| ModelError::corrupt(format!("part `schema` is invalid: {e}")))?;
    let state: ModelState = saved.json("state")?;
    check_state(&state, &schema)?;
    let rounds: Vec<MarginalRound> = saved.json("rounds")?;
    let (summary, ledger) = saved.read_record(config.privacy.is_private())?;
    let sizes = state.sizes();
    let mut potentials = Vec::with_capacity(state.cliques.len());
    for (k, clique) in state.cliques.iter().enumerate() {
        let name = format!("potential.{k}");
        let shape: Vec<usize> = clique.iter().map(|&a| sizes[a]).collect();
        let values = saved.take_tensor(&name, &shape)?;
        if values.iter().any(|v| !v.is_finite()) {
            return Err(ModelError::ParameterMismatch {
                name,
                reason: "holds a non-finite value".into(),
            });
        }
        potentials.push(values.into_iter().map(f64::from).collect());
    }
    saved.expect_no_more_tensors()?;
    Ok(Marginal {
        config,
        fitted: Some(Fitted::new(schema, state, potentials, rounds, ledger)),
        summary: Some(summary),
    })
}

/// Every index of the state within range, so sampling a loaded model cannot panic.
fn check_state(state: &ModelState, schema: &Schema) -> Result<()> {
    let d = state.codings.len();
    if d == 0 || state.groupings.len() != d || state.fine_weights.len() != d {
        return Err(ModelError::corrupt("the state's attribute lists disagree"));
    }
    for ((c, g), w) in state
        .codings
        .iter()
        .zip(&state.groupings)
        .zip(&state.fine_weights)
    {
        let column = schema
            .columns()
            .get(c.column)
            .filter(|cs| cs.name() == c.name)
            .ok_or_else(|| {
                ModelError::corrupt(format!("column `{}` is not the schema's", c.name))
            })?;
        if c.nullable != column.is_nullable()
            || column.kind().is_discrete() != c.grid().is_none()
            || c.len() == 0
            || g.group_of.len() != c.len()
            || w.len() != c.len()
            || g.groups == 0
            || g.group_of.iter().any(|&x| x as usize >= g.groups)
            || (0..g.groups).any(|x| !g.group_of.contains(&(x as u32)))
            || w.iter().any(|v| !v.is_finite())
            || c.grid().is_some_and(|grid| !grid.is_valid())
        {
            return Err(ModelError::corrupt(format!(
                "the coding of column `{}` is inconsistent",
                c.name
            )));
        }
    }
    let sizes = state.sizes();
    for clique in &state.cliques {
        if clique.is_empty()
            || clique.windows(2).any(|w| w[0] >= w[1])
            || clique.iter().any(|&a| a >= d)
            || cells(clique, &sizes) > u32::MAX as usize / 4
        {
            return Err(ModelError::corrupt("a clique is malformed"));
        }
    }
    if !(state.total.is_finite() && state.total > 0.0) {
        return Err(ModelError::corrupt("the row estimate is not positive"));
    }
    Ok(())
}
