//! The local stack's secret store, a JSON file outside git (Dapr's
//! `secretstores.local.file` reads it): the dev JWT secret, the app token
//! each daprd sends its app, and the chat model's key (any value: the
//! model is a scripted server on loopback).

use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use anyhow::{Context, Result};
use serde_json::{Map, Value};

/// Each secret the stack needs, with how a new one starts.
const SECRETS: [(&str, &str); 3] = [
    ("jwt-secret", ""),
    ("app-api-token", ""),
    ("chat-model-key", "sk-contract-"),
];

/// Creates `file` (readable by its owner only) or adds the secrets it
/// lacks, each random; secrets already there are kept.
pub fn ensure(file: &Path) -> Result<()> {
    let mut secrets = match std::fs::read(file) {
        Ok(bytes) => serde_json::from_slice::<Map<String, Value>>(&bytes)
            .with_context(|| format!("{} is not a JSON object", file.display()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Map::new(),
        Err(e) => return Err(e).with_context(|| format!("reading {}", file.display())),
    };
    let mut added = false;
    for (key, prefix) in SECRETS {
        if !secrets.contains_key(key) {
            let length = if prefix.is_empty() { 32 } else { 8 };
            secrets.insert(
                key.into(),
                format!("{prefix}{}", random_hex(length)?).into(),
            );
            added = true;
        }
    }
    if added {
        let mut out = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(file)
            .with_context(|| format!("writing {}", file.display()))?;
        serde_json::to_writer(&mut out, &secrets)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// The secret `key` of `file`.
pub fn read(file: &Path, key: &str) -> Result<String> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let secrets: Value = serde_json::from_slice(&bytes)?;
    Ok(secrets[key]
        .as_str()
        .with_context(|| format!("{} has no {key}", file.display()))?
        .to_owned())
}

/// `bytes` random bytes from the kernel, as lowercase hex.
fn random_hex(bytes: usize) -> Result<String> {
    let mut buf = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut buf)?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_file_gets_every_secret_and_a_second_run_keeps_them() -> Result<()> {
        let dir = std::env::temp_dir().join(format!("stack-tool-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let file = dir.join("secrets.json");
        ensure(&file)?;
        let jwt = read(&file, "jwt-secret")?;
        assert_eq!(jwt.len(), 64);
        assert!(jwt.chars().all(|c| c.is_ascii_hexdigit()));
        assert!(read(&file, "chat-model-key")?.starts_with("sk-contract-"));
        ensure(&file)?;
        assert_eq!(read(&file, "jwt-secret")?, jwt, "kept");
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&file)?.permissions().mode() & 0o777,
            0o600
        );
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }

    #[test]
    fn missing_secrets_are_added_beside_the_ones_there() -> Result<()> {
        let dir = std::env::temp_dir().join(format!("stack-tool-add-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let file = dir.join("secrets.json");
        std::fs::write(&file, r#"{"jwt-secret": "kept", "app-api-token": "also"}"#)?;
        ensure(&file)?;
        assert_eq!(read(&file, "jwt-secret")?, "kept");
        assert_eq!(read(&file, "app-api-token")?, "also");
        assert!(read(&file, "chat-model-key").is_ok());
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }
}
