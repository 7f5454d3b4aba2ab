//! The JSON result of SPEC 5.4, keys in the order the spec lists them and tallies in the
//! candidates' file order (serde_json's own map would sort them by name).

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use crate::result::CountResult;

struct Tallies<'a>(&'a CountResult, &'a [i64]);

impl Serialize for Tallies<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.1.len()))?;
        for (c, v) in self.1.iter().enumerate() {
            m.serialize_entry(&self.0.candidates[c], &self.0.fmt(*v))?;
        }
        m.end()
    }
}

#[derive(Serialize)]
struct RoundJson<'a> {
    round: usize,
    tallies: Tallies<'a>,
    elected: Vec<String>,
    excluded: Vec<String>,
    non_transferable: String,
}

#[derive(Serialize)]
struct TieJson {
    round: usize,
    purpose: String,
    between: Vec<String>,
    chosen: String,
    resolved_by: String,
}

#[derive(Serialize)]
struct ResultJson<'a> {
    method: &'static str,
    rule: &'a str,
    seats: u32,
    quota: Option<String>,
    elected: Vec<String>,
    rounds: Vec<RoundJson<'a>>,
    ties: Vec<TieJson>,
}

/// The result as pretty-printed JSON.
pub fn json(r: &CountResult) -> String {
    let doc = ResultJson {
        method: r.method.id(),
        rule: &r.rule,
        seats: r.seats,
        quota: r.quota.map(|q| r.fmt(q)),
        elected: r.names(&r.elected),
        rounds: r
            .rounds
            .iter()
            .map(|k| RoundJson {
                round: k.number,
                tallies: Tallies(r, &k.tallies),
                elected: r.names(&k.elected),
                excluded: r.names(&k.excluded),
                non_transferable: r.fmt(k.non_transferable),
            })
            .collect(),
        ties: r
            .ties
            .iter()
            .map(|t| TieJson {
                round: t.round,
                purpose: t.purpose.clone(),
                between: r.names(&t.between),
                chosen: r.candidates[t.chosen].clone(),
                resolved_by: t.resolved_by.clone(),
            })
            .collect(),
    };
    // Serialising plain structs and strings to a String cannot fail.
    serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}
