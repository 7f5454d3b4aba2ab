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

/// Every parameter is where its route takes it: a `{name}` of the path template is declared once,
/// `in: path` and required; nothing else is `in: path` (query parameters are `in: query`, and
/// required only where the route refuses a request without them).
#[test]
fn every_parameter_is_declared_where_the_route_takes_it() {
    let doc: serde_json::Value = serde_json::from_str(&caucus_web::openapi_json()).unwrap();
    // The query parameters a route cannot do without.
    let required_queries = [("/api/v1/members/{number}/eligibility", "for")];
    let mut problems = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let templated: Vec<&str> = path
            .split('{')
            .skip(1)
            .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
            .collect();
        let shared = item["parameters"].as_array().cloned().unwrap_or_default();
        for (method, op) in item.as_object().unwrap() {
            if method == "parameters" {
                continue;
            }
            let mut params = shared.clone();
            params.extend(op["parameters"].as_array().cloned().unwrap_or_default());
            let mut in_path = Vec::new();
            for p in &params {
                let name = p["name"].as_str().unwrap_or_default();
                let place = p["in"].as_str().unwrap_or_default();
                let required = p["required"].as_bool().unwrap_or(false);
                let at = format!("{method} {path}: parameter {name:?} in {place}");
                match place {
                    "path" => {
                        in_path.push(name);
                        if !templated.contains(&name) {
                            problems.push(format!("{at}, but the path has no {{{name}}}"));
                        }
                        if !required {
                            problems.push(format!("{at} is not required"));
                        }
                    }
                    "query" => {
                        let needed = required_queries.contains(&(path.as_str(), name));
                        if required != needed {
                            problems.push(format!("{at}: required is {required}, not {needed}"));
                        }
                    }
                    "header" | "cookie" => {}
                    other => problems.push(format!("{at}: no such place as {other:?}")),
                }
            }
            for name in &templated {
                let declared = in_path.iter().filter(|n| *n == name).count();
                if declared != 1 {
                    problems.push(format!(
                        "{method} {path}: {{{name}}} is declared in path {declared} times"
                    ));
                }
            }
        }
    }
    for (path, name) in required_queries {
        let declared = doc["paths"][path]
            .as_object()
            .into_iter()
            .flat_map(|item| item.values())
            .filter_map(|op| op["parameters"].as_array())
            .flatten()
            .any(|p| p["name"] == name && p["in"] == "query");
        if !declared {
            problems.push(format!(
                "{path}: the query parameter {name:?} is not declared"
            ));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}
