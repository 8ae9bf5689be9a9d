//! The `tabveil` command.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Differentially private synthetic tabular data.
#[derive(Debug, Parser)]
#[command(name = "tabveil", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Privacy accounting: ε of a training plan, calibrated noise, per-step RDP.
    Accountant,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Accountant => ExitCode::SUCCESS,
    }
}
