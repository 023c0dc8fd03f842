//! `ots`: the OneTimeShare command-line client.
use clap::Parser;

/// Send and receive end-to-end encrypted one-time shares.
#[derive(Parser)]
#[command(name = "ots", version)]
struct Cli {}

fn main() -> anyhow::Result<()> {
    let _ = Cli::parse();
    Ok(())
}
