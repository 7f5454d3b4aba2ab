-- What makes a direct edit of the members table evident, and the outcome of every line of the access
-- log. Kept in lockstep with ../sqlite (a test checks).

-- The digest of each member row (`MemberRow::audit_digest`: SHA-256 over its columns) as written by
-- the audit event `audit_seq`, one row per member the event wrote. The event's after_digest covers
-- these rows (`member_digests::set_digest`) and its detail says how many there are, so the chain
-- protects them; `caucus audit verify` compares each member with the digest its latest event recorded.
CREATE TABLE member_digests (
    audit_seq BIGINT NOT NULL,
    member_id BIGINT NOT NULL REFERENCES members(id),
    digest TEXT NOT NULL,
    PRIMARY KEY (audit_seq, member_id)
);
CREATE INDEX member_digests_member ON member_digests(member_id, audit_seq);

-- Members already on the register when this ran have no digest yet: the first open after it records
-- every member row as it stands, in one audit event, and clears the flag (`member_digests::baseline`).
ALTER TABLE audit_head ADD COLUMN member_digests_pending BOOLEAN NOT NULL DEFAULT TRUE;

-- Whether a read was allowed, refused by the access policy, or asked for something not there.
ALTER TABLE access_log ADD COLUMN outcome TEXT NOT NULL DEFAULT 'allowed'
    CHECK (outcome IN ('allowed', 'refused', 'not_found'));
