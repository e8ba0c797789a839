package agent

import "github.com/s1crets/s1crets"

// metaOf returns what the store said about v; zero when it said nothing
// (the memory provider).
func metaOf(v s1crets.Value) s1crets.Meta { return v.Meta() }
