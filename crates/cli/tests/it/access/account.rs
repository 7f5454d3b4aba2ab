//! The second factor on every engine: an officer without one is taken to enrolment at login and can
//! do nothing else; the QR code is an SVG image of the otpauth URI with the secret the page shows;
//! a code confirms it and yields recovery codes shown once, each good for one login.
use caucus_app::access::second_factor::{otpauth_uri, qr_svg, RECOVERY_CODES};
use caucus_domain::access::policy::Role;
use caucus_store::audit;
use regex::Regex;
use reqwest::StatusCode;
use serde_json::json;

use crate::ops::mail::{account, app, Served, PASSWORD};

#[tokio::test]
async fn an_officer_without_a_second_factor_enrols_with_the_qr_code_and_logs_in_with_a_recovery_code(
) {
    let key = Regex::new(r#"<code class="secret">([A-Z2-7]+)</code>"#).unwrap();
    let recovery =
        Regex::new(r"<li>([0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4})</li>").unwrap();
    for db in caucus_testkit::databases().await {
        let app = app(&db.url).await;
        let email = "officer@example.org";
        // A member's account, then an auditor's grant: a role that needs a second factor.
        assert!(account(&app, email, Role::Member).await.is_none());
        assert!(account(&app, email, Role::Auditor).await.is_none());
        let served = Served::start(&app, None).await;

        // The API refuses the login; the web login leads to enrolment and nowhere else.
        let api = served
            .client
            .post(served.url("/api/v1/session"))
            .json(&json!({"email": email, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
        assert!(api.text().await.unwrap().contains("enrol"));
        let login = served.log_in(email, PASSWORD, "").await;
        assert_eq!(login.status, StatusCode::SEE_OTHER, "{}", login.body);
        assert_eq!(login.location.as_deref(), Some("/account/second-factor"));
        let enrolling = format!("caucus_session={}", login.cookie("caucus_session").unwrap());
        for path in ["/", "/members", "/admin/outbox"] {
            let p = served.get(path, &enrolling).await;
            assert_eq!(p.status, StatusCode::SEE_OTHER, "{path}");
            assert_eq!(p.location.as_deref(), Some("/account/second-factor"));
        }

        // The page: the QR code as an image of our own, the key as text, no script.
        let page = served.get("/account/second-factor", &enrolling).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("src=\"/account/second-factor/qr.svg\""));
        assert!(!page.body.contains("<script"));
        assert!(page.csp.contains("default-src 'none'") && page.csp.contains("img-src 'self'"));
        let secret = key
            .captures(&page.body)
            .unwrap_or_else(|| panic!("no key on the page:\n{}", page.body))[1]
            .to_string();
        let qr = served
            .get("/account/second-factor/qr.svg", &enrolling)
            .await;
        assert_eq!(qr.status, StatusCode::OK);
        assert_eq!(qr.content_type, "image/svg+xml");
        assert_eq!(qr.body, qr_svg(&otpauth_uri(email, &secret)).unwrap());
        // Reloading keeps the same secret (a code already scanned stays good).
        let reloaded = served.get("/account/second-factor", &enrolling).await;
        assert!(reloaded.body.contains(&secret));

        // A wrong code is refused; the right one activates it and shows the recovery codes once.
        let csrf = page.hidden("csrf");
        let right = served.code(&secret);
        let wrong = if right == "000000" {
            "111111"
        } else {
            "000000"
        };
        let refused = served
            .post(
                "/account/second-factor",
                &enrolling,
                &[("csrf", &csrf), ("code", wrong)],
            )
            .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST);
        assert!(refused.body.contains("not right"));
        let forged = served
            .post(
                "/account/second-factor",
                &enrolling,
                &[("csrf", "forged"), ("code", &right)],
            )
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        let confirmed = served
            .post(
                "/account/second-factor",
                &enrolling,
                &[("csrf", &csrf), ("code", &right)],
            )
            .await;
        assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
        let codes: Vec<String> = recovery
            .captures_iter(&confirmed.body)
            .map(|c| c[1].to_string())
            .collect();
        assert_eq!(codes.len(), RECOVERY_CODES);
        // The enrolling session became a full one under a new token.
        let full = format!(
            "caucus_session={}",
            confirmed.cookie("caucus_session").unwrap()
        );
        assert_ne!(full, enrolling);
        assert_eq!(served.get("/", &full).await.status, StatusCode::OK);
        assert_eq!(
            served.get("/", &enrolling).await.status,
            StatusCode::SEE_OTHER
        );
        let status = served.get("/account/second-factor", &full).await;
        assert!(
            status.body.contains("Unused recovery codes: 10"),
            "{}",
            status.body
        );
        assert!(
            !status.body.contains(&codes[0]),
            "recovery codes are shown once"
        );
        assert_eq!(
            served
                .get("/account/second-factor/qr.svg", &full)
                .await
                .status,
            StatusCode::NOT_FOUND
        );

        // Logging in now needs the code, or a recovery code, each of which works once.
        assert_eq!(
            served.log_in(email, PASSWORD, "").await.status,
            StatusCode::UNAUTHORIZED
        );
        let with_recovery = served.log_in(email, PASSWORD, &codes[0]).await;
        assert_eq!(with_recovery.status, StatusCode::SEE_OTHER);
        assert_eq!(with_recovery.location.as_deref(), Some("/"));
        assert_eq!(
            served.log_in(email, PASSWORD, &codes[0]).await.status,
            StatusCode::UNAUTHORIZED
        );
        let with_totp = served.log_in(email, PASSWORD, &served.code(&secret)).await;
        assert_eq!(with_totp.location.as_deref(), Some("/"));
        let api = served
            .client
            .post(served.url("/api/v1/session"))
            .json(&json!({"email": email, "password": PASSWORD, "totp": codes[1].to_uppercase()}))
            .send()
            .await
            .unwrap();
        assert_eq!(api.status(), StatusCode::CREATED);
        let status = served.get("/account/second-factor", &full).await;
        assert!(
            status.body.contains("Unused recovery codes: 8"),
            "{}",
            status.body
        );

        // Audited, without the codes.
        let log = audit::list(&app.store, 0, 10_000).await.unwrap();
        let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
        assert!(actions.contains(&"account.second_factor_enrol"));
        assert_eq!(
            actions
                .iter()
                .filter(|a| **a == "account.recovery_code_use")
                .count(),
            2
        );
        let text = format!("{log:?}");
        assert!(codes.iter().all(|c| !text.contains(c.as_str())));
        assert!(!text.contains(&secret));
        served.stop().await;
        app.store.close().await;
    }
}

/// The recovery codes on a page's answer, in order.
fn recovery_codes(body: &str) -> Vec<String> {
    let re = Regex::new(r"<li>([0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4})</li>").unwrap();
    re.captures_iter(body).map(|c| c[1].to_string()).collect()
}

#[tokio::test]
async fn an_officer_regenerates_recovery_codes_and_replaces_the_second_factor_without_javascript() {
    let key = Regex::new(r#"<code class="secret">([A-Z2-7]+)</code>"#).unwrap();
    for db in caucus_testkit::databases().await {
        let app = app(&db.url).await;
        let email = "admin@example.org";
        let old_secret = account(&app, email, Role::Admin).await.unwrap();
        account(&app, "ann@example.org", Role::Member).await;
        let served = Served::start(&app, None).await;
        let login = served
            .log_in(email, PASSWORD, &served.code(&old_secret))
            .await;
        assert_eq!(login.status, StatusCode::SEE_OTHER, "{}", login.body);
        let cookie = format!("caucus_session={}", login.cookie("caucus_session").unwrap());

        // The settings page offers both, as plain forms.
        let page = served.get("/account/second-factor", &cookie).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page
            .body
            .contains("action=\"/account/second-factor/recovery-codes\""));
        assert!(page
            .body
            .contains("action=\"/account/second-factor/replace\""));
        assert!(!page.body.contains("<script"));
        let csrf = page.hidden("csrf");

        // New recovery codes need proof: a wrong code or a forged form is refused.
        let right = served.code(&old_secret);
        let wrong = if right == "000000" {
            "111111"
        } else {
            "000000"
        };
        let refused = served
            .post(
                "/account/second-factor/recovery-codes",
                &cookie,
                &[("csrf", &csrf), ("code", wrong)],
            )
            .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST);
        assert!(refused.body.contains("not right"), "{}", refused.body);
        assert!(recovery_codes(&refused.body).is_empty());
        let forged = served
            .post(
                "/account/second-factor/recovery-codes",
                &cookie,
                &[("csrf", "forged"), ("code", &right)],
            )
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        let first = served
            .post(
                "/account/second-factor/recovery-codes",
                &cookie,
                &[("csrf", &csrf), ("code", &right)],
            )
            .await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.body);
        assert!(first.body.contains("the old ones no longer work"));
        let first = recovery_codes(&first.body);
        assert_eq!(first.len(), RECOVERY_CODES);
        assert!(served
            .get("/account/second-factor", &cookie)
            .await
            .body
            .contains("Unused recovery codes: 10"));

        // A recovery code is proof enough (and is spent); the codes it replaces stop working.
        let second = served
            .post(
                "/account/second-factor/recovery-codes",
                &cookie,
                &[("csrf", &csrf), ("code", &first[0])],
            )
            .await;
        assert_eq!(second.status, StatusCode::OK, "{}", second.body);
        let second = recovery_codes(&second.body);
        assert_eq!(second.len(), RECOVERY_CODES);
        assert!(second.iter().all(|c| !first.contains(c)));
        assert_eq!(
            served.log_in(email, PASSWORD, &first[1]).await.status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            served.log_in(email, PASSWORD, &second[0]).await.status,
            StatusCode::SEE_OTHER
        );

        // Replacing starts with proof and shows a new key; the old factor works until confirmed,
        // and the replacement can be abandoned.
        let started = served
            .post(
                "/account/second-factor/replace",
                &cookie,
                &[("csrf", &csrf), ("code", &served.code(&old_secret))],
            )
            .await;
        assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
        assert_eq!(started.location.as_deref(), Some("/account/second-factor"));
        let pending = served.get("/account/second-factor", &cookie).await;
        let abandoned = key.captures(&pending.body).unwrap()[1].to_string();
        assert_ne!(abandoned, old_secret);
        assert!(pending
            .body
            .contains("action=\"/account/second-factor/replace/cancel\""));
        let cancelled = served
            .post(
                "/account/second-factor/replace/cancel",
                &cookie,
                &[("csrf", &csrf)],
            )
            .await;
        assert_eq!(cancelled.status, StatusCode::SEE_OTHER);
        let page = served.get("/account/second-factor", &cookie).await;
        assert!(!page.body.contains(&abandoned));
        assert!(page
            .body
            .contains("action=\"/account/second-factor/replace\""));

        // Again, proving with a recovery code (a lost phone), and confirming with the new app. A
        // session logged in elsewhere (the lost phone's browser, say) ends with the replacement.
        let elsewhere = served
            .log_in(email, PASSWORD, &served.code(&old_secret))
            .await;
        assert_eq!(
            elsewhere.status,
            StatusCode::SEE_OTHER,
            "{}",
            elsewhere.body
        );
        let elsewhere = format!(
            "caucus_session={}",
            elsewhere.cookie("caucus_session").unwrap()
        );
        assert_eq!(served.get("/", &elsewhere).await.status, StatusCode::OK);
        let started = served
            .post(
                "/account/second-factor/replace",
                &cookie,
                &[("csrf", &csrf), ("code", &second[1])],
            )
            .await;
        assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
        let pending = served.get("/account/second-factor", &cookie).await;
        let new_secret = key.captures(&pending.body).unwrap()[1].to_string();
        assert_ne!(new_secret, old_secret);
        let qr = served.get("/account/second-factor/qr.svg", &cookie).await;
        assert_eq!(qr.status, StatusCode::OK);
        assert_eq!(qr.body, qr_svg(&otpauth_uri(email, &new_secret)).unwrap());
        let with_old = served.code_now(&old_secret);
        if with_old != served.code_now(&new_secret) {
            let refused = served
                .post(
                    "/account/second-factor",
                    &cookie,
                    &[("csrf", &csrf), ("code", &with_old)],
                )
                .await;
            assert_eq!(refused.status, StatusCode::BAD_REQUEST);
        }
        let confirmed = served
            .post(
                "/account/second-factor",
                &cookie,
                &[("csrf", &csrf), ("code", &served.code(&new_secret))],
            )
            .await;
        assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
        assert!(confirmed.body.contains("Your second factor is replaced"));
        let third = recovery_codes(&confirmed.body);
        assert_eq!(third.len(), RECOVERY_CODES);
        assert_eq!(served.get("/", &cookie).await.status, StatusCode::OK);
        let ended = served.get("/", &elsewhere).await;
        assert_eq!(ended.status, StatusCode::SEE_OTHER, "{}", ended.body);

        // Now only the new app and the newest codes log in.
        if served.code_now(&old_secret) != served.code_now(&new_secret) {
            assert_eq!(
                served
                    .log_in(email, PASSWORD, &served.code_now(&old_secret))
                    .await
                    .status,
                StatusCode::UNAUTHORIZED
            );
        }
        assert_eq!(
            served.log_in(email, PASSWORD, &second[2]).await.status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            served
                .log_in(email, PASSWORD, &served.code(&new_secret))
                .await
                .status,
            StatusCode::SEE_OTHER
        );
        assert_eq!(
            served.log_in(email, PASSWORD, &third[0]).await.status,
            StatusCode::SEE_OTHER
        );

        // An account without a second factor has nothing to regenerate.
        let member = served.log_in("ann@example.org", PASSWORD, "").await;
        let member_cookie = format!(
            "caucus_session={}",
            member.cookie("caucus_session").unwrap()
        );
        let member_csrf = served
            .get("/account/second-factor", &member_cookie)
            .await
            .hidden("csrf");
        let nothing = served
            .post(
                "/account/second-factor/recovery-codes",
                &member_cookie,
                &[("csrf", &member_csrf), ("code", "123456")],
            )
            .await;
        assert_eq!(nothing.status, StatusCode::BAD_REQUEST);
        assert!(
            nothing.body.contains("no second factor yet"),
            "{}",
            nothing.body
        );

        // Audited, saying how the owner proved it, without codes or secrets.
        let log = audit::list(&app.store, 0, 10_000).await.unwrap();
        let of = |action: &str| {
            log.iter()
                .filter(|e| e.action == action)
                .map(|e| serde_json::from_str::<serde_json::Value>(&e.detail).unwrap())
                .collect::<Vec<_>>()
        };
        let regenerated = of("account.recovery_codes_regenerate");
        assert_eq!(regenerated.len(), 2);
        assert_eq!(regenerated[0]["proved_with"], "totp");
        assert_eq!(regenerated[1]["proved_with"], "recovery_code");
        let begun = of("account.second_factor_replace_begin");
        assert_eq!(begun.len(), 2);
        assert_eq!(begun[1]["proved_with"], "recovery_code");
        assert_eq!(of("account.second_factor_replace_cancel").len(), 1);
        let replaced = of("account.second_factor_replace");
        assert_eq!(replaced.len(), 1);
        // The session elsewhere, and any the test's earlier logins left.
        assert!(replaced[0]["other_sessions_ended"].as_u64().unwrap() >= 1);
        let text = format!("{log:?}");
        for secret in [&old_secret, &new_secret, &abandoned] {
            assert!(!text.contains(secret.as_str()));
        }
        assert!(first
            .iter()
            .chain(&second)
            .chain(&third)
            .all(|c| !text.contains(c.as_str())));
        served.stop().await;
        app.store.close().await;
    }
}

#[tokio::test]
async fn a_totp_code_logs_in_once_and_a_later_steps_code_still_works() {
    use caucus_app::access::accounts::totp_code;
    for db in caucus_testkit::databases().await {
        let app = app(&db.url).await;
        let email = "admin@example.org";
        let secret = account(&app, email, Role::Admin).await.unwrap();
        let served = Served::start(&app, None).await;
        let step = app.clock.now().unix_timestamp() as u64 / 30;
        let code = totp_code(&secret, step * 30).unwrap();

        // The code logs in; the session ends.
        let first = served.log_in(email, PASSWORD, &code).await;
        assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.body);
        let cookie = format!("caucus_session={}", first.cookie("caucus_session").unwrap());
        let csrf = served.get("/", &cookie).await.hidden("csrf");
        let out = served.post("/logout", &cookie, &[("csrf", &csrf)]).await;
        assert_eq!(out.status, StatusCode::SEE_OTHER);
        assert_eq!(served.get("/", &cookie).await.status, StatusCode::SEE_OTHER);

        // The same code again, with the right password, is refused, saying why; on the API too.
        let again = served.log_in(email, PASSWORD, &code).await;
        assert_eq!(again.status, StatusCode::UNAUTHORIZED, "{}", again.body);
        assert!(again.body.contains("already been used"), "{}", again.body);
        assert!(again.cookie("caucus_session").is_none());
        let api = served
            .client
            .post(served.url("/api/v1/session"))
            .json(&json!({"email": email, "password": PASSWORD, "totp": code}))
            .send()
            .await
            .unwrap();
        assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
        assert!(api.text().await.unwrap().contains("already been used"));

        // The next step's code works once, even when two logins race with it.
        let next = totp_code(&secret, (step + 1) * 30).unwrap();
        let race = || {
            served
                .client
                .post(served.url("/api/v1/session"))
                .json(&json!({"email": email, "password": PASSWORD, "totp": next}))
                .send()
        };
        let (a, b) = tokio::join!(race(), race());
        let mut statuses = [a.unwrap().status(), b.unwrap().status()];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::CREATED, StatusCode::UNAUTHORIZED],
            "one of two logins racing with one code gets in"
        );
        // A code of an earlier step than the last used is refused too.
        assert_eq!(
            served.log_in(email, PASSWORD, &code).await.status,
            StatusCode::UNAUTHORIZED
        );
        served.stop().await;
        app.store.close().await;
    }
}

#[tokio::test]
async fn wrong_passwords_from_one_address_do_not_lock_the_owner_out_from_another() {
    use caucus_app::access::accounts::{
        log_in, Login, MAX_FAILURES_PER_ACCOUNT, MAX_FAILURES_PER_ADDRESS,
        MAX_FAILURES_PER_ADDRESS_AND_ACCOUNT,
    };
    use caucus_app::AppError;
    for db in caucus_testkit::databases().await {
        let app = app(&db.url).await;
        let email = "ann@example.org";
        account(&app, email, Role::Member).await;
        let served = Served::start(&app, None).await;
        let attempt = |address: &'static str, email: &'static str, password: &'static str| {
            let app = app.clone();
            async move {
                log_in(
                    &app,
                    &Login {
                        email,
                        password,
                        totp: None,
                        address,
                    },
                )
                .await
            }
        };

        // Someone at address A guesses wrong until A is held back from the account, even with
        // the right password.
        let attacker = "192.0.2.66";
        for _ in 0..MAX_FAILURES_PER_ADDRESS_AND_ACCOUNT {
            let r = attempt(attacker, email, "a wrong guess").await;
            assert!(matches!(r, Err(AppError::Unauthenticated(_))), "{r:?}");
        }
        let held = attempt(attacker, email, PASSWORD).await;
        assert!(
            matches!(held, Err(AppError::TooManyAttempts(_))),
            "{held:?}"
        );

        // The owner, at another address (the test client's, 127.0.0.1), logs in on the page and
        // by the API.
        let owner = served.log_in(email, PASSWORD, "").await;
        assert_eq!(owner.status, StatusCode::SEE_OTHER, "{}", owner.body);
        assert_eq!(owner.location.as_deref(), Some("/"));
        let api = served
            .client
            .post(served.url("/api/v1/session"))
            .json(&json!({"email": email, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(api.status(), StatusCode::CREATED);
        // A is still held back.
        let held = attempt(attacker, email, PASSWORD).await;
        assert!(
            matches!(held, Err(AppError::TooManyAttempts(_))),
            "{held:?}"
        );
        // The owner's own slip does not hold their address back.
        assert_eq!(
            served.log_in(email, "a wrong guess", "").await.status,
            StatusCode::UNAUTHORIZED,
            "one failure from the owner's address does not hold it back"
        );

        // Spraying: one address trying a few passwords at many accounts is held back from all.
        let sprayer = "192.0.2.77";
        let now = app.clock.now().unix_timestamp();
        for i in 0..MAX_FAILURES_PER_ADDRESS {
            caucus_store::access::accounts::record_login_attempt(
                &app.store,
                now,
                &format!("someone-{}@example.org", i % 7),
                sprayer,
                false,
            )
            .await
            .unwrap();
        }
        let held = attempt(sprayer, email, PASSWORD).await;
        assert!(
            matches!(held, Err(AppError::TooManyAttempts(_))),
            "{held:?}"
        );

        // A guess spread over many addresses, each under its own limit, is slowed: past the
        // account-wide limit a new address is held back even with the right password, while the
        // owner's address (one the account logged in from) still gets in.
        let already = MAX_FAILURES_PER_ADDRESS_AND_ACCOUNT + 1;
        for i in already..MAX_FAILURES_PER_ACCOUNT {
            caucus_store::access::accounts::record_login_attempt(
                &app.store,
                now,
                email,
                &format!("198.51.100.{}", i / 4),
                false,
            )
            .await
            .unwrap();
        }
        let held = attempt("203.0.113.9", email, PASSWORD).await;
        assert!(
            matches!(held, Err(AppError::TooManyAttempts(_))),
            "{held:?}"
        );
        let owner = served.log_in(email, PASSWORD, "").await;
        assert_eq!(owner.status, StatusCode::SEE_OTHER, "{}", owner.body);
        served.stop().await;
        app.store.close().await;
    }
}
