//! `ots`: the OneTimeShare command-line client. `main` only wires flags, the
//! runtime, Ctrl-C and the exit code; each command lives in its own module.
#![forbid(unsafe_code)]

mod api;
mod error;
mod get;
mod links;
mod manage;
mod names;
mod password;
mod progress;
mod send;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use ots_proto::{EXPIRES_IN_MAX_SECS, EXPIRES_IN_MIN_SECS, MAX_DOWNLOADS};

use crate::api::Api;
use crate::error::{error_chain, Error, Result};
use crate::password::PasswordSource;

/// Send and receive end-to-end encrypted one-time shares.
///
/// Exit codes: 0 ok, 2 usage or malformed link, 3 gone or not found,
/// 4 wrong password or locked, 5 damaged ciphertext, 1 anything else.
#[derive(Parser)]
#[command(name = "ots", version)]
struct Cli {
    /// Server for `send`, and for links given without one.
    #[arg(long, global = true, env = "OTS_SERVER", value_name = "URL")]
    server: Option<String>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Encrypt a file or standard input and upload it. Prints the share link
    /// (line 1) and the manage link (line 2) on stdout.
    Send(SendArgs),
    /// Download and decrypt a share: a text to stdout, a file to its name.
    Get(GetArgs),
    /// Show a share's state, from its manage link.
    Status {
        /// The manage link ({origin}/m/{id}#{token}).
        link: String,
        /// Print one JSON object instead of `key: value` lines.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a share now, from its manage link.
    Revoke {
        /// The manage link ({origin}/m/{id}#{token}).
        link: String,
    },
}

#[derive(Args)]
struct SendArgs {
    /// The file to send; `-` or nothing reads standard input.
    path: Option<PathBuf>,
    /// Send as a text the recipient's page shows (the default for stdin).
    #[arg(long, conflicts_with = "name")]
    text: bool,
    /// Send as a file with this name (for standard input, or to rename).
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// Lifetime: 10m, 1h, 1d, 7d, or any number with s, m, h or d from 60s to 7d.
    #[arg(long, value_name = "DURATION", default_value = "1d", value_parser = parse_expiry)]
    expires: u32,
    /// How many times the share can be downloaded (1-100).
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_DOWNLOADS)))]
    downloads: u32,
    /// Protect with a password: read from --password-file, else OTS_PASSWORD,
    /// else asked twice on the terminal.
    #[arg(long)]
    password: bool,
    /// Read the password from the first line of this file (implies --password).
    #[arg(long, value_name = "PATH")]
    password_file: Option<PathBuf>,
}

#[derive(Args)]
struct GetArgs {
    /// The share link ({origin}/s/{id}#{key}).
    link: String,
    /// Write to this file, into this directory, or `-` for stdout.
    #[arg(short, long, value_name = "PATH")]
    output: Option<PathBuf>,
    /// Overwrite an existing file.
    #[arg(long)]
    force: bool,
    /// Read the password from the first line of this file (else OTS_PASSWORD,
    /// else a prompt on the terminal).
    #[arg(long, value_name = "PATH")]
    password_file: Option<PathBuf>,
}

/// Seconds of `10m`, `1h`, `1d`, `7d`, `90s`, within the expiries protocol §5 allows.
fn parse_expiry(text: &str) -> std::result::Result<u32, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("expected e.g. 10m, 1h, 1d, 7d; got {text:?}"))?;
    let unit_secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("expected a unit s, m, h or d; got {text:?}")),
    };
    let secs = number.saturating_mul(unit_secs);
    match u32::try_from(secs) {
        Ok(secs) if (EXPIRES_IN_MIN_SECS..=EXPIRES_IN_MAX_SECS).contains(&secs) => Ok(secs),
        _ => Err(format!("{text} is outside 1m..7d")),
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) if !err.use_stderr() => {
            // --help and --version: the whole text on stdout, exit 0.
            let _ = err.print();
            return ExitCode::SUCCESS;
        }
        Err(err) => {
            // Bad flags: one line, like every other error, and exit 2.
            let text = err.to_string();
            let first = text.lines().next().unwrap_or_default();
            let first = first.strip_prefix("error: ").unwrap_or(first);
            eprintln!("ots: {first} (see ots --help)");
            return ExitCode::from(error::exit::USAGE);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => return report(&Error::io("starting the runtime")(err)),
    };
    let outcome = runtime.block_on(async {
        tokio::select! {
            result = run(cli) => result,
            _ = tokio::signal::ctrl_c() => Err(Error::Interrupted),
        }
    });
    // Give the blocking threads a moment: a decrypting thread removes its
    // temporary file when its download is dropped. A thread stuck reading
    // stdin is left behind.
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => report(&err),
    }
}

/// Prints one line for `err` on stderr and returns its exit code.
fn report(err: &Error) -> ExitCode {
    eprintln!("ots: {}", error_chain(err));
    ExitCode::from(err.exit_code())
}

async fn run(cli: Cli) -> Result<()> {
    let server = cli.server.as_deref().filter(|s| !s.trim().is_empty());
    match cli.command {
        Command::Send(args) => send(server, args).await,
        Command::Get(args) => {
            let link = links::share_link(&args.link, server)?;
            let api = Api::new(&link.origin)?;
            let output = match args.output {
                None => get::Output::Default,
                Some(path) if path.as_os_str() == "-" => get::Output::Stdout,
                Some(path) => get::Output::Path(path),
            };
            let request = get::GetRequest {
                link,
                output,
                force: args.force,
                password: PasswordSource::choose(args.password_file.as_deref()),
            };
            let received = get::get(&api, request).await?;
            if let Some(path) = received.saved {
                eprintln!("ots: saved {}", path.display());
            }
            if received.downloads_left > 0 && std::io::stderr().is_terminal() {
                eprintln!(
                    "ots: the share can be downloaded {} more time(s)",
                    received.downloads_left
                );
            }
            Ok(())
        }
        Command::Status { link, json } => {
            let link = links::manage_link(&link, server)?;
            manage::status(&Api::new(&link.origin)?, &link, json).await
        }
        Command::Revoke { link } => {
            let link = links::manage_link(&link, server)?;
            manage::revoke(&Api::new(&link.origin)?, &link).await?;
            eprintln!("ots: revoked");
            Ok(())
        }
    }
}

async fn send(server: Option<&str>, args: SendArgs) -> Result<()> {
    let server = server
        .ok_or_else(|| Error::Usage("no server: pass --server URL or set OTS_SERVER".into()))?;
    check_server_url(server)?;
    let input = match args.path {
        None => send::Input::Stdin,
        Some(path) if path.as_os_str() == "-" => send::Input::Stdin,
        Some(path) => send::Input::Path(path),
    };
    let kind = match (args.text, args.name) {
        (true, _) => Some(send::Kind::Text),
        (false, Some(name)) => Some(send::Kind::File(name)),
        (false, None) => None,
    };
    let password = if args.password || args.password_file.is_some() {
        let source = PasswordSource::choose(args.password_file.as_deref());
        Some(source.read("Password for the share: ", true)?)
    } else {
        None
    };
    let api = Api::new(server)?;
    let sent = send::send(
        &api,
        send::SendRequest {
            input,
            kind,
            expires_in: args.expires,
            max_downloads: args.downloads,
            password,
        },
    )
    .await?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}\n{}", sent.share, sent.manage)
        .and_then(|()| out.flush())
        .map_err(Error::io("writing to stdout"))?;
    if std::io::stderr().is_terminal() {
        eprintln!(
            "ots: line 1 is for the recipient, line 2 (manage link) is for you; expires {}",
            sent.expires_at
        );
    }
    Ok(())
}

/// The server is an origin: `http(s)://host[:port]`, maybe with a path prefix.
fn check_server_url(server: &str) -> Result<()> {
    let rest = server
        .strip_prefix("https://")
        .or_else(|| server.strip_prefix("http://"))
        .ok_or_else(|| {
            Error::Usage(format!(
                "the server must be an http:// or https:// URL, not {server:?}"
            ))
        })?;
    if rest.trim_end_matches('/').is_empty()
        || rest.contains(['?', '#'])
        || rest.contains(char::is_whitespace)
    {
        return Err(Error::Usage(format!("not a server URL: {server:?}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_accepts_the_documented_choices() {
        assert_eq!(parse_expiry("10m"), Ok(600));
        assert_eq!(parse_expiry("1h"), Ok(3600));
        assert_eq!(parse_expiry("1d"), Ok(86_400));
        assert_eq!(parse_expiry("7d"), Ok(604_800));
        assert_eq!(parse_expiry("90s"), Ok(90));
    }

    #[test]
    fn expiry_outside_the_protocol_range_is_refused() {
        assert!(parse_expiry("59s").is_err());
        assert!(parse_expiry("8d").is_err());
        assert!(parse_expiry("1w").is_err());
        assert!(parse_expiry("h").is_err());
        assert!(parse_expiry("99999999999999999999d").is_err());
    }

    #[test]
    fn flags_parse() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn server_url_must_be_http() {
        assert!(check_server_url("http://127.0.0.1:3000").is_ok());
        assert!(check_server_url("https://ots.example/").is_ok());
        assert!(check_server_url("ots.example").is_err());
        assert!(check_server_url("http://").is_err());
    }
}
