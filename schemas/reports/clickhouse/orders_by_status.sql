-- orders_by_status: number and value of orders in each status (see mysql/orders_by_status.sql).
SELECT toString(status)  AS order_status,
       count()           AS orders,
       sum(total_amount) AS total_amount,
       sum(pay_amount)   AS pay_amount
FROM (SELECT * FROM (SELECT * FROM orders FINAL) WHERE _deleted = 0)
GROUP BY order_status
ORDER BY order_status
