package agent

import (
	"time"

	"github.com/s1crets/s1crets"
)

// meta is what the store said about a value besides the value itself.
type meta struct {
	Name, ARN, Version                     string
	Stages                                 []string
	Created                                time.Time
	Type, DataType, Selector, SourceResult string
}

// metaOf returns what the store said about v; zero when it said nothing.
func metaOf(v s1crets.Value) meta { return meta{} }
