-- paid_to_shipped: per UTC day of shipping, payment-to-shipping latency in whole seconds
-- (see mysql/paid_to_shipped.sql).
SELECT toString(toDate(shipped_at, 'UTC'))                          AS day,
       count()                                                      AS shipments,
       sum(toInt64(toUInt32(shipped_at)) - toInt64(toUInt32(paid_at)))           AS total_seconds,
       round(avg(toInt64(toUInt32(shipped_at)) - toInt64(toUInt32(paid_at))), 2) AS avg_seconds,
       min(toInt64(toUInt32(shipped_at)) - toInt64(toUInt32(paid_at)))           AS min_seconds,
       max(toInt64(toUInt32(shipped_at)) - toInt64(toUInt32(paid_at)))           AS max_seconds
FROM (SELECT order_id, assumeNotNull(shipped_at) AS shipped_at
      FROM (SELECT * FROM (SELECT * FROM shipments FINAL) WHERE _deleted = 0)
      WHERE shipped_at IS NOT NULL)
ALL INNER JOIN (SELECT id AS order_id, assumeNotNull(paid_at) AS paid_at
                FROM (SELECT * FROM (SELECT * FROM orders FINAL) WHERE _deleted = 0)
                WHERE paid_at IS NOT NULL) USING order_id
GROUP BY day
ORDER BY day
