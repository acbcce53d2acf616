package obstest

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// TestAlertRulesPromtool runs the stack's promtool over dashboards/alerts.yml.
func TestAlertRulesPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatalf("promtool not found (%v): install it with scripts/install-deps (Debian package prometheus)", err)
	}
	out, err := exec.Command(promtool, "check", "rules", Path("dashboards", "alerts.yml")).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "SUCCESS") {
		t.Fatalf("promtool check rules dashboards/alerts.yml: %v\n%s", err, out)
	}
	t.Logf("%s", strings.TrimSpace(string(out)))
}

// anchorRe finds the docs/operating.md#anchor an alert's description points at.
var anchorRe = regexp.MustCompile(`docs/operating\.md#([a-z0-9-]+)`)

// TestAlertRulesDocumented checks every alert carries severity, summary and a description that
// links to its own section of docs/operating.md, and that the section exists.
func TestAlertRulesDocumented(t *testing.T) {
	rf, err := LoadRules(Path("dashboards", "alerts.yml"))
	if err != nil {
		t.Fatal(err)
	}
	ops, err := os.ReadFile(Path("docs", "operating.md"))
	if err != nil {
		t.Fatalf("read docs/operating.md: %v", err)
	}
	anchors := markdownAnchors(string(ops))
	n := 0
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			n++
			t.Run(r.Alert, func(t *testing.T) {
				if s := r.Labels["severity"]; s != "critical" && s != "warning" {
					t.Errorf("severity label = %q, want critical or warning", s)
				}
				if r.Annotations["summary"] == "" {
					t.Error("no summary annotation")
				}
				m := anchorRe.FindStringSubmatch(r.Annotations["description"])
				if m == nil {
					t.Fatalf("description does not link to docs/operating.md#<section>: %q", r.Annotations["description"])
				}
				if m[1] != strings.ToLower(r.Alert) {
					t.Errorf("description links #%s, want #%s", m[1], strings.ToLower(r.Alert))
				}
				if !anchors[m[1]] {
					t.Errorf("docs/operating.md has no heading for #%s", m[1])
				}
			})
		}
	}
	if n == 0 {
		t.Fatal("no alerts in dashboards/alerts.yml")
	}
}

// markdownAnchors returns the GitHub-style anchors of a markdown file's headings.
func markdownAnchors(md string) map[string]bool {
	out := map[string]bool{}
	drop := regexp.MustCompile(`[^a-z0-9 _-]`)
	for _, line := range strings.Split(md, "\n") {
		if !strings.HasPrefix(line, "#") {
			continue
		}
		h := strings.ToLower(strings.TrimSpace(strings.TrimLeft(line, "#")))
		h = strings.ReplaceAll(drop.ReplaceAllString(h, ""), " ", "-")
		out[h] = true
	}
	return out
}

// TestAlertRuleUnitTests runs promtool's rule unit tests (dashboards/alerts*_test.yml): every
// alert must fire on its synthetic failure, with the documented labels and annotations, and not
// on the healthy series next to it. It also checks that every alert has a firing test case.
func TestAlertRuleUnitTests(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatalf("promtool not found (%v): install it with scripts/install-deps (Debian package prometheus)", err)
	}
	files := []string{Path("dashboards", "alerts_test.yml"), Path("dashboards", "alerts_purge_test.yml")}
	out, err := exec.Command(promtool, append([]string{"test", "rules"}, files...)...).CombinedOutput()
	if err != nil || strings.Count(string(out), "SUCCESS") != len(files) {
		t.Fatalf("promtool test rules %v: %v\n%s", files, err, out)
	}
	var tests []byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		tests = append(tests, b...)
	}
	rf, err := LoadRules(Path("dashboards", "alerts.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			firing := regexp.MustCompile(`alertname: ` + r.Alert + `\n\s+exp_alerts:`)
			if r.Alert != "" && !firing.Match(tests) {
				t.Errorf("alert %s has no firing test case in dashboards/alerts_test.yml", r.Alert)
			}
		}
	}
}
