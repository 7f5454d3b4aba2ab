-- Where each postcode puts a member in each boundary set: its ward, constituency party and branch.
-- A member's current units are read through this table for the register's current set instead of
-- being copied onto every member row, so a boundary reallocation writes history (one placement per
-- member) and switches the current set, rather than rewriting a million member rows and two
-- indexes over them (the cost that kept a 1,000,000-member reallocation above 10 s).
CREATE TABLE postcode_units (
    boundary_set TEXT NOT NULL REFERENCES boundary_sets(name),
    postcode TEXT NOT NULL,
    ward_code TEXT NULL,
    clp_unit_id BIGINT NULL REFERENCES units(id),
    branch_unit_id BIGINT NULL REFERENCES units(id),
    PRIMARY KEY (boundary_set, postcode)
);
CREATE INDEX postcode_units_clp ON postcode_units(clp_unit_id);
CREATE INDEX postcode_units_branch ON postcode_units(branch_unit_id);

INSERT INTO postcode_units (boundary_set, postcode, ward_code, clp_unit_id, branch_unit_id)
SELECT p.boundary_set, p.postcode, p.ward_code, cu.id, bw.branch_unit_id
FROM postcodes p
LEFT JOIN units cu ON cu.boundary_set = p.boundary_set AND cu.kind = 'clp' AND cu.gss_code = p.pcon_code
LEFT JOIN branch_wards bw ON bw.boundary_set = p.boundary_set AND bw.ward_code = p.ward_code
    AND bw.clp_unit_id = cu.id;

DROP INDEX members_clp;
DROP INDEX members_branch;
ALTER TABLE members DROP COLUMN branch_unit_id;
ALTER TABLE members DROP COLUMN clp_unit_id;

-- A reallocation's members counted per range by (new CLP, previous CLP, exception), written with each
-- range, so the run's summary is a sum of a few hundred rows, however many members moved.
CREATE TABLE reallocation_counts (
    run_id BIGINT NOT NULL REFERENCES reallocation_runs(id),
    new_clp_unit_id BIGINT NULL,
    old_clp_unit_id BIGINT NULL,
    exception BOOLEAN NOT NULL,
    members BIGINT NOT NULL
);
CREATE INDEX reallocation_counts_run ON reallocation_counts(run_id);
