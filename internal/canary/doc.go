// Package canary holds the test that proves sealing end to end: distinctive
// strings go in through every path that stores user content, then neither
// a pg_dump of the database nor the server's logs may contain them.
//
// Every feature that stores user content adds its path to paths_test.go.
package canary
