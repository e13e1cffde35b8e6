SELECT
  *
FROM (
  SELECT
    (
      CAST(EXTRACT(year FROM "t6"."created_at") AS BIGINT) * 10
    ) + CAST(EXTRACT(quarter FROM "t6"."created_at") AS BIGINT) AS "period",
    "t6"."cut",
    COUNT(*) AS "created",
    SUM(COALESCE("t6"."amount", 0.0)) AS "created_amount"
  FROM (
    SELECT
      "t4"."workspace_id",
      "t4"."id",
      "t4"."crm_id",
      "t4"."account_id",
      "t4"."name",
      "t4"."amount",
      "t4"."currency",
      "t4"."status",
      "t4"."type",
      "t4"."created_at",
      "t4"."close_date",
      "t4"."owner",
      COALESCE("t5"."label", '(none)') AS "cut"
    FROM (
      SELECT
        *
      FROM "memory"."main"."ll_opportunities" AS "t0"
      WHERE
        "t0"."workspace_id" = 1
    ) AS "t4"
    LEFT OUTER JOIN (
      SELECT
        "t1"."id" AS "aid",
        "t1"."segment" AS "label"
      FROM "memory"."main"."ll_accounts" AS "t1"
      WHERE
        "t1"."workspace_id" = 1
    ) AS "t5"
      ON "t4"."account_id" = "t5"."aid"
  ) AS "t6"
  GROUP BY
    1,
    2
) AS "t7"
ORDER BY
  "t7"."period" ASC,
  "t7"."cut" ASC
