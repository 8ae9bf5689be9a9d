//! A private fit that fails after its preprocessing released statistics hands those releases
//! back with the error, so that a retry on the same data can be accounted for.

#![allow(clippy::unwrap_used, reason = "tests")]

mod common;

use std::ops::ControlFlow;

use common::{dp, tiny};
use tabveil_accountant::{Accountant, RdpAccountant, Stage};
use tabveil_models::{Ctgan, CtganConfig, ModelError, Progress, Synthesizer, Tvae, TvaeConfig};

/// Cancels at the first fitted continuous column (after every release was made).
struct CancelInPreprocessing;

impl Progress for CancelInPreprocessing {
    fn preprocessing(&mut self, _done: usize, _total: usize, _column: &str) -> ControlFlow<()> {
        ControlFlow::Break(())
    }
}

fn assert_spent(error: &ModelError, columns: usize) {
    assert!(error.spent_ledger().is_some(), "no ledger in {error:?}");
    let spent = error.spent_ledger().unwrap();
    assert_eq!(
        spent.entries().len(),
        columns,
        "one release per modelled column"
    );
    assert!(
        spent
            .entries()
            .iter()
            .all(|e| e.stage() == Stage::Preprocessing)
    );
    let mut accountant = RdpAccountant::default();
    spent.replay_into(&mut accountant).unwrap();
    assert!(accountant.epsilon(1e-6).unwrap() > 0.0);
    assert!(error.to_string().contains("release"), "{error}");
}

#[test]
fn a_batch_larger_than_the_row_estimate_returns_the_releases() {
    let (schema, table) = tiny(); // 300 rows
    let config = CtganConfig::new(dp(3))
        .with_epochs(1)
        .with_batch_size(500)
        .with_dims(vec![8], vec![8])
        .with_embedding_dim(4)
        .check()
        .unwrap();
    let error = Ctgan::new(config)
        .fit(&table, &schema, &mut tabveil_models::NoProgress)
        .unwrap_err();
    assert!(
        matches!(&error, ModelError::SpentThenFailed { error, .. }
            if matches!(**error, ModelError::BatchLargerThanTable { estimated: true, .. })),
        "{error:?}"
    );
    assert_spent(&error, 4);
    assert!(!error.is_cancelled());
}

#[test]
fn cancelling_the_preprocessing_returns_the_releases() {
    let (schema, table) = tiny();
    let ctgan = CtganConfig::new(dp(3)).with_epochs(1).check().unwrap();
    let error = Ctgan::new(ctgan)
        .fit(&table, &schema, &mut CancelInPreprocessing)
        .unwrap_err();
    assert!(error.is_cancelled(), "{error:?}");
    assert_spent(&error, 4);

    let tvae = TvaeConfig::new(dp(3)).with_epochs(1).check().unwrap();
    let error = Tvae::new(tvae)
        .fit(&table, &schema, &mut CancelInPreprocessing)
        .unwrap_err();
    assert!(error.is_cancelled(), "{error:?}");
    assert_spent(&error, 4);
}

/// A fit that diverges during training (an absurd learning rate) returns the preprocessing
/// releases and every training step taken before the failure.
#[test]
fn a_fit_that_diverges_during_training_returns_its_steps() {
    let (schema, table) = tiny();
    let mut ctgan = CtganConfig::new(dp(3))
        .with_epochs(5)
        .with_batch_size(60)
        .with_dims(vec![8], vec![8])
        .with_embedding_dim(4);
    ctgan.discriminator_lr = 1e30;
    ctgan.generator_lr = 1e30;
    let error = Ctgan::new(ctgan.check().unwrap())
        .fit(&table, &schema, &mut tabveil_models::NoProgress)
        .unwrap_err();
    assert!(error.spent_ledger().is_some(), "{error:?}");
    let spent = error.spent_ledger().unwrap();
    let training: u64 = spent
        .entries()
        .iter()
        .filter(|e| e.stage() == Stage::Training)
        .map(|e| e.event().steps())
        .sum();
    assert!(training >= 1, "{error:?}");
    assert!(
        matches!(&error, ModelError::SpentThenFailed { error, .. } if matches!(**error, ModelError::NonFinite { .. })),
        "{error:?}"
    );
}
