#!/usr/bin/env python3
"""Generates Ferry's Grafana dashboards (classic JSON model) into dashboards/*.json.

The JSON files are what Grafana imports and what internal/obstest checks; they are generated
from this file so that every panel follows the same conventions (the ${datasource} variable, the
$instance filter on every selector, units, legends). Edit this file, then run from the repo root:

    python3 dashboards/generate.py dashboards
    go test ./internal/obstest

Every metric a panel uses must be in docs/metrics.md (TestDashboardsAndAlertsUseCatalogMetrics),
and every panel must return data against a running pipeline (TestLivePipelineDashboards).
"""
import json, sys, os

OUT = sys.argv[1] if len(sys.argv) > 1 else "dashboards"
DS = {"type": "prometheus", "uid": "${datasource}"}
RI = "$__rate_interval"
INST = 'instance=~"$instance"'


def sel(metric, *matchers):
    m = [INST] + list(matchers)
    return "%s{%s}" % (metric, ",".join(m))


def rate(metric, *matchers):
    return "rate(%s[%s])" % (sel(metric, *matchers), RI)


def hq(q, metric, by, *matchers):
    return "histogram_quantile(%s, sum by (%s) (%s))" % (q, ", ".join(by + ["le"]), rate(metric + "_bucket", *matchers))


def p50_p99(metric, by, *matchers):
    """The targets of a histogram's median and 99th percentile, legends "p50 {{label}} ..."."""
    labels = "".join(" {{%s}}" % b for b in by)
    return [(hq(0.5, metric, by, *matchers), "p50" + labels), (hq(0.99, metric, by, *matchers), "p99" + labels)]


class Dash:
    def __init__(self, uid, title, desc, variables):
        self.uid, self.title, self.desc = uid, title, desc
        self.panels, self.next_id, self.x, self.y, self.rowh = [], 1, 0, 0, 0
        self.variables = variables

    def row(self, title):
        if self.x:
            self.y += self.rowh
            self.x, self.rowh = 0, 0
        self.panels.append({"id": self._id(), "type": "row", "title": title, "collapsed": False,
                            "gridPos": {"h": 1, "w": 24, "x": 0, "y": self.y}, "panels": []})
        self.y += 1

    def _id(self):
        i = self.next_id
        self.next_id += 1
        return i

    def _place(self, w, h):
        if self.x + w > 24:
            self.y += self.rowh
            self.x, self.rowh = 0, 0
        g = {"h": h, "w": w, "x": self.x, "y": self.y}
        self.x += w
        self.rowh = max(self.rowh, h)
        return g

    def _targets(self, targets):
        out = []
        for i, t in enumerate(targets):
            expr, legend = t
            out.append({"refId": chr(ord("A") + i), "datasource": DS, "editorMode": "code", "expr": expr,
                        "legendFormat": legend, "range": True, "instant": False})
        return out

    def ts(self, title, desc, targets, unit="short", w=12, h=8, stack=False, mappings=None):
        custom = {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10, "showPoints": "never",
                  "spanNulls": False, "axisSoftMin": 0}
        if stack:
            custom["stacking"] = {"mode": "normal", "group": "A"}
        p = {"id": self._id(), "type": "timeseries", "title": title, "description": desc, "datasource": DS,
             "gridPos": self._place(w, h),
             "fieldConfig": {"defaults": {"unit": unit, "color": {"mode": "palette-classic"}, "custom": custom,
                                          "mappings": mappings or []},
                             "overrides": []},
             "options": {"legend": {"displayMode": "table", "placement": "bottom", "showLegend": True,
                                    "calcs": ["lastNotNull", "max"]},
                         "tooltip": {"mode": "multi", "sort": "desc"}},
             "targets": self._targets(targets)}
        self.panels.append(p)

    def stat(self, title, desc, targets, unit="short", w=6, h=4, steps=None, mappings=None):
        steps = steps or [{"color": "green", "value": None}]
        p = {"id": self._id(), "type": "stat", "title": title, "description": desc, "datasource": DS,
             "gridPos": self._place(w, h),
             "fieldConfig": {"defaults": {"unit": unit, "mappings": mappings or [],
                                          "thresholds": {"mode": "absolute", "steps": steps},
                                          "color": {"mode": "thresholds"}},
                             "overrides": []},
             "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                         "colorMode": "background", "graphMode": "area", "justifyMode": "auto",
                         "orientation": "auto", "textMode": "value_and_name", "wideLayout": True,
                         "showPercentChange": False},
             "targets": self._targets(targets)}
        self.panels.append(p)

    def json(self):
        return {
            "uid": self.uid, "title": self.title, "description": self.desc, "tags": ["ferry", "cdc"],
            "editable": True, "graphTooltip": 1, "timezone": "browser", "refresh": "10s",
            "time": {"from": "now-1h", "to": "now"}, "timepicker": {}, "fiscalYearStartMonth": 0,
            "liveNow": False, "schemaVersion": 39, "version": 1, "weekStart": "",
            "annotations": {"list": [{"builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"},
                                      "enable": True, "hide": True, "iconColor": "rgba(0, 211, 255, 1)",
                                      "name": "Annotations & Alerts", "type": "dashboard"}]},
            "links": [{"title": "Ferry dashboards", "type": "dashboards", "tags": ["ferry"], "asDropdown": True,
                       "includeVars": True, "keepTime": True}],
            "templating": {"list": self.variables},
            "panels": self.panels,
        }


def ds_var():
    return {"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus",
            "current": {}, "hide": 0, "includeAll": False, "multi": False, "refresh": 1, "regex": "",
            "options": []}


def query_var(name, label, definition):
    return {"name": name, "label": label, "type": "query", "datasource": DS,
            "definition": definition,
            "query": {"qryType": 1, "query": definition, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
            "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
            "hide": 0, "includeAll": True, "multi": True, "allValue": ".*", "refresh": 2, "regex": "",
            "sort": 1, "options": []}


INSTANCE = query_var("instance", "Instance", 'label_values(up{job=~"ferry-.*"}, instance)')
SINK = query_var("sink", "Sink", "label_values(ferry_replayer_rows_applied_total, sink)")
TABLE = query_var("table", "Table", "label_values(ferry_replayer_rows_applied_total, table)")

HALT_MAP = [{"type": "value", "options": {"0": {"text": "running", "color": "green", "index": 0},
                                          "1": {"text": "HALTED", "color": "red", "index": 1}}}]
UP_MAP = [{"type": "value", "options": {"0": {"text": "DOWN", "color": "red", "index": 0},
                                        "1": {"text": "up", "color": "green", "index": 1}}}]
RED_AT = lambda v: [{"color": "green", "value": None}, {"color": "red", "value": v}]


def overview():
    d = Dash("ferry-overview", "Ferry / Pipeline overview",
             "Source binlog -> tailer -> RocketMQ -> replayers -> MySQL and ClickHouse copies.",
             [ds_var(), INSTANCE, SINK, TABLE])
    d.row("Health")
    d.stat("Processes up", "Prometheus scrape health of every Ferry process (job ferry-*).",
           [(sel("up", 'job=~"ferry-.*"'), "{{job}} {{instance}}")], w=6, steps=[{"color": "red", "value": None}, {"color": "green", "value": 1}], mappings=UP_MAP)
    d.stat("Replayer halted", "1 when a replayer stopped on a message it could not apply (see logs and operating.md).",
           [("max by (job, instance) (%s)" % sel("ferry_replayer_halted"), "{{job}}")], w=6, steps=RED_AT(1),
           mappings=HALT_MAP)
    d.stat("Seconds behind source", "How far the tailer's last read event is behind the source's clock.",
           [("max(%s)" % sel("ferry_tailer_seconds_behind_source"), "tailer")], unit="s", w=6, steps=RED_AT(60))
    d.stat("Restarts in the time range", "Process starts seen per Ferry process; a halted replayer exits (status 3) and a supervisor restarting it shows here.",
           [("changes(%s[$__range])" % sel("process_start_time_seconds", 'job=~"ferry-.*"'), "{{job}}")], w=6, steps=RED_AT(1))
    d.row("Binlog")
    d.ts("Binlog file: tailer read head vs durable checkpoint",
         "Index of the binlog file (mysql-bin.NNNNNN) the tailer has read up to (follows the source's head when caught up: heartbeats included) and of its durable checkpoint.",
         [(sel("ferry_tailer_source_head_file_index"), "read head {{instance}}"),
          (sel("ferry_tailer_checkpoint_file_index"), "checkpoint {{instance}}")], unit="none", w=8)
    d.ts("Binlog position in file: read head vs checkpoint",
         "Byte position within the file above; the gap (same file) is what is read but not yet acknowledged by the broker.",
         [(sel("ferry_tailer_source_head_position"), "read head {{instance}}"),
          (sel("ferry_tailer_checkpoint_position"), "checkpoint {{instance}}")], unit="decbytes", w=8)
    d.ts("Seconds behind source", "Now minus the timestamp of the last row or DDL event read; 0 when idle and caught up.",
         [(sel("ferry_tailer_seconds_behind_source"), "{{instance}}")], unit="s", w=8)
    d.ts("Checkpoint age", "Time since the checkpoint was last written or confirmed (heartbeats confirm it when idle); grows when the tailer is stuck.",
         [("time() - %s" % sel("ferry_tailer_checkpoint_timestamp_seconds"), "{{instance}}")], unit="s", w=8)
    d.ts("Messages awaiting SEND_OK", "Sealed messages sent but not yet acknowledged by the broker; the checkpoint cannot pass them.",
         [(sel("ferry_tailer_pending_messages"), "{{instance}}")], unit="short", w=8)
    d.ts("Binlog events/s by type", "Binlog events the tailer read, by go-mysql event type.",
         [("sum by (type) (%s)" % rate("ferry_tailer_events_total"), "{{type}}")], unit="ops", w=8)
    d.row("Throughput")
    d.ts("Rows/s in (tailer) and out (replayers)",
         "Row changes read from the binlog (inserts, updates, deletes) versus row changes applied by each sink; out should track in.",
         [("sum(%s)" % rate("ferry_tailer_rows_total", 'op=~"INSERT|UPDATE|DELETE"'), "in (binlog)"),
          ('sum by (sink) (%s)' % rate("ferry_replayer_rows_applied_total", 'sink=~"$sink"'), "out {{sink}}")],
         unit="ops", w=12)
    d.ts("Published to RocketMQ", "Messages and body bytes the broker acknowledged (SEND_OK).",
         [("sum(%s)" % rate("ferry_tailer_messages_published_total"), "messages/s"),
          ("sum(%s)" % rate("ferry_tailer_published_bytes_total"), "bytes/s")], unit="short", w=12)
    d.row("End-to-end lag")
    d.ts("End-to-end lag p50 by sink and table", "Source commit to copy commit, median.",
         [(hq(0.5, "ferry_replayer_end_to_end_lag_seconds", ["sink", "table"], 'sink=~"$sink"', 'table=~"$table"'),
           "{{sink}} {{table}}")], unit="s")
    d.ts("End-to-end lag p99 by sink and table", "Source commit to copy commit, 99th percentile.",
         [(hq(0.99, "ferry_replayer_end_to_end_lag_seconds", ["sink", "table"], 'sink=~"$sink"', 'table=~"$table"'),
           "{{sink}} {{table}}")], unit="s")
    d.ts("Broker backlog per queue", "Messages in the topic not yet consumed by the replayer's consumer group, per queue.",
         [("sum by (job, queue) (%s)" % sel("ferry_replayer_queue_backlog"), "{{job}} queue {{queue}}")], unit="short", w=12)
    d.ts("Replayer pull cache", "Message bytes each replayer pulled and has not acknowledged yet (bounded by its --cache-mb and --queue-cache-mb).",
         [("sum by (job, instance) (%s)" % sel("ferry_replayer_pull_cache_bytes"), "{{job}} {{instance}}")], unit="decbytes", w=12)
    d.row("Errors, DDL and halts")
    d.ts("Errors/s", "Replayer errors by kind (decode, apply, ddl, dead_letter; retried, a halt follows if retries run out), tailer send errors (retried) and binlog reconnects.",
         [("sum by (job, kind) (%s)" % rate("ferry_replayer_errors_total"), "{{job}} {{kind}}"),
          ("sum(%s)" % rate("ferry_tailer_send_errors_total"), "tailer send"),
          ("sum(%s)" % rate("ferry_tailer_source_reconnects_total"), "tailer reconnect")], unit="ops", w=8)
    d.ts("DDL statements", "DDL read from the binlog by the tailer, and DDL messages handled by each replayer by outcome (handled, halted).",
         [("sum(increase(%s[%s]))" % (sel("ferry_tailer_rows_total", 'op="DDL"'), RI), "read from binlog"),
          ("sum by (job, action) (increase(%s[%s]))" % (sel("ferry_replayer_ddl_total"), RI), "{{job}} {{action}}")],
         unit="short", w=8)
    d.ts("Halts", "1 while a replayer is halted.",
         [("max by (job, instance) (%s)" % sel("ferry_replayer_halted"), "{{job}} {{instance}}")], unit="none", w=8,
         mappings=HALT_MAP)
    return d


def tables():
    d = Dash("ferry-tables", "Ferry / Per-table detail",
             "Per table and sink: rows applied by operation, batch sizes, apply latency, verify results.",
             [ds_var(), INSTANCE, SINK, TABLE])
    d.row("Rows")
    d.ts("Rows applied/s by operation", "Row changes the sinks applied (or skipped as older versions).",
         [("sum by (sink, table, op) (%s)" % rate("ferry_replayer_rows_applied_total", 'sink=~"$sink"', 'table=~"$table"'),
           "{{sink}} {{table}} {{op}}")], unit="ops", stack=True)
    d.ts("Rows read from the binlog/s by operation", "Row changes the tailer decoded, per table and operation.",
         [("sum by (table, op) (%s)" % rate("ferry_tailer_rows_total", 'table=~"$table"'), "{{table}} {{op}}")],
         unit="ops", stack=True)
    d.row("Batches and latency")
    d.ts("Replayer batch size", "Rows per applied batch (p50, p99) and batches per second.",
         p50_p99("ferry_replayer_batch_rows", ["sink"], 'sink=~"$sink"'), unit="short", w=8)
    d.ts("Batches/s", "Batches committed per sink.",
         [("sum by (sink) (%s)" % rate("ferry_replayer_batches_total", 'sink=~"$sink"'), "{{sink}}")], unit="ops", w=8)
    d.ts("Apply latency", "Time to apply and commit one batch in the sink (p50, p99).",
         p50_p99("ferry_replayer_apply_duration_seconds", ["sink"], 'sink=~"$sink"'),
         unit="s", w=8)
    d.ts("Tailer batch size", "Rows per published message (p50, p99).",
         p50_p99("ferry_tailer_batch_rows", []),
         unit="short")
    d.ts("Tailer publish latency", "Time from send to the broker's SEND_OK (p50, p99).",
         p50_p99("ferry_tailer_publish_duration_seconds", []), unit="s")
    d.ts("End-to-end lag p99 by table", "Source commit to copy commit, 99th percentile.",
         [(hq(0.99, "ferry_replayer_end_to_end_lag_seconds", ["sink", "table"], 'sink=~"$sink"', 'table=~"$table"'),
           "{{sink}} {{table}}")], unit="s", w=24)
    d.row("Verification")
    d.stat("Mismatched rows (last verify)", "Keys that differed between source and copy in the last completed verify run.",
           [("sum by (sink, table) (%s)" % sel("ferry_verify_mismatched_rows", 'sink=~"$sink"', 'table=~"$table"'),
             "{{sink}} {{table}}")], w=8, steps=RED_AT(1))
    d.ts("Verify rows checked/s", "Source rows compared with the copy.",
         [("sum by (sink, table) (%s)" % rate("ferry_verify_rows_checked_total", 'sink=~"$sink"', 'table=~"$table"'),
           "{{sink}} {{table}}")], unit="ops", w=8)
    d.stat("Time since last verify", "Age of the last completed verification per table and sink.",
           [("time() - max by (sink, table) (%s)" % sel("ferry_verify_last_completed_timestamp_seconds", 'sink=~"$sink"',
                                                         'table=~"$table"'), "{{sink}} {{table}}")],
           unit="s", w=8, steps=RED_AT(86400))
    return d


def orderflow():
    d = Dash("ferry-orderflow", "Ferry / Order flow",
             "The order service that writes the source database and its order-paid consumers.",
             [ds_var(), INSTANCE])
    d.row("Requests")
    d.ts("Requests/s by route and code", "HTTP requests to the order service.",
         [("sum by (route, code) (%s)" % rate("ferry_orderflow_http_requests_total"), "{{route}} {{code}}")],
         unit="reqps")
    d.ts("Server error ratio", "Share of requests answered 5xx.",
         [("(sum(%s) or vector(0)) / sum(%s)" % (rate("ferry_orderflow_http_requests_total", 'code=~"5.."'),
                                                  rate("ferry_orderflow_http_requests_total")), "5xx ratio")],
         unit="percentunit")
    d.ts("Pay latency", "Successful pay transactions, commit included (p50, p99).",
         p50_p99("ferry_orderflow_pay_seconds", []),
         unit="s")
    d.ts("Order lifecycle/s", "Orders created, refunded, cancelled, closed; payments refused for stock.",
         [("sum(%s)" % rate("ferry_orderflow_orders_created_total"), "created"),
          ("sum(%s)" % rate("ferry_orderflow_refunds_total"), "refunded"),
          ("sum(%s)" % rate("ferry_orderflow_cancels_total"), "cancelled"),
          ("sum(%s)" % rate("ferry_orderflow_closed_total"), "closed"),
          ("sum(%s)" % rate("ferry_orderflow_pay_out_of_stock_total"), "out of stock")], unit="ops")
    d.row("Order-paid messages")
    d.ts("Order-paid messages/s", "Sent (SEND_OK), failed (the outbox re-sends) and re-sent by the outbox sweep.",
         [("sum(%s)" % rate("ferry_orderflow_order_paid_sent_total"), "sent"),
          ("sum(%s)" % rate("ferry_orderflow_order_paid_failed_total"), "failed"),
          ("sum(%s)" % rate("ferry_orderflow_outbox_resent_total"), "re-sent")], unit="ops", w=8)
    d.ts("Consumer lag", "Message birth to handling, per consumer (p50, p99).",
         p50_p99("ferry_orderflow_consumer_lag_seconds", ["consumer"]), unit="s", w=8)
    d.ts("Consumer results/s", "Handled, duplicate and failed deliveries per consumer.",
         [("sum by (consumer) (%s)" % rate("ferry_orderflow_consumer_handled_total"), "handled {{consumer}}"),
          ("sum by (consumer) (%s)" % rate("ferry_orderflow_consumer_duplicates_total"), "duplicate {{consumer}}"),
          ("sum by (consumer) (%s)" % rate("ferry_orderflow_consumer_failed_total"), "failed {{consumer}}")],
         unit="ops", w=8)
    d.row("Flash sale")
    d.ts("Flash-sale buy requests/s by result", "Requests at the Redis gate: won, sold out (never touched stock), already bought, errors.",
         [("sum by (result) (%s)" % rate("ferry_orderflow_flash_requests_total"), "{{result}}")], unit="reqps", w=8)
    d.ts("Flash-sale order creation lag", "Time from a win at the gate to the order's creation by the workers (p50, p99).",
         p50_p99("ferry_orderflow_flash_order_lag_seconds", []), unit="s", w=8)
    d.ts("Flash-sale orders/s", "Orders created by the workers; duplicates (redelivered, nothing written); rejected; failed sends (unit released).",
         [("sum(%s)" % rate("ferry_orderflow_flash_orders_created_total"), "created"),
          ("sum(%s)" % rate("ferry_orderflow_flash_duplicates_total"), "duplicate"),
          ("sum(%s)" % rate("ferry_orderflow_flash_rejected_total"), "rejected"),
          ("sum(%s)" % rate("ferry_orderflow_flash_send_failed_total"), "send failed")], unit="ops", w=8)
    return d


os.makedirs(OUT, exist_ok=True)
for name, d in [("overview", overview()), ("tables", tables()), ("orderflow", orderflow())]:
    with open(os.path.join(OUT, "ferry-%s.json" % name), "w") as f:
        json.dump(d.json(), f, indent=2)
        f.write("\n")
