-- orders_by_status: number and value of orders in each status.
-- Columns: status, orders, total_amount, pay_amount.
SELECT CAST(status AS CHAR) AS order_status,
       COUNT(*)             AS orders,
       SUM(total_amount)    AS total_amount,
       SUM(pay_amount)      AS pay_amount
FROM orders
GROUP BY order_status
ORDER BY order_status
