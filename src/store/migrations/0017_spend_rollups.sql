-- Rollups of the daily rollup for the admin's Cost page. spend_daily holds a row per day, project,
-- key and model: a month of 10,000 projects is 300,000 rows, too many to sum for one page. A
-- trigger keeps two small sums in step with every write to it, in the writer's transaction:
--   spend_day_model      per day and model (the page's daily chart and per-model table)
--   spend_project_month  per month and project (its per-project ranking over whole months)
CREATE TABLE spend_day_model (
    day            date NOT NULL,
    model          text NOT NULL,
    requests       bigint NOT NULL DEFAULT 0,
    input_tokens   bigint NOT NULL DEFAULT 0,
    output_tokens  bigint NOT NULL DEFAULT 0,
    cost_micro_usd bigint NOT NULL DEFAULT 0,  -- integer micro-USD: sums of integers are cheap, and exact
    PRIMARY KEY (day, model)
);
CREATE TABLE spend_project_month (
    month          date NOT NULL,  -- the month's first day
    project_id     text NOT NULL,
    requests       bigint NOT NULL DEFAULT 0,
    input_tokens   bigint NOT NULL DEFAULT 0,
    output_tokens  bigint NOT NULL DEFAULT 0,
    cost_micro_usd bigint NOT NULL DEFAULT 0,  -- integer micro-USD: sums of integers are cheap, and exact
    PRIMARY KEY (month, project_id)
);

-- Adds one spend_daily row's sums (sign 1) or takes them away (sign -1).
CREATE FUNCTION asgard_spend_rollup_add(r spend_daily, sign integer) RETURNS void LANGUAGE sql AS $$
    INSERT INTO spend_day_model AS t VALUES (r.day, r.model, sign * r.requests, sign * r.input_tokens,
                                             sign * r.output_tokens, sign * (r.cost_usd * 1000000)::bigint)
        ON CONFLICT (day, model) DO UPDATE SET requests = t.requests + EXCLUDED.requests,
            input_tokens = t.input_tokens + EXCLUDED.input_tokens, output_tokens = t.output_tokens + EXCLUDED.output_tokens,
            cost_micro_usd = t.cost_micro_usd + EXCLUDED.cost_micro_usd;
    INSERT INTO spend_project_month AS t VALUES (date_trunc('month', r.day)::date, r.project_id, sign * r.requests,
                                                 sign * r.input_tokens, sign * r.output_tokens, sign * (r.cost_usd * 1000000)::bigint)
        ON CONFLICT (month, project_id) DO UPDATE SET requests = t.requests + EXCLUDED.requests,
            input_tokens = t.input_tokens + EXCLUDED.input_tokens, output_tokens = t.output_tokens + EXCLUDED.output_tokens,
            cost_micro_usd = t.cost_micro_usd + EXCLUDED.cost_micro_usd;
$$;

-- An update counts as the new row's sums minus the old row's.
CREATE FUNCTION asgard_spend_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN PERFORM asgard_spend_rollup_add(NEW, 1); END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN PERFORM asgard_spend_rollup_add(OLD, -1); END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER spend_daily_rollup AFTER INSERT OR UPDATE OR DELETE ON spend_daily
    FOR EACH ROW EXECUTE FUNCTION asgard_spend_rollup();

INSERT INTO spend_day_model
    SELECT day, model, sum(requests), sum(input_tokens), sum(output_tokens), (sum(cost_usd) * 1000000)::bigint FROM spend_daily GROUP BY 1, 2;
INSERT INTO spend_project_month
    SELECT date_trunc('month', day)::date, project_id, sum(requests), sum(input_tokens), sum(output_tokens),
           (sum(cost_usd) * 1000000)::bigint FROM spend_daily GROUP BY 1, 2;
