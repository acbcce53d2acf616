-- refund_rate: per UTC day of payment, how many paid orders got a succeeded refund.
-- Columns: day, paid_orders, refunded_orders, refunded_amount, refund_rate
-- (refunded_orders / paid_orders rounded to 4 decimals; engines may differ by one unit in the
-- last place on exact halves, the exact inputs are the two counts).
SELECT DATE_FORMAT(o.paid_at, '%Y-%m-%d')                   AS day,
       COUNT(*)                                             AS paid_orders,
       SUM(r.order_id IS NOT NULL)                          AS refunded_orders,
       COALESCE(SUM(r.amount), 0)                           AS refunded_amount,
       ROUND(SUM(r.order_id IS NOT NULL) / COUNT(*), 4)     AS refund_rate
FROM orders o
LEFT JOIN (SELECT order_id, SUM(amount) AS amount
           FROM refunds
           WHERE status = 'succeeded'
           GROUP BY order_id) r ON r.order_id = o.id
WHERE o.paid_at IS NOT NULL
GROUP BY day
ORDER BY day
