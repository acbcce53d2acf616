package obstest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ErrQuery is returned (wrapped) when Prometheus rejects a query; the message carries its reason.
var ErrQuery = errors.New("prometheus query")

// Prom is a minimal client of the Prometheus HTTP API.
type Prom struct {
	URL    string // base URL, for example http://127.0.0.1:9090
	Client *http.Client
}

// Sample is one instant-vector element (or the scalar, with no labels).
type Sample struct {
	Labels map[string]string
	Value  string
}

type apiResponse struct {
	Status    string          `json:"status"`
	ErrorType string          `json:"errorType"`
	Error     string          `json:"error"`
	Data      json.RawMessage `json:"data"`
}

// Query evaluates expr at the current time and returns its samples (one for a scalar).
func (p Prom) Query(ctx context.Context, expr string) ([]Sample, error) {
	var data struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	}
	if err := p.get(ctx, "/api/v1/query", url.Values{"query": {expr}}, &data); err != nil {
		return nil, err
	}
	switch data.ResultType {
	case "vector":
		var vec []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		}
		if err := json.Unmarshal(data.Result, &vec); err != nil {
			return nil, fmt.Errorf("decode vector: %w", err)
		}
		out := make([]Sample, 0, len(vec))
		for _, v := range vec {
			out = append(out, Sample{Labels: v.Metric, Value: fmt.Sprint(v.Value[1])})
		}
		return out, nil
	case "scalar", "string":
		var v [2]any
		if err := json.Unmarshal(data.Result, &v); err != nil {
			return nil, fmt.Errorf("decode scalar: %w", err)
		}
		return []Sample{{Value: fmt.Sprint(v[1])}}, nil
	}
	return nil, fmt.Errorf("%w: unexpected result type %q for %q", ErrQuery, data.ResultType, expr)
}

// ScrapeTarget is one active scrape target.
type ScrapeTarget struct {
	Labels     map[string]string `json:"labels"`
	ScrapeURL  string            `json:"scrapeUrl"`
	Health     string            `json:"health"`
	LastError  string            `json:"lastError"`
	LastScrape time.Time         `json:"lastScrape"`
}

// Targets returns the active scrape targets.
func (p Prom) Targets(ctx context.Context) ([]ScrapeTarget, error) {
	var data struct {
		Active []ScrapeTarget `json:"activeTargets"`
	}
	if err := p.get(ctx, "/api/v1/targets", url.Values{"state": {"active"}}, &data); err != nil {
		return nil, err
	}
	return data.Active, nil
}

// LoadedRules returns the names of the alerting rules Prometheus has loaded.
func (p Prom) LoadedRules(ctx context.Context) ([]string, error) {
	var data struct {
		Groups []struct {
			Rules []struct {
				Name string `json:"name"`
				Type string `json:"type"`
			} `json:"rules"`
		} `json:"groups"`
	}
	if err := p.get(ctx, "/api/v1/rules", url.Values{"type": {"alert"}}, &data); err != nil {
		return nil, err
	}
	var out []string
	for _, g := range data.Groups {
		for _, r := range g.Rules {
			out = append(out, r.Name)
		}
	}
	return out, nil
}

func (p Prom) get(ctx context.Context, path string, q url.Values, into any) error {
	c := p.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(p.URL, "/")+path+"?"+q.Encode(), nil)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("call prometheus %s: %w", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return fmt.Errorf("read prometheus %s: %w", path, err)
	}
	var r apiResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return fmt.Errorf("decode prometheus %s (HTTP %d): %w", path, resp.StatusCode, err)
	}
	if r.Status != "success" {
		return fmt.Errorf("%w %s: %s: %s", ErrQuery, q.Get("query"), r.ErrorType, r.Error)
	}
	if err := json.Unmarshal(r.Data, into); err != nil {
		return fmt.Errorf("decode prometheus %s data: %w", path, err)
	}
	return nil
}
