package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// batcher is group commit: it runs the write transactions of concurrent
// callers together in one database transaction, each inside its own
// savepoint, so many small writes share one commit (one fsync on SQLite)
// while each keeps its own all-or-nothing outcome. A caller's function that
// fails is rolled back to its savepoint and does not affect the others.
type batcher struct {
	db    *sql.DB
	reqs  chan *batchReq
	stop  chan struct{}
	wg    sync.WaitGroup
	limit int
}

type batchReq struct {
	ctx  context.Context
	fn   func(*sql.Tx) error
	done chan error
}

func newBatcher(db *sql.DB, limit int) *batcher {
	b := &batcher{db: db, reqs: make(chan *batchReq, limit), stop: make(chan struct{}), limit: limit}
	b.wg.Go(b.loop)
	return b
}

// do runs fn in the next group and waits for its commit.
func (b *batcher) do(ctx context.Context, fn func(*sql.Tx) error) error {
	req := &batchReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case b.reqs <- req:
	case <-ctx.Done():
		return ctx.Err()
	case <-b.stop:
		return fmt.Errorf("store is closed")
	}
	// Once queued the request is run; wait for its outcome even if ctx
	// ends, so the caller never reports failure for a committed write.
	return <-req.done
}

func (b *batcher) close() {
	close(b.stop)
	b.wg.Wait()
}

func (b *batcher) loop() {
	for {
		var first *batchReq
		select {
		case first = <-b.reqs:
		case <-b.stop:
			return
		}
		group := []*batchReq{first}
	drain:
		for len(group) < b.limit {
			select {
			case r := <-b.reqs:
				group = append(group, r)
			default:
				break drain
			}
		}
		b.run(group)
	}
}

// run executes one group in one transaction.
func (b *batcher) run(group []*batchReq) {
	errs := make([]error, len(group))
	fail := func(err error) {
		for _, r := range group {
			r.done <- err
		}
	}
	tx, err := b.db.BeginTx(context.Background(), nil)
	if err != nil {
		fail(fmt.Errorf("begin: %w", err))
		return
	}
	if len(group) == 1 {
		// Alone: no savepoint needed, the transaction is the unit.
		r := group[0]
		if err := r.fn(tx); err != nil {
			_ = tx.Rollback()
			r.done <- err
			return
		}
		if err := tx.Commit(); err != nil {
			r.done <- fmt.Errorf("commit: %w", err)
			return
		}
		r.done <- nil
		return
	}
	for i, r := range group {
		if err := r.ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		if _, err := tx.Exec(`SAVEPOINT lathe_op`); err != nil {
			_ = tx.Rollback()
			fail(fmt.Errorf("savepoint: %w", err))
			return
		}
		errs[i] = r.fn(tx)
		if errs[i] != nil {
			if _, err := tx.Exec(`ROLLBACK TO SAVEPOINT lathe_op`); err != nil {
				_ = tx.Rollback()
				fail(fmt.Errorf("roll back to savepoint: %w", err))
				return
			}
		}
		if _, err := tx.Exec(`RELEASE SAVEPOINT lathe_op`); err != nil {
			_ = tx.Rollback()
			fail(fmt.Errorf("release savepoint: %w", err))
			return
		}
	}
	if err := tx.Commit(); err != nil {
		fail(fmt.Errorf("commit: %w", err))
		return
	}
	for i, r := range group {
		r.done <- errs[i]
	}
}
