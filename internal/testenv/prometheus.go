package testenv

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// AddScrapeTarget makes the stack's Prometheus scrape addr (host:port serving
// /metrics) with the given extra labels, by writing a file_sd target file
// into PromTargetsDir (picked up within about 2 s, then scraped every 2 s).
// The file is removed at cleanup. It returns the job label, which is unique.
func (s *Stack) AddScrapeTarget(t testing.TB, addr string, labels map[string]string) string {
	t.Helper()
	job := UniqueName(testPrefix(t))
	l := map[string]string{"job": job}
	for k, v := range labels {
		l[k] = v
	}
	body, err := json.Marshal([]map[string]any{{"targets": []string{addr}, "labels": l}})
	if err != nil {
		t.Fatalf("testenv: encode scrape target: %v", err)
	}
	if err := os.MkdirAll(s.PromTargetsDir, 0o755); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	// Write then rename, so Prometheus never reads a half-written file
	// (it only watches *.json).
	path := filepath.Join(s.PromTargetsDir, job+".json")
	if err := os.WriteFile(path+".tmp", body, 0o644); err != nil {
		t.Fatalf("testenv: write scrape target: %v", err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		t.Fatalf("testenv: write scrape target: %v", err)
	}
	t.Cleanup(func() { os.Remove(path) })
	return job
}
