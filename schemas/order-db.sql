-- Ferry: the order system's source schema (database `shop` on the source MariaDB).
--
-- This is the production order database whose row binlog Ferry replicates. It is loaded by
-- `scripts/stack up` and by tests (internal/testenv.LoadOrderSchema). Conventions:
--   * money is DECIMAL(12,2), never FLOAT;
--   * event times are DATETIME(3) in UTC written by the application; `updated_at` columns are
--     TIMESTAMP(3) maintained by the server (the stack runs with time_zone = '+00:00');
--   * every table has a primary key (Ferry's tailer refuses tables without one by default);
--   * secondary UNIQUE keys exist here for the order system's own idempotency; the copies keep only
--     the primary key (see schemas/README.md).
-- Statements are separated by ";" at line end and contain no ";" elsewhere, so simple loaders can
-- split them.

CREATE TABLE IF NOT EXISTS products (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  sku           VARCHAR(64)     NOT NULL,
  name          VARCHAR(255)    NOT NULL,
  category      VARCHAR(64)     NOT NULL DEFAULT 'general',
  price         DECIMAL(12,2)   NOT NULL,
  stock         INT             NOT NULL DEFAULT 0,
  status        ENUM('on_sale','off_sale','deleted') NOT NULL DEFAULT 'on_sale',
  flags         BIT(8)          NOT NULL DEFAULT b'0',
  attrs         JSON            NULL,
  created_at    DATETIME(3)     NOT NULL,
  updated_at    TIMESTAMP(3)    NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uk_products_sku (sku),
  KEY idx_products_category (category),
  CONSTRAINT chk_products_stock CHECK (stock >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS orders (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  order_no        CHAR(24)        NOT NULL,
  request_id      VARCHAR(64)     NULL COMMENT 'client idempotency key (flash sale request id)',
  user_id         BIGINT UNSIGNED NOT NULL,
  status          ENUM('created','paid','shipped','completed','cancelled','closed','refunded') NOT NULL DEFAULT 'created',
  total_amount    DECIMAL(12,2)   NOT NULL,
  discount_amount DECIMAL(12,2)   NOT NULL DEFAULT 0.00,
  pay_amount      DECIMAL(12,2)   NOT NULL,
  coupon_id       BIGINT UNSIGNED NULL,
  item_count      SMALLINT UNSIGNED NOT NULL,
  address         JSON            NOT NULL,
  remark          VARCHAR(255)    NULL,
  source          ENUM('app','web','mini','flash_sale') NOT NULL DEFAULT 'app',
  expire_at       DATETIME(3)     NOT NULL COMMENT 'unpaid orders are closed after this',
  paid_at         DATETIME(3)     NULL,
  closed_at       DATETIME(3)     NULL,
  created_at      DATETIME(3)     NOT NULL,
  updated_at      TIMESTAMP(3)    NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uk_orders_order_no (order_no),
  UNIQUE KEY uk_orders_request_id (request_id),
  KEY idx_orders_user (user_id, created_at),
  KEY idx_orders_status_expire (status, expire_at),
  KEY idx_orders_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS order_items (
  order_id      BIGINT UNSIGNED   NOT NULL,
  line_no       SMALLINT UNSIGNED NOT NULL,
  product_id    BIGINT UNSIGNED   NOT NULL,
  sku           VARCHAR(64)       NOT NULL,
  product_name  VARCHAR(255)      NOT NULL,
  unit_price    DECIMAL(12,2)     NOT NULL,
  quantity      INT UNSIGNED      NOT NULL,
  amount        DECIMAL(12,2)     NOT NULL,
  created_at    DATETIME(3)       NOT NULL,
  PRIMARY KEY (order_id, line_no),
  KEY idx_order_items_product (product_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS payments (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  order_id      BIGINT UNSIGNED NOT NULL,
  pay_no        CHAR(24)        NOT NULL,
  channel       ENUM('alipay','wechat','card','balance') NOT NULL,
  amount        DECIMAL(12,2)   NOT NULL,
  status        ENUM('pending','succeeded','failed') NOT NULL DEFAULT 'pending',
  callback      JSON            NULL,
  paid_at       DATETIME(3)     NULL,
  created_at    DATETIME(3)     NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_payments_order (order_id),
  UNIQUE KEY uk_payments_pay_no (pay_no)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS refunds (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  order_id      BIGINT UNSIGNED NOT NULL,
  payment_id    BIGINT UNSIGNED NOT NULL,
  refund_no     CHAR(24)        NOT NULL,
  amount        DECIMAL(12,2)   NOT NULL,
  reason        VARCHAR(512)    NULL,
  status        ENUM('requested','succeeded','failed') NOT NULL DEFAULT 'requested',
  created_at    DATETIME(3)     NOT NULL,
  refunded_at   DATETIME(3)     NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_refunds_refund_no (refund_no),
  KEY idx_refunds_order (order_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS user_points (
  user_id       BIGINT UNSIGNED NOT NULL,
  points        BIGINT          NOT NULL DEFAULT 0,
  updated_at    TIMESTAMP(3)    NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS user_points_log (
  order_id      BIGINT UNSIGNED NOT NULL,
  reason        ENUM('order_paid','order_refunded') NOT NULL,
  user_id       BIGINT UNSIGNED NOT NULL,
  delta         BIGINT          NOT NULL,
  created_at    DATETIME(3)     NOT NULL,
  PRIMARY KEY (order_id, reason),
  KEY idx_points_log_user (user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS coupons (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  user_id         BIGINT UNSIGNED NOT NULL,
  code            VARCHAR(32)     NOT NULL,
  kind            ENUM('cash','percent','shipping') NOT NULL,
  amount          DECIMAL(12,2)   NOT NULL,
  min_spend       DECIMAL(12,2)   NOT NULL DEFAULT 0.00,
  status          ENUM('unused','used','expired') NOT NULL DEFAULT 'unused',
  source_order_id BIGINT UNSIGNED NULL COMMENT 'order whose payment issued this coupon',
  used_order_id   BIGINT UNSIGNED NULL,
  valid_until     DATETIME        NOT NULL,
  created_at      DATETIME(3)     NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_coupons_code (code),
  UNIQUE KEY uk_coupons_source_order (source_order_id),
  KEY idx_coupons_user (user_id, status)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS shipments (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  order_id      BIGINT UNSIGNED NOT NULL,
  warehouse     VARCHAR(32)     NOT NULL,
  carrier       VARCHAR(32)     NULL,
  tracking_no   VARCHAR(64)     NULL,
  status        ENUM('pending','shipped','delivered','returned') NOT NULL DEFAULT 'pending',
  created_at    DATETIME(3)     NOT NULL,
  shipped_at    DATETIME(3)     NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_shipments_order (order_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS notifications (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  user_id       BIGINT UNSIGNED NOT NULL,
  order_id      BIGINT UNSIGNED NOT NULL,
  kind          VARCHAR(32)     NOT NULL,
  channel       ENUM('sms','email','push') NOT NULL,
  content       TEXT            NOT NULL,
  created_at    DATETIME(3)     NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_notifications_order_kind (order_id, kind),
  KEY idx_notifications_user (user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS flash_sales (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  product_id    BIGINT UNSIGNED NOT NULL,
  price         DECIMAL(12,2)   NOT NULL,
  total_stock   INT             NOT NULL,
  per_user      SMALLINT UNSIGNED NOT NULL DEFAULT 1,
  starts_at     DATETIME(3)     NOT NULL,
  ends_at       DATETIME(3)     NOT NULL,
  created_at    DATETIME(3)     NOT NULL,
  PRIMARY KEY (id),
  KEY idx_flash_sales_product (product_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Transactional outbox of the order service (added by the order-flow helper, issue 5): the pay
-- transaction inserts the order-paid message here; a relay sends it with SendSync and sets
-- sent_at, and re-sends rows still unsent after a delay, so a broker outage after the pay commit
-- delays the message but never loses it (at-least-once; consumers are idempotent by order id).
CREATE TABLE IF NOT EXISTS order_outbox (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  order_id      BIGINT UNSIGNED NOT NULL,
  topic         VARCHAR(128)    NOT NULL,
  msg_key       VARCHAR(64)     NOT NULL,
  body          JSON            NOT NULL,
  attempts      INT UNSIGNED    NOT NULL DEFAULT 0,
  last_error    VARCHAR(512)    NULL,
  created_at    DATETIME(3)     NOT NULL,
  sent_at       DATETIME(3)     NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_order_outbox_order_topic (order_id, topic),
  KEY idx_order_outbox_unsent (sent_at, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
