package loadtest

import (
	"math"
	"math/bits"
	"time"
)

// The histogram is log-linear: values below 2*subBuckets nanoseconds are
// exact, above that each power of two is cut into subBuckets equal slices,
// so a bucket's width is at most 1/subBuckets (under 0.8%) of its values.
// A fixed array keeps recording allocation-free and lets workers keep
// private histograms that are merged once at the end.
const (
	subBucketBits = 7
	subBuckets    = 1 << subBucketBits
	// maxShift caps recordable latencies at about 2^(maxShift+8) ns (~18
	// minutes); anything longer lands in the last bucket, Max stays exact.
	maxShift        = 32
	histogramBucket = 2*subBuckets + maxShift*subBuckets
)

// histogram counts latencies in log-linear buckets.
type histogram struct {
	counts [histogramBucket]uint64
	total  uint64
	max    time.Duration
}

// bucketOf returns the bucket index holding a value of ns nanoseconds.
func bucketOf(ns uint64) int {
	if ns < 2*subBuckets {
		return int(ns)
	}
	shift := bits.Len64(ns) - subBucketBits - 1 // ns>>shift is in [subBuckets, 2*subBuckets)
	if shift > maxShift {
		return histogramBucket - 1
	}
	return 2*subBuckets + (shift-1)*subBuckets + int(ns>>shift) - subBuckets
}

// bucketMiddle returns the value at the middle of bucket i, the best single
// estimate of the values recorded there.
func bucketMiddle(i int) time.Duration {
	if i < 2*subBuckets {
		return time.Duration(i)
	}
	shift := (i-2*subBuckets)/subBuckets + 1
	low := uint64((i-2*subBuckets)%subBuckets+subBuckets) << shift
	return time.Duration(low + (uint64(1)<<shift)/2)
}

// record adds one latency.
func (h *histogram) record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[bucketOf(uint64(d))]++
	h.total++
	if d > h.max {
		h.max = d
	}
}

// merge adds every latency recorded in other.
func (h *histogram) merge(other *histogram) {
	for i, c := range other.counts {
		h.counts[i] += c
	}
	h.total += other.total
	if other.max > h.max {
		h.max = other.max
	}
}

// percentile returns the latency below or at which a fraction q (0..1) of
// the recorded latencies fall, or zero when nothing was recorded.
func (h *histogram) percentile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	// Nearest-rank definition: the smallest value with at least q of the
	// samples at or below it.
	rank := max(uint64(math.Ceil(q*float64(h.total))), 1)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return min(bucketMiddle(i), h.max)
		}
	}
	return h.max
}
