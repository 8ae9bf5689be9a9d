//! The privacy ledger: the labelled, run-length-encoded history of every release.
//!
//! ```
//! use tabveil_accountant::{LedgerEntry, PrivacyEvent, PrivacyLedger, Stage};
//!
//! let mut ledger = PrivacyLedger::new();
//! let counts = PrivacyEvent::gaussian(25.0, 1)?;
//! ledger.record(
//!     LedgerEntry::new("preprocessing: counts of column sex", Stage::Preprocessing, counts)?
//!         .with_l2_sensitivity(1.0)?,
//! )?;
//! let step = PrivacyEvent::poisson_subsampled_gaussian(0.01, 1.2, 1)?;
//! for _ in 0..100 {
//!     ledger.record(LedgerEntry::new("training: discriminator", Stage::Training, step)?)?;
//! }
//! // 100 identical steps are one entry.
//! assert_eq!(ledger.entries().len(), 2);
//! assert_eq!(ledger.entries()[1].event().steps(), 100);
//! let json = ledger.to_json()?;
//! assert_eq!(PrivacyLedger::from_json(&json)?, ledger);
//! # Ok::<(), tabveil_accountant::AccountantError>(())
//! ```

use serde::{Deserialize, Serialize};

use crate::accountant::Accountant;
use crate::error::{AccountantError, Result};
use crate::event::{Neighbouring, PrivacyEvent};

/// The ledger format version this build writes. Version 2 added the discrete Gaussian, the
/// exponential mechanism and Gaussian thresholding; version 1 ledgers (Gaussian and
/// Poisson-subsampled Gaussian events only) still load, and are written back as version 2.
pub const LEDGER_FORMAT_VERSION: u32 = 2;

/// The oldest ledger format version this build reads.
const OLDEST_READABLE_VERSION: u32 = 1;

/// Which part of the pipeline released the values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Statistics of the data kept by the transformer or the samplers (counts, histograms, …).
    Preprocessing,
    /// Noisy gradient steps.
    Training,
    /// Anything else a user records.
    Other,
}

/// Where the privacy randomness (row sampling, noise) came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoiseRandomness {
    /// A CSPRNG seeded from the operating system: the guarantee holds as stated.
    #[default]
    Secure,
    /// A user-supplied `noise_seed` fixed the privacy randomness: the guarantee holds only as
    /// long as that seed stays secret.
    Seeded,
}

/// One labelled mechanism on the ledger, possibly repeated (`event().steps()` times).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawEntry")]
pub struct LedgerEntry {
    label: String,
    stage: Stage,
    event: PrivacyEvent,
    #[serde(skip_serializing_if = "Option::is_none")]
    l2_sensitivity: Option<f64>,
}

impl LedgerEntry {
    /// A ledger entry saying that `event` released what `label` names.
    ///
    /// # Errors
    /// [`AccountantError::EmptyLabel`] when the label is empty or blank.
    pub fn new(label: impl Into<String>, stage: Stage, event: PrivacyEvent) -> Result<Self> {
        let label = label.into();
        if label.trim().is_empty() {
            return Err(AccountantError::EmptyLabel);
        }
        Ok(LedgerEntry {
            label,
            stage,
            event,
            l2_sensitivity: None,
        })
    }

    /// States the mechanism's L2 sensitivity (for training, the clipping norm C), so reports
    /// can show the absolute noise scale σ·Δ.
    ///
    /// # Errors
    /// [`AccountantError::InvalidSensitivity`] unless finite and > 0.
    pub fn with_l2_sensitivity(mut self, sensitivity: f64) -> Result<Self> {
        if !(sensitivity.is_finite() && sensitivity > 0.0) {
            return Err(AccountantError::InvalidSensitivity { value: sensitivity });
        }
        self.l2_sensitivity = Some(sensitivity);
        Ok(self)
    }

    /// What was released.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Which part of the pipeline released it.
    pub fn stage(&self) -> Stage {
        self.stage
    }

    /// The mechanism and its repetition count.
    pub fn event(&self) -> &PrivacyEvent {
        &self.event
    }

    /// The stated L2 sensitivity, if any.
    pub fn l2_sensitivity(&self) -> Option<f64> {
        self.l2_sensitivity
    }

    /// Whether `other` continues this entry's run (same label, stage, sensitivity, mechanism).
    fn continues_with(&self, other: &LedgerEntry) -> bool {
        self.label == other.label
            && self.stage == other.stage
            && self.l2_sensitivity.map(f64::to_bits) == other.l2_sensitivity.map(f64::to_bits)
            && self.event.same_mechanism(&other.event)
    }
}

/// The history of every mechanism that touched the data, in order, run-length encoded.
///
/// A ledger replays into any [`Accountant`]; it is serialised with a format version. The
/// neighbouring relation is stored with it and is always [`Neighbouring::AddRemoveOne`].
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(try_from = "RawLedger")]
pub struct PrivacyLedger {
    format_version: u32,
    neighbouring: Neighbouring,
    noise_randomness: NoiseRandomness,
    entries: Vec<LedgerEntry>,
}

impl PrivacyLedger {
    /// An empty ledger: nothing released yet, secure privacy randomness.
    pub fn new() -> Self {
        PrivacyLedger {
            format_version: LEDGER_FORMAT_VERSION,
            neighbouring: Neighbouring::AddRemoveOne,
            noise_randomness: NoiseRandomness::Secure,
            entries: Vec::new(),
        }
    }

    /// Appends `entry`, merging it into the last entry when it continues the same run.
    ///
    /// # Errors
    /// [`AccountantError::CountOverflow`] if merging overflows the step count.
    pub fn record(&mut self, entry: LedgerEntry) -> Result<()> {
        if let Some(last) = self.entries.last_mut()
            && last.continues_with(&entry)
        {
            let steps = last.event.steps().checked_add(entry.event.steps()).ok_or(
                AccountantError::CountOverflow {
                    what: "ledger entry",
                },
            )?;
            last.event = last.event.with_steps(steps)?;
            return Ok(());
        }
        self.entries.push(entry);
        Ok(())
    }

    /// Records that the privacy randomness was fixed by a user-supplied seed. This cannot be
    /// undone: once seeded, always reported as seeded.
    pub fn mark_noise_seeded(&mut self) {
        self.noise_randomness = NoiseRandomness::Seeded;
    }

    /// Where the privacy randomness came from.
    pub fn noise_randomness(&self) -> NoiseRandomness {
        self.noise_randomness
    }

    /// The neighbouring relation of every entry.
    pub fn neighbouring(&self) -> Neighbouring {
        self.neighbouring
    }

    /// The entries, in the order they were recorded.
    pub fn entries(&self) -> &[LedgerEntry] {
        &self.entries
    }

    /// True when nothing has been released.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Composes every entry into `accountant`.
    ///
    /// # Errors
    /// Whatever the accountant returns for an event.
    pub fn replay_into(&self, accountant: &mut dyn Accountant) -> Result<()> {
        for entry in &self.entries {
            accountant.compose(&entry.event)?;
        }
        Ok(())
    }

    /// The ledger as pretty-printed JSON.
    ///
    /// # Errors
    /// [`AccountantError::MalformedLedger`] if serialisation fails (it does not for valid
    /// ledgers; the variant exists so no path panics).
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self).map_err(|e| AccountantError::MalformedLedger {
            message: e.to_string(),
        })
    }

    /// Reads a ledger written by [`PrivacyLedger::to_json`] (this version or an older one),
    /// checking its format version and every event.
    ///
    /// # Errors
    /// [`AccountantError::UnsupportedLedgerVersion`] for a newer (or unknown) format version,
    /// [`AccountantError::MalformedLedger`] for anything else that is wrong.
    pub fn from_json(json: &str) -> Result<Self> {
        // Read the version first, so a future format gets the precise error.
        #[derive(Deserialize)]
        struct VersionOnly {
            format_version: Option<u32>,
        }
        let version: VersionOnly =
            serde_json::from_str(json).map_err(|e| AccountantError::MalformedLedger {
                message: e.to_string(),
            })?;
        match version.format_version {
            Some(OLDEST_READABLE_VERSION..=LEDGER_FORMAT_VERSION) => {}
            Some(found) => {
                return Err(AccountantError::UnsupportedLedgerVersion {
                    found,
                    supported: LEDGER_FORMAT_VERSION,
                });
            }
            None => {
                return Err(AccountantError::MalformedLedger {
                    message: "missing field `format_version`".to_owned(),
                });
            }
        }
        serde_json::from_str(json).map_err(|e| AccountantError::MalformedLedger {
            message: e.to_string(),
        })
    }
}

/// The serialised shape of an entry; converted through the validating constructors.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    label: String,
    stage: Stage,
    event: PrivacyEvent,
    #[serde(default)]
    l2_sensitivity: Option<f64>,
}

impl TryFrom<RawEntry> for LedgerEntry {
    type Error = AccountantError;

    fn try_from(raw: RawEntry) -> Result<Self> {
        let entry = LedgerEntry::new(raw.label, raw.stage, raw.event)?;
        match raw.l2_sensitivity {
            Some(s) => entry.with_l2_sensitivity(s),
            None => Ok(entry),
        }
    }
}

/// The serialised shape of a ledger.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLedger {
    format_version: u32,
    neighbouring: Neighbouring,
    noise_randomness: NoiseRandomness,
    entries: Vec<LedgerEntry>,
}

impl TryFrom<RawLedger> for PrivacyLedger {
    type Error = AccountantError;

    fn try_from(raw: RawLedger) -> Result<Self> {
        if !(OLDEST_READABLE_VERSION..=LEDGER_FORMAT_VERSION).contains(&raw.format_version) {
            return Err(AccountantError::UnsupportedLedgerVersion {
                found: raw.format_version,
                supported: LEDGER_FORMAT_VERSION,
            });
        }
        // Entries are stored as recorded; re-recording keeps the run-length invariant even for
        // hand-edited files. An older format is read into the current one (every version-1
        // event is a version-2 event with the same fields).
        let mut ledger = PrivacyLedger {
            format_version: LEDGER_FORMAT_VERSION,
            neighbouring: raw.neighbouring,
            noise_randomness: raw.noise_randomness,
            entries: Vec::with_capacity(raw.entries.len()),
        };
        for entry in raw.entries {
            ledger.record(entry)?;
        }
        Ok(ledger)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(q: f64, sigma: f64) -> PrivacyEvent {
        PrivacyEvent::poisson_subsampled_gaussian(q, sigma, 1).unwrap()
    }

    #[test]
    fn runs_merge_only_when_everything_matches() {
        let mut ledger = PrivacyLedger::new();
        let d = |e| LedgerEntry::new("training: discriminator", Stage::Training, e).unwrap();
        ledger.record(d(step(0.01, 1.0))).unwrap();
        ledger.record(d(step(0.01, 1.0))).unwrap();
        ledger.record(d(step(0.02, 1.0))).unwrap();
        ledger.record(d(step(0.01, 1.0))).unwrap();
        ledger
            .record(LedgerEntry::new("training: other", Stage::Training, step(0.01, 1.0)).unwrap())
            .unwrap();
        let steps: Vec<u64> = ledger.entries().iter().map(|e| e.event().steps()).collect();
        assert_eq!(steps, vec![2, 1, 1, 1]);
    }

    #[test]
    fn empty_label_is_rejected() {
        assert_eq!(
            LedgerEntry::new("  ", Stage::Other, step(0.1, 1.0)),
            Err(AccountantError::EmptyLabel)
        );
    }

    #[test]
    fn seeded_noise_is_serialised() {
        let mut ledger = PrivacyLedger::new();
        ledger.mark_noise_seeded();
        let back = PrivacyLedger::from_json(&ledger.to_json().unwrap()).unwrap();
        assert_eq!(back.noise_randomness(), NoiseRandomness::Seeded);
    }

    /// A version-1 ledger, as written by tabveil before the new events, still loads and
    /// replays to the same ε; it is written back as the current version.
    #[test]
    fn version_1_ledgers_still_load() {
        let v1 = r#"{
  "format_version": 1,
  "neighbouring": "add_remove_one",
  "noise_randomness": "secure",
  "entries": [
    {
      "label": "preprocessing: counts of column sex",
      "stage": "preprocessing",
      "event": { "type": "gaussian", "noise_multiplier": 25.0, "count": 1 },
      "l2_sensitivity": 1.0
    },
    {
      "label": "training: discriminator",
      "stage": "training",
      "event": { "type": "poisson_subsampled_gaussian", "sample_rate": 0.01, "noise_multiplier": 1.2, "steps": 100 }
    }
  ]
}"#;
        let ledger = PrivacyLedger::from_json(v1).unwrap();
        assert_eq!(ledger.entries().len(), 2);
        assert_eq!(ledger.entries()[1].event().steps(), 100);
        let json = ledger.to_json().unwrap();
        assert!(json.contains(&format!("\"format_version\": {LEDGER_FORMAT_VERSION}")));
        assert_eq!(PrivacyLedger::from_json(&json).unwrap(), ledger);
    }

    #[test]
    fn other_versions_and_garbage_are_typed_errors() {
        let json = PrivacyLedger::new().to_json().unwrap().replace(
            &format!("\"format_version\": {LEDGER_FORMAT_VERSION}"),
            "\"format_version\": 99",
        );
        assert_eq!(
            PrivacyLedger::from_json(&json),
            Err(AccountantError::UnsupportedLedgerVersion {
                found: 99,
                supported: LEDGER_FORMAT_VERSION
            })
        );
        assert!(matches!(
            PrivacyLedger::from_json("{"),
            Err(AccountantError::MalformedLedger { .. })
        ));
        assert!(matches!(
            PrivacyLedger::from_json("{}"),
            Err(AccountantError::MalformedLedger { .. })
        ));
    }
}
