package serve

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// guard wraps the handler with what keeps a local server local:
//
//   - DNS rebinding: a page on another site whose name an attacker points
//     at 127.0.0.1 reaches this server with its own name in Host. Only
//     "localhost" and IP literals are accepted as hosts: a rebinding
//     attack needs a name it controls.
//   - Cross-site requests: a request whose Origin is not this server's
//     own (same scheme, host and port as its Host), or that the browser
//     marks as cross-site (Sec-Fetch-Site), is refused for the API; a
//     cross-site link to the page itself is an ordinary navigation and
//     is allowed. POSTs must be JSON, which no HTML form can send.
//   - Bounds: headers and bodies are bounded (MaxBody, and the
//     http.Server's limits set by Listen), as is the work per request.
//   - The page may fetch nothing from elsewhere (Content-Security-Policy).
//   - A panic in a handler answers 500 and leaves the server up.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				s.fail(w, r, fmt.Errorf("internal error: %v", v))
			}
		}()
		if err := checkHost(r.Host); err != nil {
			s.fail(w, r, err)
			return
		}
		if strings.HasPrefix(r.URL.Path, "/api/") {
			if err := checkOrigin(r); err != nil {
				s.fail(w, r, err)
				return
			}
		}
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "+
			"img-src 'self' data:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// checkHost accepts "localhost" and IP literals, with any port.
func checkHost(host string) error {
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	name = strings.TrimSuffix(strings.TrimPrefix(name, "["), "]")
	if strings.EqualFold(name, "localhost") || net.ParseIP(name) != nil {
		return nil
	}
	return fmt.Errorf("%w: Host %q is not localhost or an IP address (a DNS rebinding attempt?)", errForbidden, host)
}

// checkOrigin refuses API requests from pages of other origins.
func checkOrigin(r *http.Request) error {
	switch site := r.Header.Get("Sec-Fetch-Site"); site {
	case "", "same-origin", "none":
	default:
		return fmt.Errorf("%w: a %s request (Sec-Fetch-Site)", errForbidden, site)
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil // not sent by a browser for same-origin GETs
	}
	u, err := url.Parse(origin)
	if err != nil || u.Scheme != "http" || !strings.EqualFold(u.Host, r.Host) {
		return fmt.Errorf("%w: Origin %q is not this server's (http://%s)", errForbidden, origin, r.Host)
	}
	return nil
}
