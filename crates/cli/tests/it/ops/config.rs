//! `caucus serve --config FILE` on every engine: the file names the database, the address and
//! the settings; a flag beats its environment variable, which beats the file; a bad file stops
//! the program naming the file, line and key, and secrets in it are never printed.
use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use crate::support::bin;

/// Every variable that could set what the file sets, so the test sees only what it gives.
const VARIABLES: [&str; 9] = [
    "CAUCUS_CONFIG",
    "CAUCUS_DATABASE_URL",
    "CAUCUS_RULEBOOK",
    "CAUCUS_BIND",
    "CAUCUS_SECURE_COOKIES",
    "CAUCUS_SMTP_URL",
    "CAUCUS_MAIL_FROM",
    "CAUCUS_PUBLIC_URL",
    "CAUCUS_TODAY",
];

fn caucus() -> Command {
    let mut c = Command::new(bin());
    for v in VARIABLES {
        c.env_remove(v);
    }
    c
}

struct Server {
    child: Child,
    port: String,
    printed: Vec<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `command` and reads its output up to the address it listens on.
async fn start(mut command: Command) -> Server {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (port, printed) = tokio::task::spawn_blocking(move || {
        let mut printed = Vec::new();
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let port = line
                .strip_prefix("listening on http://127.0.0.1:")
                .map(str::to_string);
            printed.push(line);
            if let Some(port) = port {
                return (Some(port), printed);
            }
        }
        (None, printed)
    })
    .await
    .unwrap();
    let port = port.unwrap_or_else(|| panic!("the server did not start: {printed:?}"));
    Server {
        child,
        port,
        printed,
    }
}

/// The Strict-Transport-Security header of the server's /readyz (which also shows the database
/// the file named is reachable).
async fn hsts(server: &Server) -> Option<String> {
    let r = reqwest::get(format!("http://127.0.0.1:{}/readyz", server.port))
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    r.headers()
        .get("strict-transport-security")
        .map(|v| v.to_str().unwrap().to_string())
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

#[tokio::test]
async fn serve_takes_its_settings_from_a_configuration_file_below_flags_and_variables() {
    for db in caucus_testkit::databases().await {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("caucus.toml");
        write(
            &file,
            &format!(
                "# the test's server\ndb = \"{}\"\nbind = \"127.0.0.1:0\"\nsecure_cookies = true\n\
                 smtp_url = \"smtp://caucus:hunter2@127.0.0.1:9\"\n\
                 mail_from = \"Caucus <no-reply@example.org>\"\n\
                 public_url = \"https://caucus.example.org\"\n",
                db.url
            ),
        );

        // Everything from the file: its database, its address, HTTPS (so HSTS).
        let mut c = caucus();
        c.arg("serve").arg("--config").arg(&file);
        let server = start(c).await;
        assert_eq!(hsts(&server).await.as_deref(), Some("max-age=31536000"));
        let printed = server.printed.join("\n");
        assert!(
            printed.contains("mail goes to the configured SMTP server"),
            "{printed}"
        );
        assert!(!printed.contains("hunter2"), "{printed}");
        drop(server);
        if db.engine == "sqlite" {
            let path = db.url.trim_start_matches("sqlite://");
            assert!(Path::new(path).exists(), "the file's database was used");
        }

        // The variable beats the file; the flag beats the variable (a bad address in the variable
        // would stop the server).
        let mut c = caucus();
        c.args(["serve", "--bind", "127.0.0.1:0"])
            .env("CAUCUS_CONFIG", &file)
            .env("CAUCUS_BIND", "127.0.0.1:not-a-port")
            .env("CAUCUS_SECURE_COOKIES", "false");
        let server = start(c).await;
        assert_eq!(hsts(&server).await, None);
        drop(server);
        let mut c = caucus();
        c.args(["serve", "--secure-cookies=false", "--config"])
            .arg(&file)
            .env("CAUCUS_SECURE_COOKIES", "true");
        let server = start(c).await;
        assert_eq!(hsts(&server).await, None);
        drop(server);
    }
}

#[tokio::test]
async fn a_bad_configuration_file_stops_caucus_naming_the_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("caucus.toml");
    let run = |text: &str| {
        write(&file, text);
        let out = caucus()
            .arg("serve")
            .arg("--config")
            .arg(&file)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, stdout, stderr) = run("bind = \"127.0.0.1:0\"\nsmtp-url = \"smtp://localhost\"\n");
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    assert!(
        stderr.contains(&format!(
            "the configuration file {}, line 2, key `smtp-url`: unknown field",
            file.display()
        )),
        "{stderr}"
    );
    assert!(!stdout.contains("listening"));
    let (code, _, stderr) =
        run("bind = \"127.0.0.1:0\"\n\n\ndb = \"mysql://root:hunter2@db/caucus\"\n");
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("line 4, key `db`: must be a database URL"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
    let missing = dir.path().join("absent.toml");
    let out = caucus()
        .arg("migrate")
        .env("CAUCUS_CONFIG", &missing)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("absent.toml: cannot be read"));
}
