//! The parts every model saves the same way — its settings, the schema, the transformer, the
//! training record, the ledger of a private fit, and its network tensors — written and read
//! back with the same checks for every model.

use candle_core::{DType, Device, Tensor, Var};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tabveil_accountant::PrivacyLedger;
use tabveil_data::{DataTransformer, Schema};

use super::{HostTensor, SavedModel};
use crate::error::{ConfigResult, ModelError, Result};
use crate::registry::ModelKind;
use crate::shell::Basis;
use crate::synthesizer::FitSummary;

impl SavedModel {
    /// A saved model of `kind` with the parts every model saves: `config`, `schema`,
    /// `transformer`, `training` and, for a private fit, `ledger`.
    ///
    /// # Errors
    /// Serialisation failures (internal errors).
    pub(crate) fn with_basis<C: Serialize>(
        kind: ModelKind,
        config: &C,
        basis: &Basis,
        summary: &FitSummary,
    ) -> Result<Self> {
        let mut saved = SavedModel::new(kind);
        saved.put_json("config", config)?;
        saved.parts.insert("schema".into(), basis.schema.to_json()?);
        saved.put_json("transformer", &basis.transformer)?;
        saved.put_json("training", summary)?;
        if let Some(ledger) = &basis.ledger {
            saved.parts.insert("ledger".into(), ledger.to_json()?);
        }
        Ok(saved)
    }

    /// Adds the tensors of `vars` (as `f32`).
    ///
    /// # Errors
    /// Candle errors.
    pub(crate) fn put_vars(&mut self, vars: impl IntoIterator<Item = (String, Var)>) -> Result<()> {
        for (name, var) in vars {
            let shape = var.dims().to_vec();
            let values = var
                .as_tensor()
                .to_dtype(DType::F32)?
                .flatten_all()?
                .to_vec1::<f32>()?;
            self.tensors.insert(name, HostTensor { shape, values });
        }
        Ok(())
    }

    /// Reads what comes first in every model: checks the kind and that every part is one of
    /// `parts`, then reads the settings (checked by `check`), the schema and the transformer
    /// (which must have been fitted for that schema).
    ///
    /// # Errors
    /// [`ModelError::WrongModelKind`]; [`ModelError::CorruptModel`] naming the part at fault.
    pub(crate) fn read_head<C: DeserializeOwned, V>(
        &self,
        kind: ModelKind,
        parts: &[&str],
        check: impl FnOnce(C) -> ConfigResult<V>,
    ) -> Result<(V, Schema, DataTransformer)> {
        self.expect_kind(kind)?;
        if let Some(extra) = self.parts.keys().find(|k| !parts.contains(&k.as_str())) {
            return Err(ModelError::corrupt(format!("unknown part `{extra}`")));
        }
        let config: C = self.json("config")?;
        let config = check(config)
            .map_err(|e| ModelError::corrupt(format!("part `config` is invalid: {e}")))?;
        let schema_text = self
            .parts
            .get("schema")
            .ok_or_else(|| ModelError::corrupt("part `schema` is missing"))?;
        let schema = Schema::from_json(schema_text)
            .map_err(|e| ModelError::corrupt(format!("part `schema` is invalid: {e}")))?;
        let transformer: DataTransformer = self.json("transformer")?;
        if transformer.schema() != &schema {
            return Err(ModelError::corrupt(
                "the transformer was fitted for another schema",
            ));
        }
        Ok((config, schema, transformer))
    }

    /// Reads the training record and the ledger, which a private fit (`private`) must have
    /// and a non-private one must not.
    ///
    /// # Errors
    /// [`ModelError::CorruptModel`] for a missing, malformed or mismatched part.
    pub(crate) fn read_record(&self, private: bool) -> Result<(FitSummary, Option<PrivacyLedger>)> {
        let summary: FitSummary = self.json("training")?;
        let ledger = match (private, self.parts.get("ledger")) {
            (true, Some(text)) => Some(
                PrivacyLedger::from_json(text)
                    .map_err(|e| ModelError::corrupt(format!("part `ledger` is invalid: {e}")))?,
            ),
            (true, None) => return Err(ModelError::corrupt("a private model without a ledger")),
            (false, Some(_)) => {
                return Err(ModelError::corrupt("a non-private model with a ledger"));
            }
            (false, None) => None,
        };
        if summary.private.is_some() != private {
            return Err(ModelError::corrupt(
                "the training record does not match the privacy setting",
            ));
        }
        Ok((summary, ledger))
    }

    /// Sets every variable of `vars` from the saved tensor of its name (shape checked, finite
    /// values only), then refuses any tensor left over.
    ///
    /// # Errors
    /// [`ModelError::ParameterMismatch`] for a missing, misshapen, non-finite or extra tensor;
    /// Candle errors.
    pub(crate) fn take_vars(
        &mut self,
        vars: impl IntoIterator<Item = (String, Var)>,
        device: &Device,
    ) -> Result<()> {
        for (name, var) in vars {
            let shape = var.dims().to_vec();
            let values = self.take_tensor(&name, &shape)?;
            if values.iter().any(|v| !v.is_finite()) {
                return Err(ModelError::ParameterMismatch {
                    name,
                    reason: "holds a non-finite value".into(),
                });
            }
            var.set(&Tensor::from_vec(values, shape, device)?)?;
        }
        self.expect_no_more_tensors()
    }
}
