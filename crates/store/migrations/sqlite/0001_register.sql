-- The register: geography, units, members with effective-dated history, the audit chain, and the
-- checkpoints that make bulk work resumable. Kept in lockstep with ../postgres (a test checks).

CREATE TABLE register_settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE boundary_sets (
    name TEXT PRIMARY KEY,
    effective_from DATE NULL,
    effective_until DATE NULL,
    imported_at TEXT NOT NULL
);

CREATE TABLE postcodes (
    boundary_set TEXT NOT NULL REFERENCES boundary_sets(name),
    postcode TEXT NOT NULL,
    ward_code TEXT NULL,
    lad_code TEXT NULL,
    pcon_code TEXT NULL,
    region_code TEXT NULL,
    country_code TEXT NULL,
    terminated_on DATE NULL,
    PRIMARY KEY (boundary_set, postcode)
);

CREATE TABLE units (
    id INTEGER PRIMARY KEY,
    boundary_set TEXT NOT NULL DEFAULT '',
    code TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('national', 'nation', 'region', 'local_authority', 'clp', 'branch',
        'labour_group', 'womens_branch', 'young_labour', 'affiliate')),
    name TEXT NOT NULL,
    gss_code TEXT NULL,
    parent_id BIGINT NULL REFERENCES units(id),
    special_measures BOOLEAN NOT NULL DEFAULT FALSE,
    version BIGINT NOT NULL DEFAULT 1,
    UNIQUE (boundary_set, code)
);
CREATE INDEX units_parent ON units(parent_id);
CREATE INDEX units_code ON units(code);
-- A set's constituency party by its constituency code: the join every placement makes.
CREATE INDEX units_gss ON units(boundary_set, kind, gss_code);

-- The wards a branch covers (one to three, all in one CLP of one boundary set).
CREATE TABLE branch_wards (
    branch_unit_id BIGINT NOT NULL REFERENCES units(id),
    boundary_set TEXT NOT NULL,
    ward_code TEXT NOT NULL,
    clp_unit_id BIGINT NOT NULL REFERENCES units(id),
    PRIMARY KEY (boundary_set, ward_code, clp_unit_id)
);

CREATE TABLE members (
    id INTEGER PRIMARY KEY,
    membership_number TEXT NOT NULL UNIQUE,
    given_name TEXT NOT NULL,
    family_name TEXT NOT NULL,
    email TEXT NULL,
    phone TEXT NULL,
    date_of_birth DATE NULL,
    address_line1 TEXT NULL,
    address_line2 TEXT NULL,
    town TEXT NULL,
    postcode TEXT NOT NULL,
    joined_on DATE NOT NULL,
    continuous_since DATE NOT NULL,
    rate TEXT NOT NULL,
    payment_method TEXT NOT NULL CHECK (payment_method IN ('direct_debit', 'card', 'cheque')),
    paid_up_until DATE NULL,
    registered_to_vote BOOLEAN NOT NULL,
    registration_verified_on DATE NULL,
    trade_union TEXT NULL,
    status TEXT NOT NULL CHECK (status IN ('provisional', 'active', 'in_arrears', 'lapsed', 'suspended',
        'expelled', 'excluded', 'rejected', 'resigned', 'deceased')),
    branch_unit_id BIGINT NULL REFERENCES units(id),
    clp_unit_id BIGINT NULL REFERENCES units(id),
    row_digest TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX members_clp ON members(clp_unit_id);
CREATE INDEX members_branch ON members(branch_unit_id);
CREATE INDEX members_postcode ON members(postcode);
CREATE INDEX members_family_name ON members(family_name);

-- Recorded status transitions; the status on a date is computed from these by the domain's rules.
CREATE TABLE member_status_history (
    id INTEGER PRIMARY KEY,
    member_id BIGINT NOT NULL REFERENCES members(id),
    effective_on DATE NOT NULL,
    status TEXT NOT NULL,
    reason_code TEXT NOT NULL,
    actor TEXT NOT NULL,
    audit_seq BIGINT NOT NULL
);
CREATE INDEX member_status_history_member ON member_status_history(member_id, effective_on);

-- Where a member belonged from a date: address postcode and the units it gave in a boundary set.
CREATE TABLE member_placements (
    id INTEGER PRIMARY KEY,
    member_id BIGINT NOT NULL REFERENCES members(id),
    effective_from DATE NOT NULL,
    boundary_set TEXT NOT NULL,
    postcode TEXT NOT NULL,
    ward_code TEXT NULL,
    branch_unit_id BIGINT NULL REFERENCES units(id),
    clp_unit_id BIGINT NULL REFERENCES units(id),
    -- For a reallocation: the CLP the member was in just before, for the report.
    previous_clp_unit_id BIGINT NULL REFERENCES units(id),
    reason_code TEXT NOT NULL,
    reallocation_run BIGINT NULL,
    audit_seq BIGINT NOT NULL
);
CREATE INDEX member_placements_member ON member_placements(member_id, effective_from);
CREATE UNIQUE INDEX member_placements_run ON member_placements(reallocation_run, member_id);

CREATE TABLE audit_events (
    seq BIGINT PRIMARY KEY,
    occurred_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    unit TEXT NULL,
    before_digest TEXT NULL,
    after_digest TEXT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);

-- The chain's head: one row, updated in every transaction that appends, so appends serialise.
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);

CREATE TABLE import_runs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    file_name TEXT NOT NULL,
    file_digest TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT NULL,
    lines_done BIGINT NOT NULL DEFAULT 0,
    imported BIGINT NOT NULL DEFAULT 0,
    updated BIGINT NOT NULL DEFAULT 0,
    rejected BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX import_runs_digest ON import_runs(kind, file_digest);

CREATE TABLE import_rejects (
    run_id BIGINT NOT NULL REFERENCES import_runs(id),
    line BIGINT NOT NULL,
    membership_number TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (run_id, line)
);

CREATE TABLE reallocation_runs (
    id INTEGER PRIMARY KEY,
    to_set TEXT NOT NULL REFERENCES boundary_sets(name),
    from_set TEXT NOT NULL,
    effective_on DATE NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT NULL,
    last_member_id BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE reallocation_exceptions (
    run_id BIGINT NOT NULL REFERENCES reallocation_runs(id),
    member_id BIGINT NOT NULL REFERENCES members(id),
    reason TEXT NOT NULL,
    PRIMARY KEY (run_id, member_id)
);

CREATE TABLE access_log (
    id INTEGER PRIMARY KEY,
    occurred_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT NOT NULL
);

INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
