//! The OpenAPI document is a contract with integrators: a change to it must be deliberate. The
//! document generated from the code is compared with the committed `openapi.json`; on a difference
//! the test fails, naming the first differing line. To accept a change, run
//! `UPDATE_SNAPSHOTS=1 cargo test -p caucus-web --test openapi_snapshot` and commit the file.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

#[test]
fn the_openapi_document_matches_the_committed_snapshot() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
    let generated = format!("{}\n", caucus_web::openapi_json());
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed == generated {
        return;
    }
    let first = committed
        .lines()
        .zip(generated.lines())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| committed.lines().count().min(generated.lines().count()));
    panic!(
        "the OpenAPI document differs from {} from line {}:\n  committed: {}\n  generated: {}\n\
         If the change is intended, run `UPDATE_SNAPSHOTS=1 cargo test -p caucus-web --test \
         openapi_snapshot` and commit the file.",
        path.display(),
        first + 1,
        committed.lines().nth(first).unwrap_or("(end of file)"),
        generated.lines().nth(first).unwrap_or("(end of file)"),
    );
}

#[test]
fn every_operation_that_takes_a_token_declares_its_scopes() {
    let doc: serde_json::Value = serde_json::from_str(&caucus_web::openapi_json()).unwrap();
    let mut undeclared = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let public = path == "/api/v1/session" && method == "post";
            if !public && op["security"][0]["bearer"].as_array().is_none() {
                undeclared.push(format!("{method} {path}"));
            }
        }
    }
    assert!(
        undeclared.is_empty(),
        "no bearer requirement: {undeclared:?}"
    );
}
