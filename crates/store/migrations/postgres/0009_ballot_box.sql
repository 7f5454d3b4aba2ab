-- The ballot box: papers go here while voting is open, each in the same transaction as its voter's
-- "has voted" mark. On PostgreSQL every row carries the id of the transaction that wrote it, and a
-- table keeps rows in the order they arrived, so while a paper sits here someone with the database's
-- files could line it up with its mark. When voting closes, every paper of the ballot moves to
-- ballot_papers in one transaction, in receipt order, and the box is emptied (and vacuumed on
-- PostgreSQL): the kept papers then share one writing transaction and one order that says nothing
-- about who voted when.
CREATE TABLE ballot_box (
    ballot_id BIGINT NOT NULL REFERENCES ballots(id),
    receipt TEXT NOT NULL,
    marks TEXT NOT NULL,
    PRIMARY KEY (ballot_id, receipt)
);

-- Papers of ballots still open were cast before the box existed: they wait in the box like the rest.
INSERT INTO ballot_box (ballot_id, receipt, marks)
SELECT p.ballot_id, p.receipt, p.marks
FROM ballot_papers p JOIN ballots b ON b.id = p.ballot_id
WHERE b.state = 'frozen';
DELETE FROM ballot_papers
WHERE ballot_id IN (SELECT id FROM ballots WHERE state = 'frozen');
