-- daily_gmv: gross merchandise value per UTC day of payment (see mysql/daily_gmv.sql).
SELECT toString(toDate(paid_at, 'UTC')) AS day,
       count()                          AS paid_orders,
       sum(pay_amount)                  AS gmv,
       sum(discount_amount)             AS discounts
FROM (SELECT * FROM (SELECT * FROM orders FINAL) WHERE _deleted = 0)
WHERE paid_at IS NOT NULL
GROUP BY day
ORDER BY day
