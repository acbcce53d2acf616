-- paid_to_shipped: per UTC day of shipping, the latency from payment to shipping in whole
-- seconds (both times truncated to the second, because ClickHouse 18.16's DateTime keeps seconds).
-- Columns: day, shipments, total_seconds, avg_seconds (rounded to 2 decimals), min_seconds, max_seconds.
SELECT DATE_FORMAT(s.shipped_at, '%Y-%m-%d')                        AS day,
       COUNT(*)                                                     AS shipments,
       SUM(TO_SECONDS(s.shipped_at) - TO_SECONDS(o.paid_at))        AS total_seconds,
       ROUND(AVG(TO_SECONDS(s.shipped_at) - TO_SECONDS(o.paid_at)), 2) AS avg_seconds,
       MIN(TO_SECONDS(s.shipped_at) - TO_SECONDS(o.paid_at))        AS min_seconds,
       MAX(TO_SECONDS(s.shipped_at) - TO_SECONDS(o.paid_at))        AS max_seconds
FROM shipments s
JOIN orders o ON o.id = s.order_id
WHERE s.shipped_at IS NOT NULL AND o.paid_at IS NOT NULL
GROUP BY day
ORDER BY day
