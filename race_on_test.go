//go:build race

package s1crets_test

const raceEnabled = true
