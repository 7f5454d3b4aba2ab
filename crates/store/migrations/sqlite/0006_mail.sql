-- Mail and account recovery: the outbox every message goes through (sent by SMTP when a server is
-- configured, kept for the admins to see when not, and kept with its error when sending fails),
-- emailed password-reset tokens (hashed, expiring, single use) and the requests that throttling
-- counts, TOTP enrolment awaiting confirmation, recovery codes (hashed, single use), and sessions
-- that may only enrol a second factor. Kept in lockstep with ../postgres (a test checks). Times to
-- compare are Unix seconds.

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    created_at BIGINT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    -- queued: waiting to be sent (or no SMTP server is configured); sent; failed: given up on after
    -- repeated errors, kept with the last one.
    status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT NULL,
    sent_at BIGINT NULL
);
CREATE INDEX outbox_due ON outbox(status, next_attempt_at);

CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT NULL
);
CREATE INDEX password_resets_account ON password_resets(account_id);

CREATE TABLE reset_requests (
    id INTEGER PRIMARY KEY,
    occurred_at BIGINT NOT NULL,
    email TEXT NOT NULL,
    address TEXT NOT NULL
);
CREATE INDEX reset_requests_email ON reset_requests(email, occurred_at);
CREATE INDEX reset_requests_address ON reset_requests(address, occurred_at);

CREATE TABLE recovery_codes (
    id INTEGER PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    code_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    used_at BIGINT NULL
);
CREATE INDEX recovery_codes_account ON recovery_codes(account_id);

-- A secret shown on the enrolment page, active only once a code from it has been confirmed.
ALTER TABLE accounts ADD COLUMN totp_pending_secret TEXT NULL;
-- A session of a staff or officer account that has no second factor yet: it may only enrol one.
ALTER TABLE sessions ADD COLUMN enrol_only BOOLEAN NOT NULL DEFAULT FALSE;
