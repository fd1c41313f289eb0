-- Reverts 0003_scheduler.sql.
DROP TABLE IF EXISTS schedule_anomalies;
DROP TABLE IF EXISTS schedule_runs;
DROP TABLE IF EXISTS schedules;
