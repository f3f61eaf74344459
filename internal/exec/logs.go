package exec

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/client"
)

// Limits of the log shipper.
const (
	shipEvery     = 100 * time.Millisecond // a batch waits at most this long
	shipMaxLines  = 2000                   // lines per batch
	shipMaxBytes  = 2 << 20                // bytes per batch
	shipMaxQueued = 16 << 20               // bytes waiting while the server is away; older lines are dropped past it
)

// shipper sends the job's output lines to the server in batches, and
// writes every line to the job's std_log.txt on this machine.
type shipper struct {
	c        *client.Client
	ws       string
	job      string
	file     io.Writer
	log      *slog.Logger
	patience time.Duration

	mu      sync.Mutex
	queue   []lathe.LogLine
	bytes   int
	dropped int
	stopped bool // the server refused: the job ended
	wake    chan struct{}
	done    chan struct{}
	closing chan time.Duration
}

func newShipper(c *client.Client, ws, job string, file io.Writer, log *slog.Logger, patience time.Duration) *shipper {
	s := &shipper{c: c, ws: ws, job: job, file: file, log: log, patience: patience, wake: make(chan struct{}, 1),
		done: make(chan struct{}), closing: make(chan time.Duration, 1)}
	go s.loop()
	return s
}

// add queues a line (cut to the server's line limit).
func (s *shipper) add(stream, text string) {
	now := time.Now().UnixMilli()
	s.mu.Lock()
	if s.file != nil {
		fmt.Fprintln(s.file, text)
	}
	for len(text) > lathe.MaxJobLogLineLen {
		s.push(lathe.LogLine{Stream: stream, Time: now, Text: text[:lathe.MaxJobLogLineLen]})
		text = text[lathe.MaxJobLogLineLen:]
	}
	s.push(lathe.LogLine{Stream: stream, Time: now, Text: text})
	n := len(s.queue)
	s.mu.Unlock()
	if n >= shipMaxLines {
		s.poke()
	}
}

// push appends under s.mu, dropping the oldest lines past the queue limit.
func (s *shipper) push(l lathe.LogLine) {
	if s.stopped {
		return
	}
	s.queue = append(s.queue, l)
	s.bytes += len(l.Text) + 32
	for s.bytes > shipMaxQueued && len(s.queue) > 1 {
		s.bytes -= len(s.queue[0].Text) + 32
		s.queue = s.queue[1:]
		s.dropped++
	}
}

func (s *shipper) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// take removes the next batch from the queue.
func (s *shipper) take() []lathe.LogLine {
	s.mu.Lock()
	defer s.mu.Unlock()
	var batch []lathe.LogLine
	if s.dropped > 0 {
		batch = append(batch, lathe.LogLine{Stream: lathe.StreamSystem, Time: time.Now().UnixMilli(),
			Text: fmt.Sprintf("[lathe] %d lines were dropped while the server could not be reached (the job's std_log.txt on the compute has them)", s.dropped)})
		s.dropped = 0
	}
	size, n := 0, 0
	for n < len(s.queue) && n < shipMaxLines && size < shipMaxBytes {
		size += len(s.queue[n].Text) + 32
		n++
	}
	batch = append(batch, s.queue[:n]...)
	s.queue = append([]lathe.LogLine(nil), s.queue[n:]...)
	s.bytes -= size
	return batch
}

func (s *shipper) pending() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue) > 0 || s.dropped > 0
}

func (s *shipper) loop() {
	defer close(s.done)
	t := time.NewTicker(shipEvery)
	defer t.Stop()
	deadline := time.Time{}
	for {
		closing := !deadline.IsZero()
		if !closing {
			select {
			case <-t.C:
			case <-s.wake:
			case d := <-s.closing:
				deadline = time.Now().Add(d)
			}
		}
		for s.pending() {
			batch := s.take()
			patience := s.patience
			if !deadline.IsZero() {
				patience = max(time.Until(deadline), 0)
			}
			ctx, cancel := context.WithTimeout(context.Background(), patience+10*time.Second)
			err := retry(ctx, patience, s.log, "send the job's log", func() error {
				_, err := s.c.AppendJobLogs(ctx, s.ws, s.job, batch)
				return err
			})
			cancel()
			if err != nil {
				code := lathe.ErrorCode(err)
				if code == lathe.ECONFLICT || code == lathe.EFORBIDDEN || code == lathe.EUNAUTHORIZED || code == lathe.ENOTFOUND {
					s.mu.Lock()
					s.stopped, s.queue = true, nil
					s.mu.Unlock()
				}
				s.log.Warn("log lines not sent", "lines", len(batch), "error", err)
			}
			if !deadline.IsZero() && time.Now().After(deadline) {
				return
			}
		}
		if closing {
			return
		}
	}
}

// close sends what is queued (waiting at most d) and stops.
func (s *shipper) close(d time.Duration) {
	s.closing <- d
	s.poke()
	<-s.done
}
