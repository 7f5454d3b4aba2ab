-- Offices held in units for effective-dated terms: held from a date up to, not including, the day
-- the term ends (the AGM for an interim officer). Gender is what the officer gives for the gender
-- rules of office; it is not equality-monitoring data.
CREATE TABLE offices (
    id INTEGER PRIMARY KEY,
    unit_id BIGINT NOT NULL REFERENCES units(id),
    member_id BIGINT NOT NULL REFERENCES members(id),
    office TEXT NOT NULL,
    held_from DATE NOT NULL,
    held_until DATE NULL,
    interim BOOLEAN NOT NULL DEFAULT FALSE,
    appointed_by TEXT NOT NULL,
    gender TEXT NOT NULL CHECK (gender IN ('woman', 'man', 'non_binary', 'not_given')),
    audit_seq BIGINT NOT NULL,
    CHECK (held_until IS NULL OR held_until > held_from)
);
CREATE INDEX offices_unit ON offices(unit_id, held_from);
CREATE INDEX offices_member ON offices(member_id);
