package verify

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

// TestAtlassianCanonical checks the canonical request and the qsh against
// atlassian-jwt's own tests (https://bitbucket.org/atlassian/atlassian-jwt-js,
// test/jwt_test.ts: "should correctly create canonical request ...", "qsh"),
// their Express request objects written as URLs.
func TestAtlassianCanonical(t *testing.T) {
	for _, c := range []struct {
		name, method, url, base string
		canonical, qsh          string
	}{
		{name: "canonical request", method: "get",
			url:       "/path/to/service?zee_last=param&repeated=parameter%201&first=param&repeated=parameter%202&repeated=Parameter%202",
			canonical: "GET&/path/to/service&first=param&repeated=Parameter%202,parameter%201,parameter%202&zee_last=param"},
		{name: "ignoring app baseUrl", method: "get", base: "/base",
			url:       "/base/path/to/service?zee_last=param&repeated=parameter%201&first=param&repeated=parameter%202&repeated=Parameter%202",
			canonical: "GET&/path/to/service&first=param&repeated=Parameter%202,parameter%201,parameter%202&zee_last=param"},
		{name: "ignoring jwt param", method: "get",
			url:       "/hello-world?lic=none&tz=Australia%2FSydney&cp=%2Fjira&user_key=&loc=en-US&user_id=&jwt=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjEzODY4OTkxMzEsImlzcyI6ImppcmE6MTU0ODk1OTUiLCJxc2giOiI4MDYzZmY0Y2ExZTQxZGY3YmM5MGM4YWI2ZDBmNjIwN2Q0OTFjZjZkYWQ3YzY2ZWE3OTdiNDYxNGI3MTkyMmU5IiwiaWF0IjoxMzg2ODk4OTUxfQ.uKqU9dTB6gKwG6jQCuXYAiMNdfNRw98Hw_IWuA5MaMo&xdm_e=http%3A%2F%2Fstorm%3A2990&xdm_c=channel-servlet-hello-world&xdm_p=1",
			canonical: "GET&/hello-world&cp=%2Fjira&lic=none&loc=en-US&tz=Australia%2FSydney&user_id=&user_key=&xdm_c=channel-servlet-hello-world&xdm_e=http%3A%2F%2Fstorm%3A2990&xdm_p=1"},
		{name: "valueless parameters", method: "get", url: "/hello-world?a&b=foo&c", canonical: "GET&/hello-world&a=&b=foo&c="},
		{name: "context in path", method: "post", base: "/jira", url: "/jira/rest/api/2/project/jira&a=b&c=d?x=y",
			canonical: "POST&/rest/api/2/project/jira%26a=b%26c=d&x=y"},
		{name: "entire path", method: "get", base: "/jira", url: "/jira/rest/api/2/project/jira?x=y", canonical: "GET&/rest/api/2/project/jira&x=y"},
		{name: "an ampersand in the path", method: "post", url: "/rest/api/2/project&a=b?x=y", canonical: "POST&/rest/api/2/project%26a=b&x=y"},
		{name: "qsh without query string", method: "get", url: "/path",
			qsh: "799be84a7fa35570087163c0cd9af3abff7ac05c2c12ba0bb1d7eebc984b3ac2"},
		{name: "qsh without path or query string", method: "get", url: "",
			qsh: "c88caad15a1c1a900b8ac08aa9686f4e8184539bea1deda36e2f649430df3239"},
		{name: "qsh with empty path", method: "get", url: "/",
			qsh: "c88caad15a1c1a900b8ac08aa9686f4e8184539bea1deda36e2f649430df3239"},
		{name: "qsh with query string", method: "get",
			url: "/hello-world?lic=none&tz=Australia%2FSydney&cp=%2Fjira&user_key=&loc=en-US&user_id=&jwt=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjEzODY5MTEzNTYsImlzcyI6ImppcmE6MTU0ODk1OTUiLCJxc2giOiI4MDYzZmY0Y2ExZTQxZGY3YmM5MGM4YWI2ZDBmNjIwN2Q0OTFjZjZkYWQ3YzY2ZWE3OTdiNDYxNGI3MTkyMmU5IiwiaWF0IjoxMzg2OTExMTc2fQ.rAsxpHv0EvpXkhjnZnSV14EXJgDx3KSQjgYRjfKnFt8&xdm_e=http%3A%2F%2Fstorm%3A2990&xdm_c=channel-servlet-hello-world&xdm_p=1",
			qsh: "8063ff4ca1e41df7bc90c8ab6d0f6207d491cf6dad7c66ea797b4614b71922e9"},
		{name: "qsh of a POST without query", method: "post", url: "/hello-world",
			qsh: "6f95f3738e1b037a3bebbe0ad237d80fdbc1d5ae452e98ce03a9c004c178ebb4"},
		// Not in atlassian-jwt's tests: the base path ends at a segment.
		{name: "base path is a segment prefix", method: "get", base: "/base", url: "/baseline/x", canonical: "GET&/baseline/x&"},
		{name: "trailing slash", method: "get", url: "https://app.example/hooks/", canonical: "GET&/hooks&"},
	} {
		got, err := atlassianCanonical(c.method, c.url, c.base)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if c.canonical != "" && got != c.canonical {
			t.Errorf("%s: canonical = %q; want %q", c.name, got, c.canonical)
		}
		sum := sha256.Sum256([]byte(got))
		if c.qsh != "" && hex.EncodeToString(sum[:]) != c.qsh {
			t.Errorf("%s: qsh of %q = %x; want %s", c.name, got, sum, c.qsh)
		}
	}
}

func TestAtlassianBasePath(t *testing.T) {
	for in, want := range map[string]string{"": "", "https://app.example": "", "https://app.example/": "", "https://app.example/jira/": "/jira", "http://app.example:8080/a/b": "/a/b"} {
		if got, err := atlassianBasePath(in); err != nil || got != want {
			t.Errorf("atlassianBasePath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"app.example/jira", "ftp://app.example", "https://u:p@app.example", "https://app.example/?a=b", "https://app.example/#x"} {
		if _, err := atlassianBasePath(in); err == nil {
			t.Errorf("atlassianBasePath(%q) = nil error", in)
		}
	}
}
