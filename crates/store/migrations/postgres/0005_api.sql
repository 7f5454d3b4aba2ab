-- API tokens made on the settings page: a public id to list and revoke them by (the secret is kept
-- only as its hash) and the owner's label. Tokens from logging in have neither. Indexes for the
-- auditor's filters on the audit and access logs. Kept in lockstep with the other engine.

ALTER TABLE api_tokens ADD COLUMN public_id TEXT NULL;
ALTER TABLE api_tokens ADD COLUMN label TEXT NULL;
CREATE UNIQUE INDEX api_tokens_public_id ON api_tokens(public_id);

CREATE INDEX audit_events_actor ON audit_events(actor, seq);
CREATE INDEX audit_events_subject ON audit_events(subject, seq);
CREATE INDEX access_log_actor ON access_log(actor, id);
CREATE INDEX access_log_subject ON access_log(subject, id);
