// Command rotation shows a connection pool that follows a rotated database
// password without a restart: the pool reads the password through
// Client.Watch, and each rotation (here an Update, as a rotation Lambda
// would make in Secrets Manager) reaches it through the cache.
//
//	go run ./examples/rotation
//
// It runs on the in-memory provider, with a stand-in database that accepts
// only its current password.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"sync"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/providers/memory"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// database accepts connections with its current password only.
type database struct {
	mu       sync.Mutex // guards password
	password string
}

var errAuth = errors.New("password authentication failed")

func (db *database) connect(password string) error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if password != db.password {
		return errAuth
	}
	return nil
}

func (db *database) rotate(password string) {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.password = password
}

// pool opens connections with the latest password it was told.
type pool struct {
	db       *database
	mu       sync.Mutex // guards password and changes
	password string
	changes  chan struct{}
}

func (p *pool) setPassword(v s1crets.Value) {
	p.mu.Lock()
	p.password = v.Text()
	p.mu.Unlock()
	p.changes <- struct{}{}
}

func (p *pool) query() error {
	p.mu.Lock()
	pw := p.password
	p.mu.Unlock()
	return p.db.connect(pw)
}

func run(ctx context.Context, out io.Writer) error {
	db := &database{password: "initial-pw"}
	secrets, err := memory.New(map[string]string{"/prod/db/password": "initial-pw"})
	if err != nil {
		return err
	}
	defer secrets.Close()

	p := &pool{db: db, changes: make(chan struct{}, 1)}
	current, stop, err := secrets.Watch(ctx, "/prod/db/password", p.setPassword)
	if err != nil {
		return err
	}
	defer stop()
	p.mu.Lock()
	p.password = current.Text()
	p.mu.Unlock()
	fmt.Fprintln(out, "query:", result(p.query()))

	for i, next := range []string{"rotated-pw-1", "rotated-pw-2"} {
		// The rotation: the database takes the new password, then the
		// secret is updated (in AWS: a rotation Lambda's setSecret and
		// finishSecret steps).
		db.rotate(next)
		fmt.Fprintf(out, "rotation %d: database changed its password\n", i+1)
		fmt.Fprintln(out, "query before the pool hears of it:", result(p.query()))
		if err := secrets.Update(ctx, "/prod/db/password", next); err != nil {
			return err
		}
		<-p.changes // the watch told the pool
		fmt.Fprintln(out, "query after the watch told the pool:", result(p.query()))
	}
	return nil
}

func result(err error) string {
	if err != nil {
		return "refused (" + err.Error() + ")"
	}
	return "ok"
}
