-- Metric rollups: per run, metric, level and bucket of 2^level steps, the
-- min, max, sum and count of the values (NaN left out; infinities count in
-- min and max only) and the first and last of them, kept up to date as
-- values are logged, so a chart of a long series reads a few thousand
-- rows instead of every point.
CREATE TABLE metric_rollups (
    run_id      TEXT NOT NULL,
    key         TEXT NOT NULL,
    level       INTEGER NOT NULL,
    bucket      BIGINT NOT NULL,
    min         DOUBLE PRECISION NOT NULL,
    max         DOUBLE PRECISION NOT NULL,
    sum         DOUBLE PRECISION NOT NULL,
    fcount      BIGINT NOT NULL,
    count       BIGINT NOT NULL,
    first_step  BIGINT NOT NULL,
    first_ts    BIGINT NOT NULL,
    first_value DOUBLE PRECISION NOT NULL,
    last_step   BIGINT NOT NULL,
    last_ts     BIGINT NOT NULL,
    last_value  DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (run_id, key, level, bucket)
);
