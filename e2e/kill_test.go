package e2e_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/client"
)

// TestKillDuringWrites uploads blobs from several clients, kills the server
// with SIGKILL in the middle, restarts it on the same data dir, and checks
// that every acknowledged upload is there, intact, and that no partial blob
// became visible.
func TestKillDuringWrites(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	p := up(t, home)
	c, err := client.New(p.url, p.token(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	acked := map[lathe.Digest][]byte{}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for i := 0; ctx.Err() == nil; i++ {
				b := make([]byte, 1+rng.IntN(512<<10))
				for j := 0; j < len(b); j += 8 {
					v := rng.Uint64()
					for k := j; k < min(j+8, len(b)); k++ {
						b[k], v = byte(v), v>>8
					}
				}
				blob, err := c.PutBlob(ctx, lathe.DefaultWorkspace, &slowReader{b: b}, int64(len(b)), "")
				if err != nil {
					return // the server died under us; this one was never acknowledged
				}
				mu.Lock()
				acked[blob.Digest] = b
				mu.Unlock()
			}
		})
	}
	time.Sleep(1500 * time.Millisecond)
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-p.done
	p.done <- nil
	cancel()
	wg.Wait()
	if len(acked) < 4 {
		t.Fatalf("only %d uploads acknowledged before the kill; the test proves nothing", len(acked))
	}

	// Every file under blobs/sha256 must hold exactly the bytes its name says.
	files, _ := filepath.Glob(filepath.Join(home, "blobs", "sha256", "*", "*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprintf("%x", sha256.Sum256(b)); got != filepath.Base(f) {
			t.Errorf("visible blob %s holds bytes with digest %s", filepath.Base(f), got)
		}
	}

	p2 := up(t, home)
	c2, _ := client.New(p2.url, p2.token(t), nil)
	for d, want := range acked {
		rc, _, err := c2.GetBlob(context.Background(), lathe.DefaultWorkspace, d, 0, -1)
		if err != nil {
			t.Errorf("acknowledged blob %s lost: %v", d, err)
			continue
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || len(got) != len(want) {
			t.Errorf("acknowledged blob %s damaged: %d bytes, %v", d, len(got), err)
		}
	}
	listed := 0
	cursor := ""
	for {
		page, err := c2.ListBlobs(context.Background(), lathe.DefaultWorkspace, cursor, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range page.Items {
			listed++
			rc, _, err := c2.GetBlob(context.Background(), lathe.DefaultWorkspace, b.Digest, 0, -1)
			if err != nil {
				t.Errorf("listed blob %s cannot be read: %v", b.Digest, err)
				continue
			}
			if _, err := io.Copy(io.Discard, rc); err != nil {
				t.Errorf("listed blob %s fails verification: %v", b.Digest, err)
			}
			rc.Close()
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if listed < len(acked) {
		t.Fatalf("%d blobs listed after restart, %d were acknowledged", listed, len(acked))
	}
	t.Logf("%d uploads acknowledged before SIGKILL, %d listed after restart, all intact", len(acked), listed)
}

// slowReader hands out its bytes in small pieces so uploads are in flight
// when the server dies.
type slowReader struct {
	b   []byte
	off int
}

func (r *slowReader) Read(p []byte) (int, error) {
	if r.off >= len(r.b) {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), 64<<10)], r.b[r.off:])
	r.off += n
	return n, nil
}
