-- tabveil-server schema, version 1. One dialect for SQLite and PostgreSQL: TEXT, BIGINT and
-- DOUBLE PRECISION only; ids are random text; times are Unix milliseconds.

CREATE TABLE principals (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    is_admin BIGINT NOT NULL,
    created_by TEXT,
    token_hash TEXT NOT NULL UNIQUE,
    revoked BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE datasets (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES principals (id),
    name TEXT NOT NULL,
    schema_json TEXT NOT NULL,
    epsilon_total DOUBLE PRECISION NOT NULL,
    delta DOUBLE PRECISION NOT NULL,
    accountant TEXT NOT NULL,
    row_estimate_share DOUBLE PRECISION NOT NULL,
    state TEXT NOT NULL,
    format TEXT,
    file_name TEXT,
    file_sha256 TEXT,
    file_bytes BIGINT,
    row_estimate DOUBLE PRECISION,
    chain_seq BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX datasets_owner ON datasets (owner_id);

CREATE TABLE dataset_grants (
    dataset_id TEXT NOT NULL REFERENCES datasets (id),
    analyst_id TEXT NOT NULL REFERENCES principals (id),
    PRIMARY KEY (dataset_id, analyst_id)
);
CREATE INDEX dataset_grants_analyst ON dataset_grants (analyst_id);

CREATE TABLE generators (
    id TEXT PRIMARY KEY,
    dataset_id TEXT NOT NULL REFERENCES datasets (id),
    requested_by TEXT NOT NULL REFERENCES principals (id),
    model TEXT NOT NULL,
    settings_json TEXT NOT NULL,
    state TEXT NOT NULL,
    epoch BIGINT NOT NULL,
    epochs BIGINT NOT NULL,
    steps BIGINT NOT NULL,
    epsilon_spent DOUBLE PRECISION,
    target_epsilon DOUBLE PRECISION NOT NULL,
    delta DOUBLE PRECISION NOT NULL,
    error TEXT,
    error_code TEXT,
    model_file TEXT,
    model_sha256 TEXT,
    planned_seq BIGINT,
    settled_seq BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX generators_dataset ON generators (dataset_id);
CREATE INDEX generators_state ON generators (state);

-- The hash chain of each dataset's charges (append-only: rows are never updated or deleted by
-- the server; `tabveil ledger verify` detects any change).
CREATE TABLE ledger_entries (
    dataset_id TEXT NOT NULL REFERENCES datasets (id),
    seq BIGINT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (dataset_id, seq)
);
