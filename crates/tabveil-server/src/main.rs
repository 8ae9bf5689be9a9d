//! `tabveil-server [--database URL] [--bind ADDR] [--data-dir DIR]`: the server without the
//! rest of the `tabveil` command (the integration tests start it as a child process).

use std::io::Write;
use std::sync::Arc;

use tabveil_server::{ServerConfig, serve};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "usage: tabveil-server [--database URL] [--bind ADDR] [--data-dir DIR]";

fn fail(message: &str) -> std::process::ExitCode {
    let _ = writeln!(std::io::stderr(), "error: {message}\n{USAGE}");
    std::process::ExitCode::from(2)
}

fn main() -> std::process::ExitCode {
    let mut args = std::env::args().skip(1);
    let mut config = ServerConfig::new("tabveil-data");
    while let Some(flag) = args.next() {
        let Some(value) = args.next() else {
            return fail(&format!("{flag} needs a value"));
        };
        match flag.as_str() {
            "--database" => config.database_url = Some(value),
            "--bind" => match value.parse() {
                Ok(addr) => config.bind = addr,
                Err(_) => {
                    return fail(&format!(
                        "--bind: `{value}` is not an address like 127.0.0.1:8080"
                    ));
                }
            },
            "--data-dir" => config.data_dir = value.into(),
            _ => return fail(&format!("unknown flag {flag}")),
        }
    }
    config.log = Some(Arc::new(|line: &str| {
        let _ = writeln!(std::io::stderr(), "{line}");
    }));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail(&format!("cannot start the runtime: {e}")),
    };
    match runtime.block_on(serve(config)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
