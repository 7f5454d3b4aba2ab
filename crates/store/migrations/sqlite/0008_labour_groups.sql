-- A Labour group as the register knows it beyond its unit: whether its council has the strong-leader
-- model (a leader-and-cabinet executive), which gives the group leader a fixed term (rule 13.leader).
-- Its councillors are offices ('councillor') held in the group's unit, so "the group on a day" is a
-- query over dated terms like any other office.
CREATE TABLE labour_groups (
    unit_id BIGINT PRIMARY KEY REFERENCES units(id),
    strong_leader_model BOOLEAN NOT NULL,
    audit_seq BIGINT NOT NULL
);

-- The member behind each candidate of a ballot that fills an office (a group leader election), so
-- the published winner can be appointed; ballots of other kinds name candidates by name alone.
CREATE TABLE ballot_candidate_members (
    ballot_id BIGINT NOT NULL,
    position BIGINT NOT NULL,
    member_id BIGINT NOT NULL REFERENCES members(id),
    PRIMARY KEY (ballot_id, position),
    FOREIGN KEY (ballot_id, position) REFERENCES ballot_candidates(ballot_id, position)
);
CREATE INDEX offices_unit_office ON offices(unit_id, office, held_from);
