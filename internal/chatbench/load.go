package main

import (
	"bufio"
	"bytes"
	"confidant/internal/procstat"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// target is one way to reach the simulated backend's chat completions.
type target struct {
	name string
	url  string
	key  string // bearer API key, "" for none
}

// The request bodies: a fixed, small answer so that runs compare.
var (
	ttftBody  = completionBody("[[sim:tokens=20]] How long is the way to the first token?")
	burstBody = completionBody("[[sim:tokens=40]] [[sim:delay=20ms]] Tell me a story that takes a while.")
)

func completionBody(content string) []byte {
	b, _ := json.Marshal(map[string]any{
		"model": "sim-chat", "stream": true,
		"messages": []any{map[string]string{"role": "user", "content": content}},
	})
	return b
}

// newClient keeps up to conns connections alive to each host, on loopback
// only (no proxy from the environment).
func newClient(conns int) *http.Client {
	return &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}}
}

// streamResult is one streamed completion.
type streamResult struct {
	ttft  time.Duration // request sent to first non-empty content delta
	total time.Duration // request sent to [DONE]
}

// chunk is the part of a completion chunk the bench looks at.
type chunk struct {
	Choices []struct {
		Delta struct {
			Content string `json:"content"`
		} `json:"delta"`
	} `json:"choices"`
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// streamOnce posts a streaming completion and reads it to [DONE]. opened,
// when not nil, is called once the answer's headers arrive (status 200).
func streamOnce(ctx context.Context, client *http.Client, t target, body []byte, opened func()) (streamResult, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(body))
	if err != nil {
		return streamResult{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	if t.key != "" {
		req.Header.Set("Authorization", "Bearer "+t.key)
	}
	t0 := time.Now()
	res, err := client.Do(req)
	if err != nil {
		return streamResult{}, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(res.Body, 300))
		return streamResult{}, fmt.Errorf("status %d: %s", res.StatusCode, strings.TrimSpace(string(b)))
	}
	if opened != nil {
		opened()
	}
	var r streamResult
	br := bufio.NewReaderSize(res.Body, 16<<10)
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = errors.New("stream ended without [DONE]")
			}
			return r, err
		}
		payload, ok := bytes.CutPrefix(line, []byte("data: "))
		if !ok {
			continue
		}
		payload = bytes.TrimSpace(payload)
		if string(payload) == "[DONE]" {
			r.total = time.Since(t0)
			break
		}
		if r.ttft != 0 && !bytes.Contains(payload, []byte(`"error"`)) {
			continue
		}
		now := time.Since(t0)
		var c chunk
		if err := json.Unmarshal(payload, &c); err != nil {
			return r, fmt.Errorf("bad chunk %.80q: %w", payload, err)
		}
		if c.Error != nil {
			return r, fmt.Errorf("error event: %s: %s", c.Error.Code, c.Error.Message)
		}
		if r.ttft == 0 && len(c.Choices) > 0 && c.Choices[0].Delta.Content != "" {
			r.ttft = now
		}
	}
	_, _ = io.Copy(io.Discard, br) // to the end of the body, so the connection is reused
	if r.ttft == 0 {
		return r, errors.New("no content before [DONE]")
	}
	return r, nil
}

// segment is the outcome of one stretch of steady load.
type segment struct {
	ttft   []time.Duration // of the completions started in the measured window
	errors int
	first  error
	done   int // completions, warm-up included

	serverCPU, dbCPU time.Duration // what the server and its database used meanwhile, when metered
}

func (s *segment) add(o segment) {
	s.ttft = append(s.ttft, o.ttft...)
	s.errors += o.errors
	s.done += o.done
	s.serverCPU += o.serverCPU
	s.dbCPU += o.dbCPU
	if s.first == nil {
		s.first = o.first
	}
}

// steady runs n clients streaming back to back for warmup+d, and records
// the requests that start after the warm-up.
func steady(ctx context.Context, client *http.Client, t target, n int, warmup, d time.Duration) segment {
	recordFrom := time.Now().Add(warmup)
	end := recordFrom.Add(d)
	var mu sync.Mutex
	var out segment
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var local segment
			for ctx.Err() == nil {
				t0 := time.Now()
				if !t0.Before(end) {
					break
				}
				r, err := streamOnce(ctx, client, t, ttftBody, nil)
				if err != nil {
					_ = sleep(ctx, 10*time.Millisecond) // no hot loop on a failing target
				}
				if err == nil {
					local.done++
				}
				if t0.Before(recordFrom) {
					continue
				}
				if err != nil {
					local.errors++
					if local.first == nil {
						local.first = err
					}
					continue
				}
				local.ttft = append(local.ttft, r.ttft)
			}
			mu.Lock()
			out.add(local)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}

// cpuMeter reads the CPU time used so far by Confidant's server and by
// the database backends serving it.
type cpuMeter func(ctx context.Context) (server, db time.Duration, err error)

// The configurations of part 1, in the order of its targets: direct, the
// floor proxy, the durable floor and Confidant.
const (
	directIdx = iota
	floorIdx
	durableIdx
	confidantIdx
)

// durableFloorName is the durable floor's name in the report.
const durableFloorName = "floor+commit"

// ttftPart is part 1: TTFT under steady load, direct, through the floor
// proxy, through the durable floor and through Confidant, interleaved in
// rounds so that noise falls on all alike. The CPU that the segments of a
// target with a meter cost its process and its database is metered, per
// completion.
func ttftPart(ctx context.Context, o options, targets []target, meters []cpuMeter) error {
	seg := o.duration / time.Duration(o.rounds)
	fmt.Printf("== 1. time to first token under steady load: 20-token answers, back to back over kept-alive connections,\n")
	fmt.Printf("      %s per configuration in %d interleaved rounds of %s (after %s warm-up each)\n", o.duration, o.rounds, seg, o.warmup)
	for _, n := range o.clients {
		results := make([]segment, len(targets))
		clients := make([]*http.Client, len(targets))
		for i := range targets {
			clients[i] = newClient(n)
		}
		for r := range o.rounds {
			for k := range targets {
				i := k
				if r%2 == 1 {
					i = len(targets) - 1 - k
				}
				var s0, d0 time.Duration
				meter := meters[i]
				metered := meter != nil
				if metered {
					var err error
					if s0, d0, err = meter(ctx); err != nil {
						return err
					}
				}
				got := steady(ctx, clients[i], targets[i], n, o.warmup, seg)
				if metered {
					s1, d1, err := meter(ctx)
					if err != nil {
						return err
					}
					got.serverCPU, got.dbCPU = s1-s0, d1-d0
				}
				results[i].add(got)
				if err := ctx.Err(); err != nil {
					return err
				}
			}
		}
		for _, c := range clients {
			c.CloseIdleConnections()
		}
		report(n, o.duration, targets, results)
	}
	return nil
}

// report prints one client count's table, the added latencies and the
// targets, and how the targets compare with the durable floor.
func report(n int, d time.Duration, targets []target, results []segment) {
	fmt.Printf("\n%d clients:\n", n)
	fmt.Printf("  %-12s %9s %9s %9s %9s %11s %11s %7s\n", "config", "requests", "req/s", "p50", "p99", "added p50", "added p99", "errors")
	p50 := make([]time.Duration, len(targets))
	p99 := make([]time.Duration, len(targets))
	allOK := true
	for i, t := range targets {
		s := results[i]
		sort.Slice(s.ttft, func(a, b int) bool { return s.ttft[a] < s.ttft[b] })
		ok := len(s.ttft) > 0
		if ok {
			p50[i], p99[i] = pct(s.ttft, 0.50), pct(s.ttft, 0.99)
		}
		added50, added99 := "", ""
		if i > 0 && ok && len(results[0].ttft) > 0 {
			added50, added99 = signed(p50[i]-p50[0]), signed(p99[i]-p99[0])
		}
		allOK = allOK && ok
		fmt.Printf("  %-12s %9d %9.0f %9s %9s %11s %11s %7d\n", t.name, len(s.ttft), float64(len(s.ttft))/d.Seconds(),
			ms(p50[i]), ms(p99[i]), added50, added99, s.errors)
		if s.first != nil {
			fmt.Printf("  %-12s first error: %v\n", "", s.first)
		}
	}
	if !allOK {
		fmt.Println("  targets: not evaluated, a configuration had no successful request")
		return
	}
	for _, m := range []struct {
		i          int
		what, proc string
	}{{durableIdx, durableFloorName, "proxy"}, {confidantIdx, "confidant", "server"}} {
		if c := results[m.i]; c.done > 0 && c.serverCPU+c.dbCPU > 0 {
			perReq := func(d time.Duration) string { return ms(d / time.Duration(c.done)) }
			fmt.Printf("  %s CPU per completion: %s %s, its database %s (%d completions, warm-up included)\n",
				m.what, m.proc, perReq(c.serverCPU), perReq(c.dbCPU), c.done)
		}
	}
	floor50, floor99 := p50[floorIdx]-p50[directIdx], p99[floorIdx]-p99[directIdx]
	durable50, durable99 := p50[durableIdx]-p50[directIdx], p99[durableIdx]-p99[directIdx]
	conf50, conf99 := p50[confidantIdx]-p50[directIdx], p99[confidantIdx]-p99[directIdx]
	fmt.Printf("  ratio TTFT confidant/direct: p50 %.2fx, p99 %.2fx; floor/direct: p50 %.2fx, p99 %.2fx\n",
		ratio(p50[confidantIdx], p50[directIdx]), ratio(p99[confidantIdx], p99[directIdx]), ratio(p50[floorIdx], p50[directIdx]), ratio(p99[floorIdx], p99[directIdx]))
	fmt.Printf("  ratio throughput confidant/direct %.2f, floor/direct %.2f\n",
		ratio(time.Duration(len(results[confidantIdx].ttft)), time.Duration(len(results[directIdx].ttft))),
		ratio(time.Duration(len(results[floorIdx].ttft)), time.Duration(len(results[directIdx].ttft))))
	switch n {
	case 10:
		fmt.Printf("  TARGET %d clients: Confidant added p50 %s <= 2ms: %s\n", n, signed(conf50), verdict(conf50 <= 2*time.Millisecond))
	case 100:
		fmt.Printf("  TARGET %d clients: Confidant added p50 %s <= floor added p50 %s + 5ms: %s\n", n, signed(conf50), signed(floor50), verdict(conf50 <= floor50+5*time.Millisecond))
		fmt.Printf("  TARGET %d clients: Confidant added p99 %s <= floor added p99 %s + 20ms: %s\n", n, signed(conf99), signed(floor99), verdict(conf99 <= floor99+20*time.Millisecond))
	default:
		fmt.Printf("  (targets are set for 10 and 100 clients only)\n")
	}
	if n != 10 && n != 100 {
		return
	}
	fmt.Printf("  over the durable floor (%s): Confidant adds p50 %s, p99 %s\n",
		durableFloorName, signed(p50[confidantIdx]-p50[durableIdx]), signed(p99[confidantIdx]-p99[durableIdx]))
	if n == 10 {
		fmt.Printf("  durable floor alone adds %s p50 at %d clients: %s\n", signed(durable50), n,
			againstTarget("the 2ms target", durable50, 2*time.Millisecond))
		return
	}
	limit50, limit99 := floor50+5*time.Millisecond, floor99+20*time.Millisecond
	fmt.Printf("  durable floor alone adds %s p50, %s p99 at %d clients: ", signed(durable50), signed(durable99), n)
	if durable50 > limit50 && durable99 > limit99 {
		fmt.Printf("both targets (p50 floor+5ms = %s, p99 floor+20ms = %s) are below what one durable commit per request costs here, by %s and %s\n",
			signed(limit50), signed(limit99), ms(durable50-limit50), ms(durable99-limit99))
		return
	}
	fmt.Printf("%s; %s\n", againstTarget(fmt.Sprintf("the p50 target (floor+5ms = %s)", signed(limit50)), durable50, limit50),
		againstTarget(fmt.Sprintf("the p99 target (floor+20ms = %s)", signed(limit99)), durable99, limit99))
}

// againstTarget says in words how a target of limit for the latency added
// over direct compares with durable, what the durable floor adds.
func againstTarget(target string, durable, limit time.Duration) string {
	if durable > limit {
		return fmt.Sprintf("%s is below what one durable commit per request costs here, by %s", target, ms(durable-limit))
	}
	return fmt.Sprintf("%s leaves Confidant %s beyond one durable commit per request", target, ms(limit-durable))
}

// burstPart is part 2: many concurrent streaming chats through Confidant,
// with its resident memory sampled while they run.
func burstPart(ctx context.Context, o options, t target, server *child, idleKB int) error {
	fmt.Printf("\n== 2. %d concurrent streaming chats through Confidant (40 tokens, 20 ms apart)\n", o.burst)
	if err := sleep(ctx, time.Second); err != nil { // let part 1's titles and commits finish
		return err
	}
	pid := server.pid()
	beforeKB, err := procstat.RSSKB(pid)
	if err != nil {
		return err
	}
	client := newClient(o.burst)
	defer client.CloseIdleConnections()

	var open, maxOpen atomic.Int64
	var mu sync.Mutex
	var ttft, total []time.Duration
	errs := map[string]int{}
	nerr := 0
	release := make(chan struct{})
	var wg sync.WaitGroup
	for range o.burst {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-release
			opened := false
			r, err := streamOnce(ctx, client, t, burstBody, func() {
				opened = true
				v := open.Add(1)
				for m := maxOpen.Load(); v > m && !maxOpen.CompareAndSwap(m, v); m = maxOpen.Load() {
				}
			})
			if opened {
				open.Add(-1)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				nerr++
				msg := err.Error()
				if len(msg) > 120 {
					msg = msg[:120]
				}
				errs[msg]++
				return
			}
			ttft = append(ttft, r.ttft)
			total = append(total, r.total)
		}()
	}

	// Sample the server's memory while the burst runs.
	done := make(chan struct{})
	peakc := make(chan int, 1)
	go func() {
		peak := 0
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			if kb, err := procstat.RSSKB(pid); err == nil && kb > peak {
				peak = kb
			}
			select {
			case <-done:
				peakc <- peak
				return
			case <-tick.C:
			}
		}
	}()
	t0 := time.Now()
	close(release)
	wg.Wait()
	wall := time.Since(t0)
	close(done)
	peakKB := <-peakc
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := sleep(ctx, 2*time.Second); err != nil {
		return err
	}
	afterKB, _ := procstat.RSSKB(pid)

	fmt.Printf("  errors %d of %d: %s\n", nerr, o.burst, verdict(nerr == 0))
	for msg, c := range errs {
		fmt.Printf("    %dx %s\n", c, msg)
	}
	fmt.Printf("  wall time %s for all %d; at most %d streams open at once\n", wall.Round(time.Millisecond), o.burst, maxOpen.Load())
	if len(ttft) > 0 {
		sort.Slice(ttft, func(a, b int) bool { return ttft[a] < ttft[b] })
		sort.Slice(total, func(a, b int) bool { return total[a] < total[b] })
		fmt.Printf("  TTFT p50 %s p99 %s; whole answer p50 %s p99 %s (the backend alone takes ~%s)\n",
			ms(pct(ttft, .5)), ms(pct(ttft, .99)), ms(pct(total, .5)), ms(pct(total, .99)), 40*20*time.Millisecond)
	}
	fmt.Printf("  Confidant RSS: idle after start-up %.1f MB, before the burst %.1f MB, peak during %.1f MB (+%.1f MB, %.0f KB per chat), 2 s after %.1f MB\n",
		mb(idleKB), mb(beforeKB), mb(peakKB), mb(peakKB-beforeKB), float64(peakKB-beforeKB)/float64(o.burst), mb(afterKB))
	fmt.Printf("  ratio peak/idle RSS %.2f\n", float64(peakKB)/float64(idleKB))
	return nil
}

// pct is the q-quantile of sorted samples, nearest rank.
func pct(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.999999) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }

func signed(d time.Duration) string {
	if d >= 0 {
		return "+" + ms(d)
	}
	return ms(d)
}

func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}
