-- refund_rate: per UTC day of payment, how many paid orders got a succeeded refund
-- (see mysql/refund_rate.sql). ClickHouse 18.16 joins need USING, and an unmatched LEFT JOIN row
-- gets default values (0), not NULL: hence the constant `refunded` flag and the non-Nullable
-- refund_amount (the copy's non-key columns are Nullable, whose default is NULL). Joined
-- subqueries carry aliases, which current servers require with USING (ALIAS_REQUIRED).
SELECT toString(toDate(paid_at, 'UTC'))       AS day,
       count()                                AS paid_orders,
       sum(refunded)                          AS refunded_orders,
       sum(refund_amount)                     AS refunded_amount,
       round(sum(refunded) / count(), 4)      AS refund_rate
FROM (SELECT id AS order_id, paid_at
      FROM (SELECT * FROM (SELECT * FROM orders FINAL) WHERE _deleted = 0)
      WHERE paid_at IS NOT NULL) AS o
ANY LEFT JOIN (SELECT order_id, toUInt64(1) AS refunded, assumeNotNull(sum(amount)) AS refund_amount
               FROM (SELECT * FROM (SELECT * FROM refunds FINAL) WHERE _deleted = 0)
               WHERE toString(status) = 'succeeded'
               GROUP BY order_id) AS r USING order_id
GROUP BY day
ORDER BY day
