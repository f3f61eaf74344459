package jobs

import (
	"context"
	"testing"
)

// TestEnvironmentDigest checks the digest a pipeline step's cache key takes
// for its environment: host and an unmapped curated name run alike; a
// reference to @latest follows a new version whose contents differ, and
// two versions with the same contents digest alike.
func TestEnvironmentDigest(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1)
	ctx := context.Background()
	digest := func(ref string) string {
		t.Helper()
		d, err := e.svc.EnvironmentDigest(ctx, e.ws.ID, ref, nil)
		if err != nil {
			t.Fatalf("EnvironmentDigest(%q): %v", ref, err)
		}
		return string(d)
	}
	if digest("host") != digest("") || digest("host") != digest("azureml:lathe-builtin@latest") {
		t.Error("host, the default and the built-in components' environment should digest alike")
	}
	if _, err := e.svc.CreateEnvironment(ctx, e.ws.ID, "ada", "sk", EnvironmentRequest{Requirements: "scikit-learn==1.5.0\n"}); err != nil {
		t.Fatal(err)
	}
	v1 := digest("azureml:sk@latest")
	if v1 == digest("host") || v1 != digest("azureml:sk:1") {
		t.Fatalf("sk@latest = %s, sk:1 = %s, host = %s", v1, digest("azureml:sk:1"), digest("host"))
	}
	if _, err := e.svc.CreateEnvironment(ctx, e.ws.ID, "ada", "sk", EnvironmentRequest{Requirements: "scikit-learn==1.5.0\n"}); err != nil {
		t.Fatal(err)
	}
	if digest("azureml:sk@latest") != v1 {
		t.Error("a second version with the same contents changed the digest")
	}
	if _, err := e.svc.CreateEnvironment(ctx, e.ws.ID, "ada", "sk", EnvironmentRequest{Requirements: "scikit-learn==1.6.1\n"}); err != nil {
		t.Fatal(err)
	}
	if digest("azureml:sk@latest") == v1 {
		t.Error("@latest moved to other contents but the digest did not change")
	}
	if _, err := e.svc.EnvironmentDigest(ctx, e.ws.ID, "azureml:nope@latest", nil); err == nil {
		t.Error("an unknown environment has a digest")
	}
}
