package benchreport

import (
	"encoding/csv"
	"errors"
	"fmt"
	"html"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
)

// LagSample is one lag measurement of the open-loop lag benchmark: the copy (Series), when the
// probe committed (T, seconds after the writer started) and its commit-to-visible lag in ms.
type LagSample struct {
	Series string
	T      float64
	LagMS  float64
}

// ParseLagCSV reads the "sink,t_s,lag_ms" file BenchmarkLagOpenLoop writes (with its header).
func ParseLagCSV(r io.Reader) ([]LagSample, error) {
	recs, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read lag samples: %w", err)
	}
	if len(recs) == 0 || strings.Join(recs[0], ",") != "sink,t_s,lag_ms" {
		return nil, errors.New("read lag samples: want the header sink,t_s,lag_ms first")
	}
	out := make([]LagSample, 0, len(recs)-1)
	for i, rec := range recs[1:] {
		t, err1 := strconv.ParseFloat(rec[1], 64)
		lag, err2 := strconv.ParseFloat(rec[2], 64)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("read lag samples: line %d: %w", i+2, err)
		}
		out = append(out, LagSample{Series: rec[0], T: t, LagMS: lag})
	}
	return out, nil
}

// Chart geometry (SVG user units).
const (
	chartW, chartH                   = 900, 420
	padL, padR, padT, padB           = 70, 20, 40, 50
	plotW, plotH                     = chartW - padL - padR, chartH - padT - padB
	xTicks, yTicks                   = 10, 6
	legendX, legendY, legendLineStep = padL + 12, padT + 14, 18
)

var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"}

// LagChartSVG renders samples as a line chart of lag over time, one line per series (sorted by
// name), with axes, grid and legend; the standard library only, so scripts/bench needs nothing
// installed.
func LagChartSVG(samples []LagSample, title string) string {
	series := map[string][]LagSample{}
	maxT, maxLag := 1.0, 1.0
	for _, s := range samples {
		series[s.Series] = append(series[s.Series], s)
		maxT, maxLag = math.Max(maxT, s.T), math.Max(maxLag, s.LagMS)
	}
	xStep, yStep := niceStep(maxT, xTicks), niceStep(maxLag, yTicks)
	xMax, yMax := math.Ceil(maxT/xStep)*xStep, math.Ceil(maxLag/yStep)*yStep
	x := func(t float64) float64 { return padL + t/xMax*plotW }
	y := func(ms float64) float64 { return padT + plotH - ms/yMax*plotH }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n",
		chartW, chartH, chartW, chartH)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", chartW, chartH)
	fmt.Fprintf(&b, `<text x="%d" y="22" font-size="15" font-weight="bold">%s</text>`+"\n", padL, html.EscapeString(title))
	grid(&b, xStep, xMax, yStep, yMax, x, y)
	names := make([]string, 0, len(series))
	for n := range series {
		names = append(names, n)
	}
	sort.Strings(names)
	for i, n := range names {
		line(&b, series[n], palette[i%len(palette)], x, y)
	}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="220" height="%d" fill="white" fill-opacity="0.85" stroke="#ccc"/>`+"\n",
		legendX-6, legendY-14, len(names)*legendLineStep+6)
	for i, n := range names {
		ly := legendY + i*legendLineStep
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"/>`+"\n",
			legendX, ly-4, legendX+20, ly-4, palette[i%len(palette)])
		fmt.Fprintf(&b, `<text x="%d" y="%d">%s (%d probes)</text>`+"\n", legendX+26, ly, html.EscapeString(n), len(series[n]))
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// grid draws the axes, grid lines, tick labels and axis titles.
func grid(b *strings.Builder, xStep, xMax, yStep, yMax float64, x, y func(float64) float64) {
	for v := 0.0; v <= yMax+yStep/2; v += yStep {
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>`+"\n", padL, y(v), padL+plotW, y(v))
		fmt.Fprintf(b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", padL-6, y(v)+4, tickLabel(v))
	}
	for v := 0.0; v <= xMax+xStep/2; v += xStep {
		fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#eee"/>`+"\n", x(v), padT, x(v), padT+plotH)
		fmt.Fprintf(b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", x(v), padT+plotH+16, tickLabel(v))
	}
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#333"/>`+"\n", padL, padT, plotW, plotH)
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle">seconds since the writer started (probe commit time)</text>`+"\n",
		padL+plotW/2, chartH-10)
	fmt.Fprintf(b, `<text transform="translate(16 %d) rotate(-90)" text-anchor="middle">lag, commit to visible in the copy (ms)</text>`+"\n",
		padT+plotH/2)
}

// line draws one series as a polyline in time order.
func line(b *strings.Builder, pts []LagSample, color string, x, y func(float64) float64) {
	sorted := append([]LagSample(nil), pts...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].T < sorted[j].T })
	coords := make([]string, len(sorted))
	for i, p := range sorted {
		coords[i] = fmt.Sprintf("%.1f,%.1f", x(p.T), y(p.LagMS))
	}
	fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="1.5" stroke-linejoin="round" points="%s"/>`+"\n",
		color, strings.Join(coords, " "))
}

// niceStep returns a 1, 2 or 5 times a power of ten step that cuts [0, max] into about n parts.
func niceStep(max float64, n int) float64 {
	raw := max / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5} {
		if raw <= m*mag {
			return m * mag
		}
	}
	return 10 * mag
}

func tickLabel(v float64) string { return strconv.FormatFloat(math.Round(v*1000)/1000, 'f', -1, 64) }
