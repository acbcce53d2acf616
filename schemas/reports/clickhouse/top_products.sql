-- top_products: the 20 products with the highest revenue over paid orders
-- (see mysql/top_products.sql). Joined subqueries carry aliases, which current servers require
-- with USING (ALIAS_REQUIRED).
SELECT product_id,
       max(product_name)    AS product_name,
       sum(quantity)        AS units,
       sum(amount)          AS revenue,
       uniqExact(order_id)  AS orders
FROM (SELECT order_id, product_id, product_name, quantity, amount
      FROM (SELECT * FROM (SELECT * FROM order_items FINAL) WHERE _deleted = 0)) AS i
ALL INNER JOIN (SELECT id AS order_id
                FROM (SELECT * FROM (SELECT * FROM orders FINAL) WHERE _deleted = 0)
                WHERE paid_at IS NOT NULL) AS o USING order_id
GROUP BY product_id
ORDER BY revenue DESC, product_id
LIMIT 20
