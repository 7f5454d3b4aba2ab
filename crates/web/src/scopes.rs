//! The scopes each API route needs, read from the OpenAPI document the routes generate: a route's
//! `security(("bearer" = [...]))` is both what the document tells clients and what the server
//! enforces, so the two cannot drift apart.
use axum::http::Method;
use caucus_domain::access::token_scope::Scope;
use std::collections::HashMap;

/// (method, path template) -> the scopes a token needs for it.
#[derive(Debug, Default)]
pub struct RouteScopes {
    table: HashMap<(Method, String), Vec<Scope>>,
}

impl RouteScopes {
    /// Reads every operation's bearer requirement from the OpenAPI document. A scope the domain
    /// does not know is a programming error caught at start-up (and by the snapshot test).
    pub fn from_openapi(doc: &serde_json::Value) -> Result<RouteScopes, String> {
        let mut table = HashMap::new();
        let paths = doc["paths"].as_object().cloned().unwrap_or_default();
        for (path, item) in paths {
            let Some(ops) = item.as_object() else {
                continue;
            };
            for (method, op) in ops {
                let Ok(method) = Method::from_bytes(method.to_uppercase().as_bytes()) else {
                    continue;
                };
                let Some(reqs) = op["security"].as_array() else {
                    continue;
                };
                for req in reqs {
                    let Some(names) = req["bearer"].as_array() else {
                        continue;
                    };
                    let scopes = names
                        .iter()
                        .map(|n| {
                            let n = n.as_str().unwrap_or_default();
                            Scope::parse(n).map_err(|e| format!("{method} {path}: {e}"))
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    table.insert((method.clone(), path.clone()), scopes);
                }
            }
        }
        Ok(RouteScopes { table })
    }

    /// The scopes a route needs, or `None` when it declares no bearer requirement.
    pub fn needs(&self, method: &Method, path: &str) -> Option<&[Scope]> {
        self.table
            .get(&(method.clone(), path.to_string()))
            .map(Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_read_from_each_operation_and_unknown_ones_refused() {
        let doc = serde_json::json!({"paths": {
            "/api/v1/a": {"get": {"security": [{"bearer": ["read:units"]}]},
                          "post": {}},
            "/api/v1/b": {"delete": {"security": [{"bearer": []}]}},
        }});
        let t = RouteScopes::from_openapi(&doc).unwrap();
        assert_eq!(
            t.needs(&Method::GET, "/api/v1/a"),
            Some(&[Scope::ReadUnits][..])
        );
        assert_eq!(t.needs(&Method::POST, "/api/v1/a"), None);
        assert_eq!(t.needs(&Method::DELETE, "/api/v1/b"), Some(&[][..]));
        let bad =
            serde_json::json!({"paths": {"/x": {"get": {"security": [{"bearer": ["root"]}]}}}});
        assert!(RouteScopes::from_openapi(&bad).is_err());
    }
}
