// Package obstest holds the tests that keep Ferry's observability honest: the metrics catalog
// (docs/metrics.md) against what each component registers, the Grafana dashboards and alert rules
// in dashboards/ against promtool and a live Prometheus scraping a running pipeline.
//
// The non-test files are the small pieces those tests share: a catalog parser, a registerer that
// records metric descriptors, dashboard and rule-file readers and a Prometheus HTTP API client.
package obstest
