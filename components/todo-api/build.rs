//! Embeds the built web app (`web/dist`, made by `npm run build`, which
//! also writes a `.gz` twin beside each file) into the component, so the
//! app is served from the API's own origin with no file system at run time.
//!
//! Without `web/dist` (a fresh clone before `npm run build`, or a machine
//! without node) the build still succeeds and embeds one page that says how
//! to build the app, so `cargo clippy` and the Rust tests never need node.

use std::path::{Path, PathBuf};
use std::{env, fs};

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets this"));
    let dist = manifest.join("../../web/dist");
    println!("cargo:rerun-if-changed={}", dist.display());
    println!("cargo:rerun-if-changed=build.rs");
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets this"));

    let mut files = Vec::new();
    if dist.join("index.html").is_file() {
        collect(&dist, &dist, &mut files);
    } else {
        let page = out.join("placeholder.html");
        fs::write(&page, PLACEHOLDER).expect("writing to OUT_DIR");
        files.push(("index.html".to_owned(), page));
    }
    files.sort();

    let mut code =
        String::from("/// Every file of the built app.\npub static FILES: &[super::Asset] = &[\n");
    for (name, path) in &files {
        if name.ends_with(".gz") {
            continue;
        }
        let gz = path.with_file_name(format!(
            "{}.gz",
            path.file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
        ));
        let gz = if gz.is_file() {
            format!("Some(include_bytes!({:?}))", gz.display().to_string())
        } else {
            "None".to_owned()
        };
        code.push_str(&format!(
            "    super::Asset {{ name: {name:?}, body: include_bytes!({:?}), gzip: {gz} }},\n",
            path.display().to_string()
        ));
    }
    code.push_str("];\n");
    fs::write(out.join("web_assets.rs"), code).expect("writing to OUT_DIR");
}

/// Files under `dir`, named by their path relative to `root` with `/`.
fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, files);
        } else if let Ok(rel) = path.strip_prefix(root) {
            let name = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            files.push((name, path));
        }
    }
}

const PLACEHOLDER: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>todo: web app not built</title></head>
<body><main><h1>The web app is not built into this todo-api</h1>
<p>Build it, then rebuild todo-api: <code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code>,
or run <code>scripts/stack build</code>, which does both.</p>
<p>The API itself works: see <a href="/api/openapi.json">/api/openapi.json</a>.</p></main></body></html>
"#;
