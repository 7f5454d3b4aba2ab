-- Accounts, their grants (role, unit, from, until), browser sessions, API tokens and the login
-- attempts that throttling counts. Kept in lockstep with ../postgres (a test checks). Times that are
-- compared (expiry, throttling windows) are Unix seconds bound from Rust, so both engines compare
-- them as numbers.

CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    member_id BIGINT NULL REFERENCES members(id),
    totp_secret TEXT NULL,
    totp_enrolled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);

CREATE TABLE grants (
    id INTEGER PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    role TEXT NOT NULL CHECK (role IN ('member', 'councillor', 'branch_secretary', 'clp_secretary',
        'group_leader', 'chief_whip', 'lgc_secretary', 'regional_director', 'appointed_officer',
        'complaints_officer', 'nec_panel_member', 'ncc_member', 'irb_member', 'icb_member',
        'whistleblowing_officer', 'general_secretary', 'nec_member', 'equality_analyst', 'auditor',
        'admin')),
    unit_id BIGINT NULL REFERENCES units(id),
    valid_from DATE NOT NULL,
    valid_until DATE NULL,
    audit_seq BIGINT NOT NULL
);
CREATE INDEX grants_account ON grants(account_id);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
CREATE INDEX sessions_account ON sessions(account_id);

CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    scopes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT NULL
);
CREATE INDEX api_tokens_account ON api_tokens(account_id);

CREATE TABLE login_attempts (
    id INTEGER PRIMARY KEY,
    occurred_at BIGINT NOT NULL,
    email TEXT NOT NULL,
    address TEXT NOT NULL,
    succeeded BOOLEAN NOT NULL
);
CREATE INDEX login_attempts_email ON login_attempts(email, occurred_at);
CREATE INDEX login_attempts_address ON login_attempts(address, occurred_at);
