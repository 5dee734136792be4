//! Every built service component targets the world in `wit/` and imports
//! only `wasi:*` interfaces, so it stays portable across Spin, SpinKube,
//! wasmCloud and `wasmtime serve`.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result, ensure};

const COMPONENTS: [&str; 4] = ["todo_api", "recurring", "notifier", "audit"];

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn wasm_tools() -> Result<String> {
    std::env::var("WASM_TOOLS")
        .context("WASM_TOOLS is not set: run the tests with 'scripts/stack test'")
}

fn component(name: &str) -> PathBuf {
    repo().join(format!("target/wasm32-wasip2/release/{name}.wasm"))
}

#[test]
fn every_component_targets_the_service_world() -> Result<()> {
    let tool = wasm_tools()?;
    for name in COMPONENTS {
        let output = Command::new(&tool)
            .args(["component", "targets", "--world", "service"])
            .arg(repo().join("wit"))
            .arg(component(name))
            .output()?;
        ensure!(
            output.status.success(),
            "{name}.wasm does not target wit/ world `service`: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

#[test]
fn no_component_imports_anything_but_wasi() -> Result<()> {
    let tool = wasm_tools()?;
    for name in COMPONENTS {
        let output = Command::new(&tool)
            .args(["component", "wit"])
            .arg(component(name))
            .output()?;
        ensure!(
            output.status.success(),
            "wasm-tools could not read {name}.wasm"
        );
        let wit = String::from_utf8(output.stdout)?;
        let imports: Vec<&str> = wit
            .lines()
            .map(str::trim)
            .filter_map(|l| l.strip_prefix("import "))
            .collect();
        ensure!(
            !imports.is_empty(),
            "{name}.wasm shows no imports at all; is it a component?"
        );
        let foreign: Vec<&&str> = imports.iter().filter(|i| !i.starts_with("wasi:")).collect();
        ensure!(
            foreign.is_empty(),
            "{name}.wasm imports non-WASI interfaces: {foreign:?}"
        );
    }
    Ok(())
}
