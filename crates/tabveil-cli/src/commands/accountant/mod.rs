//! `tabveil accountant epsilon | sigma | rdp`: privacy accounting from the shell.
//!
//! Flags are parsed by clap into the raw `*Args` structs, then converted into validated values
//! (events, an accountant spec, δ) before the accountant is called; a value out of range is a
//! [`UsageError`](super::UsageError) naming its flag. Every result says which accountant
//! produced it, whether it is an upper bound, and the neighbouring relation (add/remove one
//! row), in text and JSON.
//!
//! One file per subcommand ([`epsilon`], [`sigma`], [`rdp`]); the flags and conversions they
//! share are in [`options`], the shared wording of the output in [`describe`].

mod describe;
mod epsilon;
mod options;
mod rdp;
mod sigma;

use clap::Subcommand;

pub(crate) use epsilon::EpsilonArgs;
pub(crate) use rdp::RdpArgs;
pub(crate) use sigma::SigmaArgs;

/// The `accountant` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum AccountantCommand {
    /// ε spent by a DP-SGD history of Poisson-subsampled Gaussian steps, at a given δ.
    Epsilon(EpsilonArgs),
    /// The noise multiplier that spends a target ε in a given number of steps.
    Sigma(SigmaArgs),
    /// The per-step Rényi DP of the subsampled Gaussian at given orders.
    Rdp(RdpArgs),
}

/// Runs an `accountant` subcommand.
pub(crate) fn run(command: &AccountantCommand) -> anyhow::Result<()> {
    match command {
        AccountantCommand::Epsilon(args) => epsilon::run(args),
        AccountantCommand::Sigma(args) => sigma::run(args),
        AccountantCommand::Rdp(args) => rdp::run(args),
    }
}
