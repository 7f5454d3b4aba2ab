-- Security: mail whose body holds a credential meant for its recipient only (a password-reset link)
-- keeps a redacted copy of the body, which is all the outbox shows anyone else; the last TOTP time
-- step each account has used, so that a code works once; and an index for counting failed logins per
-- address and account. Kept in lockstep with ../sqlite (a test checks).

-- NULL for mail anyone who manages accounts may read; else the body with the credential replaced.
ALTER TABLE outbox ADD COLUMN redacted_body TEXT NULL;
-- The 30-second step (Unix seconds / 30) of the last TOTP code accepted for the account: a code of
-- that step or an earlier one is refused. NULL until a code has been used.
ALTER TABLE accounts ADD COLUMN totp_last_step BIGINT NULL;
CREATE INDEX login_attempts_email_address ON login_attempts(email, address, occurred_at);
