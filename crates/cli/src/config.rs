//! The configuration file (`--config FILE` or `CAUCUS_CONFIG`): a flat TOML table whose keys are
//! the long options' names with `_` for `-`. A flag beats its environment variable (clap sees to
//! that), either beats the file, and the file beats the default. A key the program does not know,
//! or a value of the wrong kind, stops the program with the file, the line and the key named, so
//! a typo is never silently a default. Values are never echoed: the database and SMTP URLs may
//! carry passwords.
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::{Spanned, Value};

/// What a configuration file sets; `None` where it is silent.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FileConfig {
    pub db: Option<String>,
    /// Relative to the file's directory, so a file and the rulebook beside it can move together.
    pub rulebook: Option<PathBuf>,
    pub bind: Option<String>,
    pub secure_cookies: Option<bool>,
    pub smtp_url: Option<String>,
    pub mail_from: Option<String>,
    pub public_url: Option<String>,
    /// The bearer token `/metrics` asks for; with none, `/metrics` is not served.
    pub metrics_token: Option<String>,
    /// The append-only file that witnesses the audit chain's head. Relative to the file's directory.
    pub audit_witness: Option<PathBuf>,
}

/// Why a configuration file was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the configuration file {}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
        }
        if let Some(key) = &self.key {
            write!(f, ", key `{key}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ConfigError {}

/// The keys, as the file has them; `deny_unknown_fields` names any other. Values are read as
/// plain TOML values and checked one by one below, so a value of the wrong kind is reported with
/// its key (serde's own messages would name only the type).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    db: Option<Spanned<Value>>,
    rulebook: Option<Spanned<Value>>,
    bind: Option<Spanned<Value>>,
    secure_cookies: Option<Spanned<Value>>,
    smtp_url: Option<Spanned<Value>>,
    mail_from: Option<Spanned<Value>>,
    public_url: Option<Spanned<Value>>,
    metrics_token: Option<Spanned<Value>>,
    audit_witness: Option<Spanned<Value>>,
}

/// Reads and checks the file at `path`.
pub fn load(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        file: path.to_path_buf(),
        line: None,
        key: None,
        message: format!("cannot be read: {e}"),
    })?;
    parse(path, &text)
}

/// Checks `text`, the contents of the file at `path`.
pub fn parse(path: &Path, text: &str) -> Result<FileConfig, ConfigError> {
    let fail = |span: Option<Range<usize>>, key: Option<&str>, message: String| ConfigError {
        file: path.to_path_buf(),
        line: span.map(|s| line_of(text, s.start)),
        key: key.map(str::to_string),
        message,
    };
    let raw: Raw = toml::from_str(text).map_err(|e| {
        let message = e.message().trim().to_string();
        let key = unknown_key(&message).or_else(|| {
            e.span()
                .and_then(|s| key_on_line(text, line_of(text, s.start)))
        });
        fail(e.span(), key.as_deref(), message)
    })?;
    let check = |key: &str, value: Option<Spanned<Value>>, kind: Kind| -> Result<_, ConfigError> {
        let Some(value) = value else { return Ok(None) };
        let span = value.span();
        kind.read(value.into_inner())
            .map(Some)
            .map_err(|why| fail(Some(span), Some(key), why))
    };
    let dir = path.parent().unwrap_or(Path::new(""));
    Ok(FileConfig {
        db: check("db", raw.db, Kind::DatabaseUrl)?.map(Read::text),
        rulebook: check("rulebook", raw.rulebook, Kind::Text)?.map(|r| dir.join(r.text())),
        bind: check("bind", raw.bind, Kind::Address)?.map(Read::text),
        secure_cookies: check("secure_cookies", raw.secure_cookies, Kind::Flag)?.map(Read::flag),
        smtp_url: check("smtp_url", raw.smtp_url, Kind::SmtpUrl)?.map(Read::text),
        mail_from: check("mail_from", raw.mail_from, Kind::Mailbox)?.map(Read::text),
        public_url: check("public_url", raw.public_url, Kind::WebUrl)?.map(Read::text),
        metrics_token: check("metrics_token", raw.metrics_token, Kind::Secret)?.map(Read::text),
        audit_witness: check("audit_witness", raw.audit_witness, Kind::Text)?
            .map(|r| dir.join(r.text())),
    })
}

/// The 1-based line holding byte `offset` of `text`.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// The key assigned on a line (for a syntax error in its value): only what precedes the `=`, and
/// only if it looks like a key, so no part of a value is ever quoted.
fn key_on_line(text: &str, line: usize) -> Option<String> {
    let (key, _) = text.lines().nth(line.checked_sub(1)?)?.split_once('=')?;
    let key = key.trim();
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    bare.then(|| key.to_string())
}

/// The key serde's "unknown field `x`, expected ..." names.
fn unknown_key(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    rest.split_once('`').map(|(key, _)| key.to_string())
}

/// What a key's value must be.
#[derive(Clone, Copy)]
enum Kind {
    Text,
    Flag,
    DatabaseUrl,
    Address,
    SmtpUrl,
    Mailbox,
    WebUrl,
    /// A shared secret: long enough not to be guessed.
    Secret,
}

/// A value read as its key's kind.
enum Read {
    Text(String),
    Flag(bool),
}

impl Read {
    fn text(self) -> String {
        match self {
            Read::Text(s) => s,
            Read::Flag(b) => b.to_string(),
        }
    }

    fn flag(self) -> bool {
        matches!(self, Read::Flag(true))
    }
}

impl Kind {
    /// The value, or why it will not do (in words that never quote it: it may be a secret).
    fn read(self, value: Value) -> Result<Read, String> {
        let text = match (self, value) {
            (Kind::Flag, Value::Boolean(b)) => return Ok(Read::Flag(b)),
            (Kind::Flag, _) => return Err("must be true or false".to_string()),
            (_, Value::String(s)) => s,
            (_, _) => return Err("must be a string in quotes".to_string()),
        };
        let ok = match self {
            Kind::Text | Kind::Flag => !text.trim().is_empty(),
            Kind::DatabaseUrl => ["sqlite://", "sqlite:", "postgres://", "postgresql://"]
                .iter()
                .any(|p| text.starts_with(p)),
            Kind::Address => text
                .rsplit_once(':')
                .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok()),
            Kind::SmtpUrl => caucus_app::ops::mail::Mailer::check_url(&text).is_ok(),
            Kind::Mailbox => caucus_app::ops::mail::check_sender(&text).is_ok(),
            Kind::WebUrl => {
                (text.starts_with("https://") || text.starts_with("http://"))
                    && !text.contains(char::is_whitespace)
            }
            Kind::Secret => secret_is_strong(&text),
        };
        if ok {
            Ok(Read::Text(text))
        } else {
            Err(self.expected().to_string())
        }
    }

    fn expected(self) -> &'static str {
        match self {
            Kind::Text => "must not be empty",
            Kind::Flag => "must be true or false",
            Kind::DatabaseUrl => "must be a database URL: sqlite://FILE or postgres://...",
            Kind::Address => "must be an address to listen on, HOST:PORT (127.0.0.1:8080)",
            Kind::SmtpUrl => {
                "must be an SMTP URL: smtp://host:25, smtp://user:pass@host:587?tls=required \
                 or smtps://user:pass@host"
            }
            Kind::Mailbox => {
                "must be a mail address, optionally with a name: caucus <no-reply@example.org>"
            }
            Kind::WebUrl => "must be an http:// or https:// URL",
            Kind::Secret => SECRET_RULE,
        }
    }
}

/// What a shared secret (the metrics token) must be, said without quoting it.
pub const SECRET_RULE: &str =
    "must be at least 32 characters with no spaces (for example `openssl rand -hex 32`)";

/// Whether a shared secret is long enough not to be guessed and has nothing a header would mangle.
pub fn secret_is_strong(text: &str) -> bool {
    text.chars().count() >= 32 && text.chars().all(|c| c.is_ascii_graphic())
}

/// The first of: the command line or environment (clap has already put a flag before its
/// variable), the file, the default.
pub fn pick<T>(given: Option<T>, file: Option<T>, default: impl FnOnce() -> T) -> T {
    given.or(file).unwrap_or_else(default)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Result<FileConfig, ConfigError> {
        parse(Path::new("/etc/caucus/caucus.toml"), text)
    }

    #[test]
    fn every_key_is_read_and_the_rulebook_is_found_beside_the_file() {
        let c = parsed(
            "db = \"postgres://caucus:pw@db/caucus\"\nrulebook = \"labour.toml\"\n\
             bind = \"0.0.0.0:8443\"\nsecure_cookies = true\nsmtp_url = \"smtps://u:p@mail.example.org\"\n\
             mail_from = \"Caucus <no-reply@example.org>\"\npublic_url = \"https://caucus.example.org\"\n\
             metrics_token = \"0123456789abcdef0123456789abcdef\"\n\
             audit_witness = \"/var/log/caucus/audit-witness\"\n",
        )
        .unwrap();
        assert_eq!(
            c,
            FileConfig {
                db: Some("postgres://caucus:pw@db/caucus".into()),
                rulebook: Some(PathBuf::from("/etc/caucus/labour.toml")),
                bind: Some("0.0.0.0:8443".into()),
                secure_cookies: Some(true),
                smtp_url: Some("smtps://u:p@mail.example.org".into()),
                mail_from: Some("Caucus <no-reply@example.org>".into()),
                public_url: Some("https://caucus.example.org".into()),
                metrics_token: Some("0123456789abcdef0123456789abcdef".into()),
                audit_witness: Some(PathBuf::from("/var/log/caucus/audit-witness")),
            }
        );
        assert_eq!(parsed("# nothing set\n").unwrap(), FileConfig::default());
    }

    #[test]
    fn an_unknown_key_is_refused_naming_the_file_the_line_and_the_key() {
        let e =
            parsed("bind = \"127.0.0.1:8080\"\n\nsmtp_uri = \"smtp://localhost\"\n").unwrap_err();
        assert_eq!(e.line, Some(3));
        assert_eq!(e.key.as_deref(), Some("smtp_uri"));
        let shown = e.to_string();
        assert!(
            shown.starts_with("the configuration file /etc/caucus/caucus.toml, line 3, key `smtp_uri`: unknown field"),
            "{shown}"
        );
        // Sections are not keys of ours either.
        let e = parsed("[server]\nbind = \"127.0.0.1:8080\"\n").unwrap_err();
        assert_eq!((e.line, e.key.as_deref()), (Some(1), Some("server")));
    }

    #[test]
    fn a_bad_value_is_refused_naming_its_key_and_line_without_echoing_it() {
        let cases = [
            (
                "secure_cookies = \"yes\"",
                "secure_cookies",
                "true or false",
            ),
            ("bind = 8080", "bind", "string"),
            ("bind = \"8080\"", "bind", "HOST:PORT"),
            ("db = \"mysql://root:hunter2@db/caucus\"", "db", "sqlite://"),
            (
                "smtp_url = \"http://u:hunter2@mail\"",
                "smtp_url",
                "smtps://",
            ),
            (
                "mail_from = \"not an address hunter2\"",
                "mail_from",
                "mail address",
            ),
            (
                "public_url = \"caucus.example.org/hunter2\"",
                "public_url",
                "https://",
            ),
            ("rulebook = \"\"", "rulebook", "empty"),
            ("audit_witness = \"\"", "audit_witness", "empty"),
            (
                "metrics_token = \"hunter2\"",
                "metrics_token",
                "32 characters",
            ),
        ];
        for (line, key, why) in cases {
            let e = parsed(&format!("# caucus\n{line}\n")).unwrap_err();
            assert_eq!(e.line, Some(2), "{line}");
            assert_eq!(e.key.as_deref(), Some(key), "{line}");
            let shown = e.to_string();
            assert!(shown.contains(why), "{line}: {shown}");
            assert!(!shown.contains("hunter2"), "{line}: {shown}");
        }
    }

    #[test]
    fn bad_toml_is_refused_with_its_line() {
        let e = parsed("bind = \"127.0.0.1:8080\"\nsecure_cookies = tru\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert_eq!(e.key.as_deref(), Some("secure_cookies"));
        let e = parsed("smtp_url = \"smtp://u:hunter2@mail\nbind = \"a:1\"\n").unwrap_err();
        assert_eq!((e.line, e.key.as_deref()), (Some(1), Some("smtp_url")));
        assert!(!e.to_string().contains("hunter2"), "{e}");
        let e = parsed("bind = \"a:1\"\nbind = \"b:2\"\n").unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
    }

    #[test]
    fn a_flag_or_variable_beats_the_file_which_beats_the_default() {
        let default = || "127.0.0.1:8080".to_string();
        assert_eq!(
            pick(
                Some("flag:1".to_string()),
                Some("file:2".to_string()),
                default
            ),
            "flag:1"
        );
        assert_eq!(pick(None, Some("file:2".to_string()), default), "file:2");
        assert_eq!(pick(None, None, default), "127.0.0.1:8080");
    }

    #[test]
    fn a_missing_file_is_named() {
        let e = load(Path::new("/nonexistent/caucus.toml")).unwrap_err();
        assert!(e
            .to_string()
            .starts_with("the configuration file /nonexistent/caucus.toml: cannot be read"));
    }

    #[test]
    fn the_example_file_in_the_repository_is_valid_and_sets_every_key() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../caucus.example.toml");
        let c = load(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(c.db.is_some() && c.rulebook.is_some() && c.bind.is_some());
        assert!(c.secure_cookies.is_some() && c.smtp_url.is_some());
        assert!(c.mail_from.is_some() && c.public_url.is_some());
        assert!(c.metrics_token.is_some());
        assert!(c.audit_witness.is_some());
    }
}
