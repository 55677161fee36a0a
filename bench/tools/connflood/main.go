// connflood: many client connections to one HTTP/1.1 endpoint at once, the
// case wrk and vegeta could not drive on this machine (wrk with 19,000
// connections against a server that keeps 1,000 sent nothing at all).
//
// It opens -conns keep-alive connections, then sends POSTs on a fixed
// schedule (-rate per second in total, open loop: each request has an
// intended send time and its latency is measured from it). A request is
// sent on whichever connection is free; a connection the server closed or
// refused is dialled again for the next request. It counts every outcome
// (each HTTP status, connect errors, resets, timeouts, requests it could not
// send on time) and prints one JSON object.
//
//	go run ./bench/tools/connflood -url http://127.0.0.1:8000/v1/collections/products/search \
//	    -body query.json -conns 20000 -rate 5000 -duration 20s
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type tally struct {
	mu        sync.Mutex
	byOutcome map[string]int
	okMs      []float64
	refusedMs []float64
}

func (t *tally) add(outcome string, ms float64) {
	t.mu.Lock()
	t.byOutcome[outcome]++
	switch outcome {
	case "200":
		t.okMs = append(t.okMs, ms)
	case "429", "503":
		t.refusedMs = append(t.refusedMs, ms)
	}
	t.mu.Unlock()
}

// percentile by nearest rank over sorted values (vecserve's core/statistics.ts definition).
func percentile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(q*float64(len(sorted)) + 0.999999)
	if rank < 1 {
		rank = 1
	}
	if rank > len(sorted) {
		rank = len(sorted)
	}
	return sorted[rank-1]
}

// readResponse reads one HTTP/1.1 response: its status and whether the server will close.
func readResponse(r *bufio.Reader) (int, bool, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return 0, false, err
	}
	parts := strings.SplitN(strings.TrimSpace(line), " ", 3)
	if len(parts) < 2 {
		return 0, false, fmt.Errorf("bad status line %q", line)
	}
	status, err := strconv.Atoi(parts[1])
	if err != nil {
		return 0, false, err
	}
	length, closing := 0, false
	for {
		h, err := r.ReadString('\n')
		if err != nil {
			return 0, false, err
		}
		h = strings.TrimSpace(h)
		if h == "" {
			break
		}
		name, value, _ := strings.Cut(h, ":")
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "content-length":
			length, _ = strconv.Atoi(strings.TrimSpace(value))
		case "connection":
			closing = strings.EqualFold(strings.TrimSpace(value), "close")
		}
	}
	if _, err := io.CopyN(io.Discard, r, int64(length)); err != nil {
		return 0, false, err
	}
	return status, closing, nil
}

func main() {
	target := flag.String("url", "http://127.0.0.1:8000/v1/collections/products/search", "endpoint to POST to")
	bodyFile := flag.String("body", "", "file with the JSON body")
	conns := flag.Int("conns", 20000, "client connections")
	rate := flag.Float64("rate", 1000, "requests per second in total (open loop)")
	duration := flag.Duration("duration", 20*time.Second, "how long to send")
	timeout := flag.Duration("timeout", 10*time.Second, "a request unanswered this long is a timeout")
	dialers := flag.Int("dial-concurrency", 512, "connections being opened at once at the start")
	flag.Parse()

	u, err := url.Parse(*target)
	if err != nil || u.Host == "" {
		fmt.Fprintf(os.Stderr, "connflood: -url %q is not an http URL\n", *target)
		os.Exit(2)
	}
	body, err := os.ReadFile(*bodyFile)
	if err != nil {
		fmt.Fprintf(os.Stderr, "connflood: -body: %v\n", err)
		os.Exit(2)
	}
	path := u.RequestURI()
	request := []byte(fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", path, u.Host, len(body), body))

	t := &tally{byOutcome: map[string]int{}}
	dial := func() (net.Conn, *bufio.Reader, error) {
		c, err := net.DialTimeout("tcp", u.Host, 2*time.Second)
		if err != nil {
			return nil, nil, err
		}
		return c, bufio.NewReaderSize(c, 16<<10), nil
	}

	// Open every connection first (a flood of clients that all connect), a few hundred at a time.
	type client struct {
		conn net.Conn
		r    *bufio.Reader
	}
	clients := make([]*client, *conns)
	var opened, failed atomic.Int64
	sem := make(chan struct{}, *dialers)
	var wg sync.WaitGroup
	openStart := time.Now()
	for i := range clients {
		clients[i] = &client{}
		wg.Add(1)
		sem <- struct{}{}
		go func(c *client) {
			defer wg.Done()
			defer func() { <-sem }()
			conn, r, err := dial()
			if err != nil {
				failed.Add(1)
				return
			}
			c.conn, c.r = conn, r
			opened.Add(1)
		}(clients[i])
	}
	wg.Wait()
	openSeconds := time.Since(openStart).Seconds()

	// The schedule: ticket i is due at start + i/rate. Free clients take tickets;
	// a ticket nobody could take before the next is due waits in the channel (late).
	total := int(*rate * duration.Seconds())
	tickets := make(chan time.Time, *conns)
	var late atomic.Int64
	start := time.Now().Add(100 * time.Millisecond)
	deadline := start.Add(*duration)
	var workers sync.WaitGroup
	for _, c := range clients {
		workers.Add(1)
		go func(c *client) {
			defer workers.Done()
			for due := range tickets {
				if lag := time.Since(due); lag > 10*time.Millisecond {
					late.Add(1)
				}
				if c.conn == nil {
					conn, r, err := dial()
					if err != nil {
						t.add("connect_error", 0)
						continue
					}
					c.conn, c.r = conn, r
				}
				c.conn.SetDeadline(due.Add(*timeout))
				if _, err := c.conn.Write(request); err != nil {
					t.add("reset", 0)
					c.conn.Close()
					c.conn = nil
					continue
				}
				status, closing, err := readResponse(c.r)
				ms := float64(time.Since(due).Microseconds()) / 1000
				if err != nil {
					if ne, ok := err.(net.Error); ok && ne.Timeout() {
						t.add("timeout", ms)
					} else {
						t.add("reset", ms)
					}
					c.conn.Close()
					c.conn = nil
					continue
				}
				t.add(strconv.Itoa(status), ms)
				if closing {
					c.conn.Close()
					c.conn = nil
				}
			}
		}(c)
	}
	unsent := 0
	for i := 0; i < total; i++ {
		due := start.Add(time.Duration(float64(i) / *rate * float64(time.Second)))
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		if time.Now().After(deadline.Add(time.Second)) {
			unsent = total - i
			break
		}
		tickets <- due
	}
	sentSeconds := time.Since(start).Seconds()
	close(tickets)
	workers.Wait()
	for _, c := range clients {
		if c.conn != nil {
			c.conn.Close()
		}
	}

	sort.Float64s(t.okMs)
	sort.Float64s(t.refusedMs)
	ok := t.byOutcome["200"]
	out := map[string]any{
		"connections":       *conns,
		"connectionsOpened": opened.Load(),
		"connectionsFailed": failed.Load(),
		"openSeconds":       openSeconds,
		"offeredPerSecond":  *rate,
		"seconds":           duration.Seconds(),
		"scheduled":         total,
		"unsent":            unsent,
		"lateSends":         late.Load(),
		"achievedSendRate":  float64(total-unsent) / sentSeconds,
		"byOutcome":         t.byOutcome,
		"okPerSecond":       float64(ok) / duration.Seconds(),
		"okMs":              map[string]float64{"p50": percentile(t.okMs, 0.5), "p99": percentile(t.okMs, 0.99), "max": percentile(t.okMs, 1)},
		"refusedMs":         map[string]float64{"p50": percentile(t.refusedMs, 0.5), "p99": percentile(t.refusedMs, 0.99), "max": percentile(t.refusedMs, 1)},
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	enc.Encode(out)
}
