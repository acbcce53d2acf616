-- paid_to_shipped: per UTC day of shipping, payment-to-shipping latency in whole seconds
-- (see mysql/paid_to_shipped.sql). The NULL filters run on the raw columns one level below the
-- assumeNotNull aliases: on current servers a WHERE on a column that an alias of the same name
-- shadows sees the alias (never NULL), which would turn NULL into 1970-01-01. Joined subqueries
-- carry aliases, which current servers require with USING (ALIAS_REQUIRED).
SELECT toString(toDate(shipped_at, 'UTC'))                          AS day,
       count()                                                      AS shipments,
       sum(toInt64(toUInt32(shipped_at)) - toInt64(toUInt32(paid_at)))           AS total_seconds,
       round(avg(toInt64(toUInt32(shipped_at)) - toInt64(toUInt32(paid_at))), 2) AS avg_seconds,
       min(toInt64(toUInt32(shipped_at)) - toInt64(toUInt32(paid_at)))           AS min_seconds,
       max(toInt64(toUInt32(shipped_at)) - toInt64(toUInt32(paid_at)))           AS max_seconds
FROM (SELECT order_id, assumeNotNull(shipped) AS shipped_at
      FROM (SELECT order_id, shipped_at AS shipped
            FROM (SELECT * FROM (SELECT * FROM shipments FINAL) WHERE _deleted = 0)
            WHERE shipped_at IS NOT NULL)) AS s
ALL INNER JOIN (SELECT order_id, assumeNotNull(paid) AS paid_at
                FROM (SELECT id AS order_id, paid_at AS paid
                      FROM (SELECT * FROM (SELECT * FROM orders FINAL) WHERE _deleted = 0)
                      WHERE paid_at IS NOT NULL)) AS o USING order_id
GROUP BY day
ORDER BY day
