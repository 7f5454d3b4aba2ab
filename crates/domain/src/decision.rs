//! Decisions with reasons. Every rule the system applies answers with a `Decision`, and every reason
//! names the rulebook clause it comes from, so a refusal can always say which rule and why.
use serde::Serialize;

/// One reason behind a decision: the clause applied and a sentence a member can read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    pub clause: String,
    pub message: String,
}

impl Reason {
    pub fn new(clause: impl Into<String>, message: impl Into<String>) -> Self {
        Reason {
            clause: clause.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (clause {})", self.message, self.clause)
    }
}

/// The answer of a rule: allowed or not, and why. An allowed decision may carry reasons too (the
/// clauses that were satisfied), so the UI can show what was checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub allowed: bool,
    pub reasons: Vec<Reason>,
}

impl Decision {
    pub fn allow(reasons: Vec<Reason>) -> Self {
        Decision {
            allowed: true,
            reasons,
        }
    }

    pub fn deny(reasons: Vec<Reason>) -> Self {
        Decision {
            allowed: false,
            reasons,
        }
    }

    /// Combines several checks: allowed only if every part is; the reasons are those of the refusing
    /// parts when refused, and all of them when allowed.
    pub fn all(parts: impl IntoIterator<Item = Decision>) -> Self {
        let parts: Vec<Decision> = parts.into_iter().collect();
        let allowed = parts.iter().all(|d| d.allowed);
        let reasons = parts
            .into_iter()
            .filter(|d| allowed || !d.allowed)
            .flat_map(|d| d.reasons)
            .collect();
        Decision { allowed, reasons }
    }

    /// The reasons as one line, for a CLI or a log.
    pub fn explain(&self) -> String {
        self.reasons
            .iter()
            .map(|r| r.to_string())
            .collect::<Vec<_>>()
            .join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_is_refused_when_any_part_is_and_keeps_only_the_refusing_reasons() {
        let d = Decision::all([
            Decision::allow(vec![Reason::new("a", "fine")]),
            Decision::deny(vec![Reason::new("b", "not fine")]),
        ]);
        assert!(!d.allowed);
        assert_eq!(d.reasons, vec![Reason::new("b", "not fine")]);
        assert_eq!(d.explain(), "not fine (clause b)");
    }

    #[test]
    fn all_of_allowed_parts_keeps_every_reason() {
        let d = Decision::all([
            Decision::allow(vec![Reason::new("a", "one")]),
            Decision::allow(vec![Reason::new("b", "two")]),
        ]);
        assert!(d.allowed);
        assert_eq!(d.reasons.len(), 2);
    }
}
