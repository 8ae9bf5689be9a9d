//! The `tabveil` command.
//!
//! `main` parses the command line, runs the subcommand and turns errors into exit codes:
//! 0 on success (a reader that goes away, as `| head` does, included), 2 for bad arguments —
//! a flag missing, malformed or out of range, found before anything is read or computed (one
//! line naming the flag) —, 1 for everything else: a file that cannot be read or written, data
//! or a schema that does not fit, a plan the validator refuses, a model that cannot be saved.
//! Never a panic. Every message goes through [`sanitize`], so no line carries a 300-digit
//! number or a megabyte name. Subcommands live in [`commands`], one file each.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;

mod atomic;
mod commands;
mod input;
mod progress;
mod sanitize;
mod stream;

/// mimalloc: Candle allocates a fresh buffer for every operation, and glibc's malloc serves the
/// large ones with mmap and page faults, which makes training 2–3× slower.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use commands::{Command, UsageError};

/// Differentially private synthetic tabular data.
#[derive(Debug, Parser)]
#[command(name = "tabveil", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// No progress, notes or confirmations (warnings and errors are still printed, and so are
    /// the results a command exists to print).
    #[arg(long, short, global = true)]
    quiet: bool,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return clap_error(&e),
    };
    match commands::run(cli.command, cli.quiet) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // `tabveil report … | head`: the reader went away; that is not our failure.
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            if let Some(usage) = e.downcast_ref::<UsageError>() {
                report(&format!("error: {usage}"));
                return ExitCode::from(2);
            }
            // `{:#}` prints the whole context chain on one line.
            report(&format!("error: {e:#}"));
            ExitCode::FAILURE
        }
    }
}

/// Help and version go to stdout with status 0; parse errors become one line on stderr with
/// status 2.
fn clap_error(e: &clap::Error) -> ExitCode {
    match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2))
        }
        _ => {
            report(&one_line(&e.render().to_string()));
            ExitCode::from(2)
        }
    }
}

/// clap's multi-line message as one line: the usage and "try --help" lines dropped, the rest
/// joined.
fn one_line(message: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    let mut skip_usage = false;
    for line in message.lines().map(str::trim) {
        if line.starts_with("Usage:") {
            skip_usage = true;
            continue;
        }
        if line.is_empty() {
            skip_usage = false;
            continue;
        }
        if skip_usage || line.starts_with("For more information") {
            continue;
        }
        parts.push(line);
    }
    let joined = parts.join(" ");
    if joined.starts_with("error:") {
        joined
    } else {
        format!("error: {joined}")
    }
}

fn report(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{}", sanitize::text(line));
}
