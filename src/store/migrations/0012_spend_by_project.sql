-- A project's daily spend read by project first: get_cost, the dashboard's project page and the
-- gateway's budget baseline ask for one project's days of a month. The primary key leads with the
-- day, so with many projects those reads scanned every project's rows of the month (a project page
-- took 50 ms at 10,000 projects).
CREATE INDEX spend_daily_project_day_idx ON spend_daily (project_id, day);
