//! Auditing on the paved path: [`Synthesizer::audit_white_box`] and
//! [`Synthesizer::audit_black_box`] run `tabveil-audit` on the facade's own fit, and a fitted
//! model can carry an audit into its privacy report ([`Fitted::attach_audit`],
//! [`save_audit_into`]).
//!
//! **An audit run is a private run of its own.** It fits the same configuration on the same
//! data (with canaries added), so its result is a release about that data: publishing it beside
//! a model spends the ε of both runs together, and the report section says so with the
//! combined ε. To audit without spending anything on the real data, run the audit on a public
//! table of the same schema.
//!
//! ```
//! use tabveil::prelude::*;
//! use tabveil::audit::BlackBoxConfig;
//!
//! let schema = Schema::new("t", vec![
//!     ColumnSchema::continuous("x", Some(0.0), Some(10.0)),
//!     ColumnSchema::categorical("c", ["a", "b", "c"]),
//! ])?;
//! let rows: Vec<Vec<Value>> = (0..300)
//!     .map(|i| vec![Value::Number((i % 10) as f64), Value::from(["a", "b"][i % 2])])
//!     .collect();
//! let table = Table::from_rows(&schema, &rows)?;
//! let small = TvaeConfig::new(tabveil::models::Privacy::NonPrivate).with_dims(vec![16], vec![16]);
//! let synth = Synthesizer::builder()
//!     .tvae_with(small)
//!     .private(Epsilon(3.0), Delta(1e-6))
//!     .epochs(1)
//!     .batch_size(100)
//!     .build()?;
//! let config = BlackBoxConfig::default().with_canaries(20).with_synthetic_rows(200);
//! let audit = synth.audit_black_box(&table, &schema, &config, &mut NoProgress)?;
//! assert!(!audit.exceeds_claim());
//! println!("{}", audit.to_text());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::Path;

use tabveil_accountant::{PrivacyLedger, epsilon_of};
use tabveil_audit::{
    AuditError, AuditReport, BlackBoxConfig, BlackBoxRun, BlackBoxTarget, WhiteBoxConfig,
};
use tabveil_data::{Schema, Table};
use tabveil_models::Progress;

use crate::error::{Error, Result};
use crate::fitted::{AUDIT_FILE, Fitted};
use crate::synthesizer::Synthesizer;

impl Synthesizer {
    /// Fits this configuration on `table` under a white-box audit (every DP-SGD release
    /// observed, Dirac canaries sampled, clipped and noised with the real rows) and returns
    /// the audit. The plan is validated first, as by [`fit`](Self::fit). The audited model is
    /// not returned: it trained beside the canaries.
    ///
    /// # Errors
    /// [`Error::Rejected`] for a plan the validator refuses; [`Error::Audit`] for a
    /// non-private configuration (nothing to observe) and the fit's errors.
    pub fn audit_white_box(
        &self,
        table: &Table,
        schema: &Schema,
        config: &WhiteBoxConfig,
        progress: &mut dyn Progress,
    ) -> Result<AuditReport> {
        self.check_plan(table, schema)?;
        let mut model = self.settings.spec().init(&self.device)?;
        Ok(tabveil_audit::audit_white_box(
            model.as_mut(),
            &self.describe(),
            &self.device,
            table,
            schema,
            config,
            progress,
        )?)
    }

    /// Audits this configuration black-box: canary rows from the public schema are added to
    /// `table` with probability ½ each, the facade fits exactly as [`fit`](Self::fit) does
    /// (validation and private preprocessing included), and the canaries are scored from the
    /// synthetic rows. Works for every model the facade builds.
    ///
    /// # Errors
    /// [`Error::Rejected`] for a plan the validator refuses; [`Error::Audit`] for a schema
    /// without public bounds or categories; the fit's and the sampler's errors.
    pub fn audit_black_box(
        &self,
        table: &Table,
        schema: &Schema,
        config: &BlackBoxConfig,
        progress: &mut dyn Progress,
    ) -> Result<AuditReport> {
        self.check_plan(table, schema)?;
        let mut target = FacadeTarget {
            synth: self,
            progress,
        };
        tabveil_audit::audit_black_box(&mut target, table, schema, config).map_err(|e| match e {
            // The facade's own errors come back as they were.
            AuditError::Target(inner) => match inner.downcast::<Error>() {
                Ok(facade) => *facade,
                Err(other) => Error::Audit(AuditError::Target(other)),
            },
            e => Error::Audit(e),
        })
    }

    /// "DP-CTGAN, ε = 3" or "CTGAN (no privacy)".
    fn describe(&self) -> String {
        let model = self.settings.name();
        match self.settings.spec().privacy().dp() {
            Some(dp) => format!("DP-{model}, ε = {}", dp.epsilon),
            None => format!("{model} (no privacy)"),
        }
    }
}

/// The facade's fit as a black-box target.
struct FacadeTarget<'a> {
    synth: &'a Synthesizer,
    progress: &'a mut dyn Progress,
}

impl BlackBoxTarget for FacadeTarget<'_> {
    fn describe(&self) -> String {
        self.synth.describe()
    }

    fn fit_and_sample(
        &mut self,
        table: &Table,
        schema: &Schema,
        rows: usize,
    ) -> tabveil_audit::Result<BlackBoxRun> {
        let boxed = |e: Error| AuditError::Target(Box::new(e));
        let fitted = self
            .synth
            .fit_with_progress(table, schema, &mut *self.progress)
            .map_err(boxed)?;
        let synthetic = fitted.sample(rows, 0).map_err(boxed)?;
        let config = fitted.training_config();
        Ok(BlackBoxRun {
            synthetic,
            ledger: fitted.ledger().cloned(),
            claim: config.dp().map(|dp| (dp.accountant.clone(), dp.delta)),
            noise_seeded: config.dp().is_some_and(|dp| dp.noise_seeded),
        })
    }
}

/// Saves `audit` into the model directory `dir` (which must hold a model saved by
/// [`Fitted::save`]), so that the model's privacy report shows it. The file is written to a
/// temporary name and renamed; an existing audit file is replaced.
///
/// # Errors
/// The load errors of [`Fitted::load`] when `dir` holds no model; [`Error::Io`].
pub fn save_audit_into(dir: &Path, audit: &AuditReport) -> Result<()> {
    Fitted::load(dir)?;
    let path = dir.join(AUDIT_FILE);
    // A name of our own, created new: a file already there (a user's, or another process's
    // half-written audit) is never truncated or replaced; only `AUDIT_FILE` is.
    let tmp = dir.join(format!(".{AUDIT_FILE}.{}.tmp", std::process::id()));
    let io = |p: &Path, e: std::io::Error| Error::Io {
        path: p.display().to_string(),
        message: e.to_string(),
    };
    let json = audit.to_json()?;
    let written = (|| -> std::io::Result<()> {
        use std::io::Write as _;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        file.write_all(json.as_bytes())?;
        file.sync_all()
    })();
    if let Err(e) = written {
        if e.kind() != std::io::ErrorKind::AlreadyExists {
            let _ = std::fs::remove_file(&tmp);
        }
        return Err(io(&tmp, e));
    }
    std::fs::rename(&tmp, &path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io(&path, e)
    })
}

/// Reads the audit saved in `dir`, if there is one.
pub(crate) fn load_audit(dir: &Path) -> Result<Option<AuditReport>> {
    let path = dir.join(AUDIT_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some(AuditReport::from_json(&text)?)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        }),
    }
}

/// ε of a model's ledger and an audit run's ledger together, with the model's accountant.
pub(crate) fn combined_epsilon(
    model: Option<&PrivacyLedger>,
    audit: &AuditReport,
    fitted: &Fitted,
) -> Result<Option<f64>> {
    let config = fitted.training_config();
    let (Some(dp), Some(model), Some(run)) = (config.dp(), model, audit.ledger.as_ref()) else {
        return Ok(None);
    };
    let mut both = PrivacyLedger::new();
    for entry in model.entries().iter().chain(run.entries()) {
        both.record(entry.clone())?;
    }
    Ok(Some(epsilon_of(&both, &dp.accountant, dp.delta)?.epsilon))
}
