//! `stack-tool`: what `scripts/stack` needs beyond bash, in Rust instead of
//! inline Python. Built by `scripts/stack build` (and on first use).
//!
//! ```text
//! stack-tool token USER [HOURS]   a dev JWT for USER (24 h by default), signed with the
//!                                 secret-store answer for `jwt-secret` read on stdin
//! stack-tool secrets FILE         create FILE (mode 600) or add the secrets it lacks
//! stack-tool secret FILE KEY      print one secret of FILE
//! stack-tool expand               stdin to stdout with $NAME and ${NAME} of the
//!                                 environment filled in (unset ones left as they are)
//! ```

use std::io::{Read, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};

mod expand;
mod secrets;

const USAGE: &str =
    "usage: stack-tool token USER [HOURS] | secrets FILE | secret FILE KEY | expand";

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("stack-tool: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["token", user] => token(user, "24"),
        ["token", user, hours] => token(user, hours),
        ["secrets", file] => secrets::ensure(file.as_ref()),
        ["secret", file, key] => {
            println!("{}", secrets::read(file.as_ref(), key)?);
            Ok(())
        }
        ["expand"] => {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text)?;
            let expanded = expand::expand(&text, |name| std::env::var(name).ok());
            std::io::stdout().write_all(expanded.as_bytes())?;
            Ok(())
        }
        _ => bail!("{USAGE}"),
    }
}

/// Prints a token for `user` valid for `hours` (a decimal number), signed
/// with the `jwt-secret` of the Dapr secret store's answer on stdin
/// (`{"jwt-secret": "..."}`, what `GET /v1.0/secrets/secretstore/jwt-secret` returns).
fn token(user: &str, hours: &str) -> Result<()> {
    let hours: f64 = hours
        .parse()
        .ok()
        .filter(|h: &f64| h.is_finite() && *h > 0.0)
        .with_context(|| format!("HOURS must be a positive number, not '{hours}'"))?;
    let answer: serde_json::Value =
        serde_json::from_reader(std::io::stdin()).context("reading the secret store's answer")?;
    let secret = answer["jwt-secret"]
        .as_str()
        .context("the secret store's answer has no jwt-secret")?;
    let now = i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs())?;
    // Whole seconds, as the token's claims are.
    let ttl = (hours * 3600.0) as i64;
    let claims = todo_auth::Claims {
        sub: user.to_owned(),
        iat: now,
        exp: now + ttl,
    };
    println!("{}", todo_auth::sign(&claims, secret.as_bytes()));
    Ok(())
}
