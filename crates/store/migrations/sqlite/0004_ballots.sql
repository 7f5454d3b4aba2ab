-- Secret ballots held in a unit: the ballot and its candidates, the roll frozen from the register's
-- history (with the reasons for each exclusion), the "has voted" marks, and the papers. The papers
-- are kept apart from the marks and hold nothing that leads back to a voter: no member, no time, no
-- sequence; their key is a random receipt code, so even the key's order is not the order of voting.
CREATE TABLE ballots (
    id INTEGER PRIMARY KEY,
    unit_id BIGINT NOT NULL REFERENCES units(id),
    title TEXT NOT NULL,
    kind TEXT NOT NULL,
    method TEXT NOT NULL,
    seats BIGINT NOT NULL CHECK (seats >= 1),
    opens_at TEXT NOT NULL,
    closes_at TEXT NOT NULL,
    freeze_on DATE NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('draft', 'frozen', 'counted', 'published')),
    result_json TEXT NULL,
    result_text TEXT NULL,
    result_html TEXT NULL,
    created_by TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX ballots_unit ON ballots(unit_id);

CREATE TABLE ballot_candidates (
    ballot_id BIGINT NOT NULL REFERENCES ballots(id),
    position BIGINT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (ballot_id, position),
    UNIQUE (ballot_id, name)
);

-- One row per member considered: on the roll (included) or not, with the reasons as JSON
-- ([{"clause", "message"}]), as judged on the freeze date.
CREATE TABLE ballot_roll (
    ballot_id BIGINT NOT NULL REFERENCES ballots(id),
    member_id BIGINT NOT NULL REFERENCES members(id),
    included BOOLEAN NOT NULL,
    reasons TEXT NOT NULL,
    PRIMARY KEY (ballot_id, member_id)
) WITHOUT ROWID;
CREATE INDEX ballot_roll_member ON ballot_roll(member_id);

-- Who has voted: the key makes a second vote impossible even under concurrency. No time is kept.
CREATE TABLE ballot_voted (
    ballot_id BIGINT NOT NULL,
    member_id BIGINT NOT NULL,
    PRIMARY KEY (ballot_id, member_id),
    FOREIGN KEY (ballot_id, member_id) REFERENCES ballot_roll(ballot_id, member_id)
) WITHOUT ROWID;

-- The papers: marks as text (1-based candidate numbers in order, as a BLT line has them).
CREATE TABLE ballot_papers (
    ballot_id BIGINT NOT NULL REFERENCES ballots(id),
    receipt TEXT NOT NULL,
    marks TEXT NOT NULL,
    PRIMARY KEY (ballot_id, receipt)
) WITHOUT ROWID;

-- Petitions to recall a Labour group's leader: the group as it stood when the petition opened (the
-- councillors who may sign), and the signatures, which are public and so kept with the day signed.
CREATE TABLE recall_petitions (
    id INTEGER PRIMARY KEY,
    unit_id BIGINT NOT NULL REFERENCES units(id),
    leader_member_id BIGINT NOT NULL REFERENCES members(id),
    opened_on DATE NOT NULL,
    triggered_on DATE NULL,
    created_by TEXT NOT NULL
);

CREATE TABLE recall_group (
    petition_id BIGINT NOT NULL REFERENCES recall_petitions(id),
    member_id BIGINT NOT NULL REFERENCES members(id),
    PRIMARY KEY (petition_id, member_id)
);

CREATE TABLE recall_signatures (
    petition_id BIGINT NOT NULL,
    member_id BIGINT NOT NULL,
    signed_on DATE NOT NULL,
    PRIMARY KEY (petition_id, member_id),
    FOREIGN KEY (petition_id, member_id) REFERENCES recall_group(petition_id, member_id)
);
