//! `tabveil-service [PORT]`: the example service on 127.0.0.1 (default port 8080).

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port = match std::env::args().nth(1) {
        Some(p) => p.parse().map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "usage: tabveil-service [PORT]",
            )
        })?,
        None => 8080,
    };
    // Loopback only: the example has no authentication.
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let _ = writeln!(
        std::io::stderr(),
        "tabveil-service listening on http://{}",
        listener.local_addr()?
    );
    axum::serve(listener, tabveil_service::router()).await
}
