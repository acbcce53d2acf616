// Package obs is Ferry's tiny shared observability HTTP server: every long-running process
// (tailer, replayers, order flow) may serve the same three endpoints on a loopback address:
//
//   - /metrics - the Prometheus text exposition of the process's registry;
//   - /healthz - liveness: 200 "ok" while the process can answer HTTP at all;
//   - /readyz  - readiness: 200 "ok" when the component's ready function returns nil (connected
//     and making progress), otherwise 503 with the error's text so an operator can read why.
//
// Serve blocks until its context is cancelled and then shuts the server down gracefully.
package obs
