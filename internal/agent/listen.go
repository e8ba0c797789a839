package agent

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// ListenTCP listens on addr ("HOST:PORT"; HOST an IP address or
// "localhost", PORT 0 for any free port). Unless allowNonLoopback is set,
// HOST must be a loopback address: a secret service on a network address is
// a mistake that should not be one flag away.
func ListenTCP(addr string, allowNonLoopback bool) (net.Listener, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("listen address %q: want HOST:PORT: %w", addr, err)
	}
	if host == "localhost" {
		host = "127.0.0.1"
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return nil, fmt.Errorf("listen address %q: HOST must be an IP address or localhost", addr)
	}
	if !ip.IsLoopback() && !allowNonLoopback {
		return nil, fmt.Errorf("listen address %q is not a loopback address: other machines could ask for secrets "+
			"(allow it explicitly to serve them)", addr)
	}
	return net.Listen("tcp", net.JoinHostPort(ip.String(), port))
}

// ListenUnix listens on a Unix socket at path whose file has mode perm
// (0600 lets only this user connect; 0660 its group too). The socket is
// created in a private directory, given its mode, then moved into place, so
// that no one can connect through a wider mode in between. A stale socket
// left at path by a process that died is replaced; a socket that answers,
// or anything that is not a socket (a file, a symlink, which is never
// followed), is an error. Closing the listener removes the file.
func ListenUnix(path string, perm fs.FileMode) (net.Listener, error) {
	if perm&^fs.ModePerm != 0 {
		return nil, fmt.Errorf("socket mode %v: only permission bits", perm)
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode().Type() != fs.ModeSocket {
			return nil, fmt.Errorf("socket %s: exists and is not a socket (%v); not replacing it", path, fi.Mode().Type())
		}
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("socket %s: another server is listening on it", path)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("socket %s: %w", path, err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(path), ".s1crets-sock-")
	if err != nil {
		return nil, fmt.Errorf("socket %s: %w", path, err)
	}
	defer os.RemoveAll(tmp)
	tmpSock := filepath.Join(tmp, "s")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmpSock, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("socket %s: %w", path, err)
	}
	l.SetUnlinkOnClose(false)
	if err := os.Chmod(tmpSock, perm); err != nil {
		l.Close()
		return nil, fmt.Errorf("socket %s: %w", path, err)
	}
	// rename replaces a stale socket at path, or a symlink itself, without
	// following it.
	if err := os.Rename(tmpSock, path); err != nil {
		l.Close()
		return nil, fmt.Errorf("socket %s: %w", path, err)
	}
	return &unixListener{UnixListener: l, path: path}, nil
}

// unixListener removes its socket file when closed.
type unixListener struct {
	*net.UnixListener
	path string
	once sync.Once
}

func (l *unixListener) Addr() net.Addr { return &net.UnixAddr{Name: l.path, Net: "unix"} }

func (l *unixListener) Close() error {
	err := l.UnixListener.Close()
	l.once.Do(func() { os.Remove(l.path) })
	return err
}

// tooMany is the answer to a connection past the limit, as the AWS agent's.
const tooMany = "HTTP/1.1 429 Too Many Requests\r\nContent-Type: text/plain; charset=utf-8\r\n" +
	"Content-Length: 25\r\nConnection: close\r\n\r\nConnection limit exceeded"

// maxRejecting bounds the connections being answered 429 at once; past it a
// connection is closed without an answer.
const maxRejecting = 64

// limitListener hands out at most limit.max connections at once.
type limitListener struct {
	net.Listener
	limit     *connLimit
	rejecting chan struct{}
	once      sync.Once
}

func (l *limitListener) Accept() (net.Conn, error) {
	l.once.Do(func() { l.rejecting = make(chan struct{}, maxRejecting) })
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.limit.acquire() {
			return &limitedConn{Conn: c, limit: l.limit}, nil
		}
		l.limit.rejected.Add(1)
		select {
		case l.rejecting <- struct{}{}:
			go func() {
				defer func() { <-l.rejecting }()
				reject(c)
			}()
		default:
			c.Close()
		}
	}
}

// reject answers 429 and closes c. It reads what the client sent first (up
// to a bound, for at most a second), so that closing does not reset the
// connection before the client has read the answer.
func reject(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := io.WriteString(c, tooMany); err != nil {
		return
	}
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	io.Copy(io.Discard, io.LimitReader(c, 64<<10))
}

// limitedConn gives its place back once, when closed.
type limitedConn struct {
	net.Conn
	limit *connLimit
	once  sync.Once
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.limit.release)
	return err
}

// CloseWrite half-closes the connection, as net/http does after an answer
// that it sends before reading the whole request (431): the client then
// reads the answer to its end instead of a reset.
func (c *limitedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
