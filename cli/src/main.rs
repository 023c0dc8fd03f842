//! `ots`: the OneTimeShare command-line client. `main` only wires flags, the
//! runtime, Ctrl-C and the exit code; each command lives in its own module.
#![forbid(unsafe_code)]

mod api;
mod archive;
mod error;
mod extract;
mod generate;
mod get;
mod limits;
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
use zeroize::Zeroizing;

use crate::api::{Api, CreateToken};
use crate::error::{error_chain, Error, Result};
use crate::generate::Alphabet;
use crate::links::{KeyApart, KEY_ENV, LINK_ENV, MANAGE_LINK_ENV};
use crate::password::PasswordSource;

/// Send and receive end-to-end encrypted one-time shares.
///
/// Exit codes: 0 ok, 2 usage or malformed link (and, for status --wait, a
/// share that ended), 3 gone or not found, 4 wrong password or locked,
/// 5 damaged ciphertext, 6 an archive --extract refused, 1 anything else.
/// Messages are in English.
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
    /// Encrypt files, folders, standard input or a generated secret and
    /// upload it. Prints the share link (line 1) and the manage link (line 2)
    /// on stdout, then the key (with --key-apart) and the secret (with
    /// --generate), one per line.
    Send(SendArgs),
    /// Download and decrypt a share: a text to stdout, a file to its name,
    /// several files as their .zip (or unpacked with --extract).
    #[command(
        after_help = "The link can also come from standard input (`ots get -`, one line) \
or from OTS_LINK, which keeps it out of `ps` and the shell's history. A link \
without its key (`.../s/ID`) takes the key from --key, or from OTS_KEY."
    )]
    Get(GetArgs),
    /// Show a share's state, from its manage link.
    #[command(
        after_help = "The manage link can also come from standard input (`-`) or \
OTS_MANAGE_LINK. With --wait: exit 0 after a change (the new state is printed), \
2 when the share expired, was revoked or removed."
    )]
    Status {
        /// The manage link ({origin}/m/{id}#{token}); `-` reads it from
        /// standard input.
        #[arg(env = MANAGE_LINK_ENV, hide_env_values = true)]
        link: Option<String>,
        /// Print one JSON object instead of `key: value` lines.
        #[arg(long)]
        json: bool,
        /// Block until the share's state changes (polling every 2 s, slowing
        /// to every 30 s), then print it.
        #[arg(long)]
        wait: bool,
    },
    /// Revoke a share now, from its manage link.
    #[command(
        after_help = "The manage link can also come from standard input (`-`) or OTS_MANAGE_LINK."
    )]
    Revoke {
        /// The manage link ({origin}/m/{id}#{token}); `-` reads it from
        /// standard input.
        #[arg(env = MANAGE_LINK_ENV, hide_env_values = true)]
        link: Option<String>,
    },
}

#[derive(Args)]
struct SendArgs {
    /// Files or folders to send; several, or a folder, go as one ZIP
    /// archive. `-` or nothing reads standard input.
    paths: Vec<PathBuf>,
    /// Send as a text the recipient's page shows (the default for stdin).
    #[arg(long, conflicts_with = "name")]
    text: bool,
    /// Send as a file with this name (for standard input, or to rename; for
    /// several files, the archive's name).
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// Lifetime: 10m, 1h, 1d, 7d, or any number with s, m, h or d; the
    /// server's default when not given, checked against what it accepts.
    #[arg(long, value_name = "DURATION", value_parser = parse_expiry)]
    expires: Option<u32>,
    /// How many times the share can be downloaded (at most what the server
    /// allows, 100 at most).
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
    /// Print the link without its key (line 1), and the key on its own line
    /// after the manage link, to send over two channels.
    #[arg(long)]
    key_apart: bool,
    /// Share a random secret made here instead of any input: LEN characters
    /// (default 32) from --alphabet (default alnum: A-Z a-z 0-9, about 190
    /// bits). It is printed once, as the last line of stdout.
    #[arg(long, value_name = "LEN", num_args = 0..=1,
          default_missing_value = "32",
          value_parser = clap::value_parser!(u64).range(generate::MIN_LEN as u64..=generate::MAX_LEN as u64),
          conflicts_with_all = ["paths", "text", "name"])]
    generate: Option<u64>,
    /// The characters of a --generate secret: alnum (62), ascii (94
    /// printable, no space), hex (16), digits (10).
    #[arg(long, value_enum, default_value_t = Alphabet::Alnum, requires = "generate")]
    alphabet: Alphabet,
    /// The create token, for a server that requires one (OTS_CREATE_TOKEN
    /// keeps it out of `ps`).
    #[arg(
        long,
        value_name = "TOKEN",
        env = "OTS_CREATE_TOKEN",
        hide_env_values = true
    )]
    token: Option<String>,
}

#[derive(Args)]
struct GetArgs {
    /// The share link ({origin}/s/{id}#{key}); `-` reads it from standard
    /// input.
    #[arg(env = LINK_ENV, hide_env_values = true)]
    link: Option<String>,
    /// Write to this file, into this directory, or `-` for stdout.
    #[arg(short, long, value_name = "PATH", conflicts_with = "extract")]
    output: Option<PathBuf>,
    /// Unpack a share of several files into this folder (made if missing),
    /// refusing unsafe entries and writing nothing unless all is well.
    #[arg(long, value_name = "DIR")]
    extract: Option<PathBuf>,
    /// Overwrite an existing file.
    #[arg(long)]
    force: bool,
    /// Read the password from the first line of this file (else OTS_PASSWORD,
    /// else a prompt on the terminal).
    #[arg(long, value_name = "PATH")]
    password_file: Option<PathBuf>,
    /// The key of a link given without one: the key, or the whole link;
    /// `-` reads it from standard input (else OTS_KEY).
    // A key is base64url, so one in 64 begins with `-`: it is still the value.
    #[arg(long, value_name = "KEY", allow_hyphen_values = true)]
    key: Option<String>,
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
        Command::Get(args) => get(server, args).await,
        Command::Status { link, json, wait } => {
            let text = links::from_arg(link.as_deref(), "manage link", MANAGE_LINK_ENV)?;
            let link = links::manage_link(&text, server)?;
            let api = Api::new(&link.origin)?;
            if wait {
                manage::wait(&api, &link, json).await
            } else {
                manage::status(&api, &link, json).await
            }
        }
        Command::Revoke { link } => {
            let text = links::from_arg(link.as_deref(), "manage link", MANAGE_LINK_ENV)?;
            let link = links::manage_link(&text, server)?;
            manage::revoke(&Api::new(&link.origin)?, &link).await?;
            eprintln!("ots: revoked");
            Ok(())
        }
    }
}

async fn get(server: Option<&str>, args: GetArgs) -> Result<()> {
    if args.link.as_deref() == Some("-") && args.key.as_deref() == Some("-") {
        return Err(Error::Usage(
            "the link and the key cannot both come from standard input".into(),
        ));
    }
    let text = links::from_arg(args.link.as_deref(), "share link", LINK_ENV)?;
    let explicit = match args.key.as_deref() {
        Some(key) => Some(KeyApart::new(links::from_arg(Some(key), "key", KEY_ENV)?)),
        None => None,
    };
    let from_env = std::env::var(KEY_ENV)
        .ok()
        .filter(|k| !k.trim().is_empty())
        .map(|k| KeyApart::new(Zeroizing::new(k)));
    let link = links::share_link_with_key(&text, explicit, from_env, server)?;
    let api = Api::new(&link.origin)?;
    let output = match (args.output, args.extract) {
        (_, Some(dir)) => get::Output::Extract(dir),
        (None, None) => get::Output::Default,
        (Some(path), None) if path.as_os_str() == "-" => get::Output::Stdout,
        (Some(path), None) => get::Output::Path(path),
    };
    let request = get::GetRequest {
        link,
        output,
        force: args.force,
        password: PasswordSource::choose(args.password_file.as_deref()),
    };
    let received = get::get(&api, request).await?;
    if let Some(path) = &received.saved {
        eprintln!("ots: saved {}", path.display());
    }
    if let Some((dir, done)) = &received.extracted {
        eprintln!(
            "ots: extracted {} file(s), {}, into {}",
            done.files,
            limits::bytes(done.bytes),
            dir.display()
        );
    } else if let Some(files) = &received.files {
        eprintln!("ots: the archive holds (as its sender listed them):");
        for file in files {
            // Names are the sender's words: shown escaped, never as raw text.
            eprintln!("  {:?} ({})", file.name, limits::bytes(file.size));
        }
        eprintln!("ots: unpack it with --extract DIR");
    }
    if received.downloads_left > 0 && std::io::stderr().is_terminal() {
        eprintln!(
            "ots: the share can be downloaded {} more time(s)",
            received.downloads_left
        );
    }
    Ok(())
}

async fn send(server: Option<&str>, args: SendArgs) -> Result<()> {
    let server = server
        .ok_or_else(|| Error::Usage("no server: pass --server URL or set OTS_SERVER".into()))?;
    check_server_url(server)?;
    let generated = match args.generate {
        Some(len) => Some(generate::secret(len as usize, args.alphabet)?),
        None => None,
    };
    let input = match (&generated, args.paths.as_slice()) {
        (Some(secret), _) => send::Input::Text(secret.clone()),
        (None, []) => send::Input::Stdin,
        (None, [one]) if one.as_os_str() == "-" => send::Input::Stdin,
        (None, [one]) => send::Input::Path(one.clone()),
        (None, many) => {
            if many.iter().any(|p| p.as_os_str() == "-") {
                return Err(Error::Usage(
                    "standard input (-) cannot go in an archive with other files".into(),
                ));
            }
            send::Input::Archive(many.to_vec())
        }
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
    let token = args.token.as_deref().and_then(CreateToken::new);
    let api = Api::new(server)?;
    let sent = send::send(
        &api,
        send::SendRequest {
            input,
            kind,
            expires_in: args.expires,
            max_downloads: args.downloads,
            password,
            token,
        },
    )
    .await?;
    let mut lines = Zeroizing::new(String::new());
    if args.key_apart {
        lines.push_str(&format!(
            "{}\n{}\n{}\n",
            sent.share.page_url(),
            sent.manage,
            sent.share.secret.to_fragment()
        ));
    } else {
        lines.push_str(&format!("{}\n{}\n", sent.share, sent.manage));
    }
    if let Some(secret) = &generated {
        lines.push_str(secret);
        lines.push('\n');
    }
    let mut out = std::io::stdout().lock();
    out.write_all(lines.as_bytes())
        .and_then(|()| out.flush())
        .map_err(Error::io("writing to stdout"))?;
    if std::io::stderr().is_terminal() {
        let mut what = String::from(if args.key_apart {
            "line 1 (the link) and line 3 (its key) are for the recipient, over two channels; line 2 (manage link) is for you"
        } else {
            "line 1 is for the recipient, line 2 (manage link) is for you"
        });
        if let (Some(secret), Some(len)) = (&generated, args.generate) {
            what.push_str(&format!(
                "; the last line is the generated secret ({} characters, about {:.0} bits)",
                secret.len(),
                args.alphabet.bits(len as usize)
            ));
        }
        eprintln!("ots: {what}; expires {}", sent.expires_at);
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
    fn a_key_that_begins_with_a_hyphen_is_the_keys_value() {
        // 43 base64url characters, as `send --key-apart` prints them.
        let key = "-Q3fW1x9_kLmN0pQrStUvWxYz0123456789abcdefgh";
        assert_eq!(key.len(), 43);
        let link = "http://127.0.0.1:3000/s/AAAAAAAAAAAAAAAAAAAAAA";
        let parsed = Cli::try_parse_from(["ots", "get", link, "--key", key]);
        let Ok(Cli {
            command: Command::Get(args),
            ..
        }) = parsed
        else {
            panic!("`get --key {key}` did not parse as a key");
        };
        assert_eq!(args.key.as_deref(), Some(key));
        assert_eq!(args.link.as_deref(), Some(link));
    }

    #[test]
    fn server_url_must_be_http() {
        assert!(check_server_url("http://127.0.0.1:3000").is_ok());
        assert!(check_server_url("https://ots.example/").is_ok());
        assert!(check_server_url("ots.example").is_err());
        assert!(check_server_url("http://").is_err());
    }
}
