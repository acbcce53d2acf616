package obstest

import (
	"fmt"
	"os"

	"gopkg.in/yaml.v3"
)

// RuleFile is a Prometheus rule file (dashboards/alerts.yml).
type RuleFile struct {
	Groups []RuleGroup `yaml:"groups"`
}

// RuleGroup is one group of rules.
type RuleGroup struct {
	Name  string `yaml:"name"`
	Rules []Rule `yaml:"rules"`
}

// Rule is an alerting or recording rule.
type Rule struct {
	Alert       string            `yaml:"alert"`
	Record      string            `yaml:"record"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

// Name is the alert or recorded series name.
func (r Rule) Name() string {
	if r.Alert != "" {
		return r.Alert
	}
	return r.Record
}

// LoadRules parses a rule file.
func LoadRules(path string) (RuleFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return RuleFile{}, fmt.Errorf("read rules: %w", err)
	}
	var rf RuleFile
	if err := yaml.Unmarshal(b, &rf); err != nil {
		return RuleFile{}, fmt.Errorf("parse rules %s: %w", path, err)
	}
	return rf, nil
}
