//! Accountant-only use: a researcher's privacy ledger, accounted with RDP, with PLD and with
//! the Gaussian-DP approximation side by side — no model, no Candle.
//!
//! ```text
//! cargo run --release --example accountant
//! ```
//!
//! The ledger records what a private fit releases: one noisy histogram per column
//! (preprocessing), then DP-SGD steps on Poisson batches (training). Each accountant replays the
//! same ledger. RDP and PLD give upper bounds on ε (PLD the tighter one); GDP is the
//! central-limit approximation some libraries report, which is not a bound. Then the noise is
//! calibrated for a target ε with each bounding accountant.

#![allow(clippy::print_stdout, reason = "an example prints its results")]

use tabveil::accountant::{
    Accountant, AccountantSpec, BoundKind, GdpAccountant, LedgerEntry, NoiseSchedule,
    PldAccountant, PrivacyEvent, PrivacyLedger, RdpAccountant, Stage, calibrate_noise,
};

fn main() -> anyhow::Result<()> {
    let delta = 1e-6;
    let (n_rows, batch, epochs) = (26_049_u64, 500_u64, 20_u64);
    let q = batch as f64 / n_rows as f64;
    let steps = epochs * n_rows / batch;

    // The ledger: 15 noisy histograms (σ = 40), then the training steps (σ = 1.2).
    let mut ledger = PrivacyLedger::new();
    for column in 0..15 {
        let release = PrivacyEvent::gaussian(40.0, 1)?;
        ledger.record(
            LedgerEntry::new(
                format!("preprocessing: histogram of column {column}"),
                Stage::Preprocessing,
                release,
            )?
            .with_l2_sensitivity(1.0)?,
        )?;
    }
    let training = PrivacyEvent::poisson_subsampled_gaussian(q, 1.2, steps)?;
    ledger.record(
        LedgerEntry::new("training: DP-SGD", Stage::Training, training)?
            .with_l2_sensitivity(1.0)?,
    )?;
    println!(
        "ledger: {} entries; training q = {q:.4}, {steps} steps, σ = 1.2; δ = {delta:e}",
        ledger.entries().len()
    );

    // The same ledger, three accountants.
    let mut accountants: Vec<Box<dyn Accountant>> = vec![
        Box::new(RdpAccountant::default()),
        Box::new(PldAccountant::default()),
        Box::new(GdpAccountant::new()),
    ];
    println!("\n{:<6} {:>10}  kind", "", "ε");
    for accountant in &mut accountants {
        ledger.replay_into(accountant.as_mut())?;
        let g = accountant.guarantee(delta)?;
        let kind = match g.bound {
            BoundKind::UpperBound => "upper bound",
            _ => "approximation (not a bound)",
        };
        println!("{:<6} {:>10.4}  {kind}", g.accountant.name(), g.epsilon);
    }

    // The other way round: the training σ that keeps the whole pipeline within ε = 3, with the
    // preprocessing releases fixed.
    let schedule = NoiseSchedule {
        fixed: ledger
            .entries()
            .iter()
            .filter(|e| e.stage() == Stage::Preprocessing)
            .map(|e| *e.event())
            .collect(),
        calibrated: vec![(q, steps)],
    };
    println!("\ntraining σ for ε ≤ 3 at δ = {delta:e}:");
    for spec in [AccountantSpec::rdp(), AccountantSpec::pld()] {
        let c = calibrate_noise(3.0, delta, &schedule, &spec)?;
        println!(
            "{:<6} σ = {:.4} (ε = {:.4})",
            spec.kind.name(),
            c.noise_multiplier,
            c.epsilon
        );
    }
    // A ledger is serde: keep it with the model, account it again later.
    let json = ledger.to_json()?;
    let back = PrivacyLedger::from_json(&json)?;
    assert_eq!(back, ledger);
    Ok(())
}
