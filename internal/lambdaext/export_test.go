package lambdaext

import "time"

// SetID replaces the identifier that Register received, as if Lambda had
// answered another one.
func (c *Client) SetID(id string) { c.id = id }

// SetQuickTimeout replaces the timeout of register, init/error and
// exit/error after the Client was made.
func (c *Client) SetQuickTimeout(d time.Duration) { c.quick.Timeout = d }
