-- top_products: the 20 products with the highest revenue over paid orders.
-- Columns: product_id, product_name, units, revenue, orders. Ties are broken by product_id.
SELECT i.product_id            AS product_id,
       MAX(i.product_name)     AS product_name,
       SUM(i.quantity)         AS units,
       SUM(i.amount)           AS revenue,
       COUNT(DISTINCT i.order_id) AS orders
FROM order_items i
JOIN orders o ON o.id = i.order_id
WHERE o.paid_at IS NOT NULL
GROUP BY i.product_id
ORDER BY revenue DESC, product_id
LIMIT 20
