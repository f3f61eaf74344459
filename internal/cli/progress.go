package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/term"

	"github.com/latheml/lathe"
)

// progress draws a one-line progress bar on a terminal. It is a no-op when
// the writer is not a terminal, so scripts and CI logs stay clean.
type progress struct {
	w     io.Writer
	label string
	total int64 // -1 if unknown
	done  atomic.Int64
	start time.Time
	stop  chan struct{}
	wg    sync.WaitGroup
	on    bool
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// newProgress starts a bar for total bytes (or -1) labelled label on w.
func newProgress(w io.Writer, label string, total int64) *progress {
	p := &progress{w: w, label: label, total: total, start: time.Now(), stop: make(chan struct{}), on: isTerminal(w)}
	if p.on {
		p.wg.Go(func() {
			t := time.NewTicker(100 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-p.stop:
					return
				case <-t.C:
					p.draw(false)
				}
			}
		})
	}
	return p
}

// Reader counts what r yields.
func (p *progress) Reader(r io.Reader) io.Reader { return &countReader{r: r, p: p} }

// Writer counts what is written through w.
func (p *progress) Writer(w io.Writer) io.Writer { return &countWriter{w: w, p: p} }

// Finish draws the final state and ends the line.
func (p *progress) Finish() {
	if !p.on {
		return
	}
	close(p.stop)
	p.wg.Wait()
	p.draw(true)
}

func (p *progress) draw(final bool) {
	done := p.done.Load()
	el := time.Since(p.start).Seconds()
	rate := 0.0
	if el > 0 {
		rate = float64(done) / el
	}
	line := fmt.Sprintf("%-10s %s", p.label, lathe.FormatBytes(done))
	if p.total > 0 {
		frac := min(float64(done)/float64(p.total), 1)
		const width = 30
		n := int(frac * width)
		bar := strings.Repeat("=", n) + strings.Repeat(" ", width-n)
		if n < width {
			bar = bar[:n] + ">" + bar[n+1:]
		}
		eta := ""
		if rate > 0 && !final {
			eta = " ETA " + time.Duration(float64(p.total-done)/rate*float64(time.Second)).Round(time.Second).String()
		}
		line = fmt.Sprintf("%-10s [%s] %3.0f%% %s/%s %s/s%s", p.label, bar, frac*100, lathe.FormatBytes(done), lathe.FormatBytes(p.total), lathe.FormatBytes(int64(rate)), eta)
	} else {
		line += " " + lathe.FormatBytes(int64(rate)) + "/s"
	}
	end := ""
	if final {
		end = "\n"
	}
	fmt.Fprintf(p.w, "\r\033[K%s%s", line, end)
}

type countReader struct {
	r io.Reader
	p *progress
}

func (c *countReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.p.done.Add(int64(n))
	return n, err
}

type countWriter struct {
	w io.Writer
	p *progress
}

func (c *countWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.p.done.Add(int64(n))
	return n, err
}
