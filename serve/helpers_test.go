package serve

import "testing"

// testServer is a server with options o, failing the test if it does not
// start.
func testServer(t testing.TB, o Options) *Server {
	t.Helper()
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
