-- daily_gmv: gross merchandise value per UTC day of payment.
-- Every order that was paid counts (later refunds do not reduce GMV; see refund_rate).
-- Columns: day, paid_orders, gmv (sum of pay_amount), discounts (sum of discount_amount).
SELECT DATE_FORMAT(paid_at, '%Y-%m-%d') AS day,
       COUNT(*)                         AS paid_orders,
       SUM(pay_amount)                  AS gmv,
       SUM(discount_amount)             AS discounts
FROM orders
WHERE paid_at IS NOT NULL
GROUP BY day
ORDER BY day
