//! `tabveil serve [--database URL] [--bind ADDR] [--data-dir DIR]`: the synthesis service
//! (`tabveil-server`): datasets with a lifetime privacy budget, fit jobs, samples, reports and
//! a hash-chained ledger over HTTP. SQLite in the data directory by default; PostgreSQL with
//! `--database postgres://…`. Runs until SIGTERM or Ctrl-C, then drains.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use tabveil_server::{ServerConfig, serve};

/// Flags of `tabveil serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// `sqlite://FILE` or `postgres://USER:PASSWORD@HOST/DB` (default: SQLite file
    /// `tabveil.db` in the data directory).
    #[arg(long, value_name = "URL")]
    database: Option<String>,
    /// Address to listen on. Plain HTTP: keep it on loopback behind a TLS reverse proxy.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
    /// Directory of the uploaded tables, the models, the default SQLite file and the first
    /// owner's token (`admin-token`).
    #[arg(long, value_name = "DIR", default_value = "tabveil-data")]
    data_dir: PathBuf,
}

/// Runs the server until SIGTERM or Ctrl-C.
pub(crate) fn run(args: &ServeArgs) -> anyhow::Result<()> {
    let mut config = ServerConfig::new(&args.data_dir);
    config.database_url.clone_from(&args.database);
    config.bind = args.bind;
    config.log = Some(Arc::new(|line: &str| {
        let _ = writeln!(std::io::stderr(), "{line}");
    }));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(serve(config)).context("tabveil serve")?;
    Ok(())
}
