//! `tabveil ledger verify FILE`: checks a ledger chain exported by the server
//! (`GET /datasets/{id}/ledger`): every link and hash, canonical entries, the charging rules,
//! and that the charges compose to no more than the dataset's budget. Exit 1 if it does not
//! verify.

use std::io::{Read, Write};
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use tabveil_server::chain::{ChainExport, verify};

/// `tabveil ledger …`.
#[derive(Debug, Subcommand)]
pub(crate) enum LedgerCommand {
    /// Verify an exported ledger chain (`-` reads standard input).
    Verify(VerifyArgs),
}

/// Flags of `tabveil ledger verify`.
#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// The export (JSON) of `GET /datasets/{id}/ledger`, or `-` for standard input.
    file: PathBuf,
}

/// Runs a ledger subcommand.
pub(crate) fn run(command: &LedgerCommand) -> anyhow::Result<()> {
    match command {
        LedgerCommand::Verify(args) => verify_file(args),
    }
}

fn verify_file(args: &VerifyArgs) -> anyhow::Result<()> {
    let text = if args.file.as_os_str() == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("reading standard input")?;
        s
    } else {
        std::fs::read_to_string(&args.file)
            .with_context(|| format!("reading {}", args.file.display()))?
    };
    let export: ChainExport = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a ledger chain export", args.file.display()))?;
    let summary = match verify(&export) {
        Ok(s) => s,
        Err(e) => bail!(
            "the ledger chain of dataset {} does not verify: {e}",
            export.dataset
        ),
    };
    let mut out = std::io::stdout().lock();
    let head = summary.head.as_ref().map_or_else(
        || "empty".to_owned(),
        |h| format!("head entry {} {}", h.seq, h.hash),
    );
    writeln!(
        out,
        "ok: the ledger chain of dataset {} verifies ({} entries, {head})",
        summary.dataset, summary.entries
    )?;
    writeln!(
        out,
        "budget: ε = {:.6} spent of ε_total = {} at δ = {:e} (every current charge composed by the dataset's accountant)",
        summary.epsilon_spent, summary.epsilon_total, summary.delta
    )?;
    for c in &summary.charges {
        writeln!(
            out,
            "  {:<40} {:<12} entry {:>4}  ε alone = {:.6}",
            c.subject,
            format!("{:?}", c.phase).to_lowercase(),
            c.seq,
            c.epsilon_alone
        )?;
    }
    Ok(())
}
