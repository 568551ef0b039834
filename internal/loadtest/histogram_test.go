package loadtest

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestHistogramBucketsArePrecise(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		v := uint64(r.Int64N(int64(10 * time.Minute)))
		mid := uint64(bucketMiddle(bucketOf(v)))
		diff := max(mid, v) - min(mid, v)
		if float64(diff) > float64(v)/200 { // 0.5%
			t.Fatalf("%d ns lands in a bucket centred at %d", v, mid)
		}
	}
	for v := range uint64(256) {
		if got := uint64(bucketMiddle(bucketOf(v))); got != v {
			t.Fatalf("small value %d not exact: %d", v, got)
		}
	}
	if bucketOf(1<<62) != histogramBucket-1 {
		t.Errorf("huge values must land in the last bucket")
	}
}

func TestHistogramPercentiles(t *testing.T) {
	var a, b histogram
	// 1..10000 µs, split over two histograms as workers would record them.
	for i := 1; i <= 10000; i++ {
		h := &a
		if i%3 == 0 {
			h = &b
		}
		h.record(time.Duration(i) * time.Microsecond)
	}
	a.merge(&b)
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 5000 * time.Microsecond}, {0.9, 9000 * time.Microsecond}, {0.99, 9900 * time.Microsecond}, {1, 10000 * time.Microsecond}} {
		got := a.percentile(c.q)
		if diff := (got - c.want).Abs(); diff > c.want/100 {
			t.Errorf("p%v = %v, want %v ±1%%", c.q*100, got, c.want)
		}
	}
	if a.max != 10*time.Millisecond || a.total != 10000 {
		t.Errorf("max %v total %d", a.max, a.total)
	}
	var empty histogram
	if empty.percentile(0.99) != 0 {
		t.Error("empty histogram must report zero")
	}
}
