package serve_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/delegsim/delegsim/serve"
)

// The page's API: post a run and a path, get the transitions enabled at
// its end, each with why it is possible. Here nfsd has granted the
// delegation, and its OPEN reply cannot reach c1 before nfsd's least
// processing time has passed: only waiting is possible.
func ExampleNew() {
	srv, err := serve.New(serve.Options{Scenario: "bz219278"})
	if err != nil {
		panic(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	body, _ := json.Marshal(serve.PathRequest{Run: serve.Run{Scenario: "bz219278"},
		Steps: []string{"timer c1 script/0", "deliver c1->server fore"}})
	resp, err := http.Post(ts.URL+"/api/path", "application/json", bytes.NewReader(body))
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var v serve.PathResponse
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		panic(err)
	}
	fmt.Println("at", v.Now, "after", len(v.Steps), "steps, nfsd holds", len(v.State.Delegations), "delegation")
	for _, c := range v.Choices {
		fmt.Println(c.Label)
	}
	// Output:
	// at 0.000 ms after 2 steps, nfsd holds 1 delegation
	// wait until 2.905 ms
}
