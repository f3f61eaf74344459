package spec

import (
	"strings"
	"testing"
)

func TestParseRef(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want Ref
		str  string
	}{
		{"azureml:iris:3", Ref{Kind: RefAsset, Name: "iris", Version: "3"}, "azureml:iris:3"},
		{"lathe:iris:3", Ref{Kind: RefAsset, Name: "iris", Version: "3"}, "azureml:iris:3"},
		{"azureml:iris@latest", Ref{Kind: RefAsset, Name: "iris", Label: "latest"}, "azureml:iris@latest"},
		{"azureml:model@champion", Ref{Kind: RefAsset, Name: "model", Label: "champion"}, "azureml:model@champion"},
		{"azureml:cpu-cluster", Ref{Kind: RefAsset, Name: "cpu-cluster"}, "azureml:cpu-cluster"},
		{"azureml://datastores/workspaceblobstore/paths/example-data/iris.csv",
			Ref{Kind: RefDatastore, Datastore: "workspaceblobstore", Path: "example-data/iris.csv"}, ""},
		{"lathe://datastores/s3data/paths/raw/", Ref{Kind: RefDatastore, Datastore: "s3data", Path: "raw"}, "azureml://datastores/s3data/paths/raw"},
		{"azureml://jobs/brave_hat_1/outputs/model", Ref{Kind: RefJobOutput, Job: "brave_hat_1", Output: "model"}, ""},
		{"azureml://jobs/j1/outputs/artifacts/paths/model/", Ref{Kind: RefJobOutput, Job: "j1", Output: "artifacts", Path: "model"}, "azureml://jobs/j1/outputs/artifacts/paths/model"},
		{"azureml://registries/azureml/environments/sklearn-1.5/labels/latest",
			Ref{Kind: RefRegistry, Registry: "azureml", AssetType: "environments", Name: "sklearn-1.5", Label: "latest"}, ""},
		{"azureml://registries/azureml/models/phi/versions/2", Ref{Kind: RefRegistry, Registry: "azureml", AssetType: "models", Name: "phi", Version: "2"}, ""},
		{"https://example.com/iris.csv", Ref{Kind: RefURL}, ""},
		{"HTTP://example.com/x", Ref{Kind: RefURL}, ""},
		{"./data", Ref{Kind: RefLocal, Path: "./data"}, ""},
		{"../shared/data", Ref{Kind: RefLocal, Path: "../shared/data"}, ""},
		{"/abs/data", Ref{Kind: RefLocal, Path: "/abs/data"}, ""},
		{"file:data/x.csv", Ref{Kind: RefLocal, Path: "data/x.csv"}, ""},
		{"file:///abs/x.csv", Ref{Kind: RefLocal, Path: "/abs/x.csv"}, ""},
		{"C:\\data\\x", Ref{Kind: RefLocal, Path: "C:\\data\\x"}, ""},
		{"name:1", Ref{Kind: RefLocal, Path: "name:1"}, ""},
	} {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseRef(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			tc.want.Raw = tc.in
			if got != tc.want {
				t.Errorf("ParseRef(%q) = %+v, want %+v", tc.in, got, tc.want)
			}
			str := tc.str
			if str == "" {
				str = tc.in
			}
			if got.String() != str {
				t.Errorf("String() = %q, want %q", got.String(), str)
			}
		})
	}
}

func TestParseRefErrors(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":                            "reference is empty",
		"azureml:iris:latest":         "write azureml:iris@latest",
		"azureml:../etc:1":            `asset name "../etc" must start with a letter or digit`,
		"azureml:ir/is:1":             `has '/'`,
		"azureml:iris@":               "label name is empty",
		"azureml:/subscriptions/x/y":  "Azure resource id",
		"azureml://subscriptions/x/y": "Azure resource id",
		"azureml://datastores/ws/paths/../secret":     `has the segment ".."`,
		"azureml://datastores/../paths/x":             `datastore name ".." must start with a letter or digit`,
		"azureml://jobs/j/outputs":                    "must look like azureml://jobs/<job>/outputs/<output>",
		"azureml://jobs/j/outputs/o/paths/a/../../b":  `has the segment ".."`,
		"azureml://jobs/j/outputs/o-x":                `output names are letters, digits and _`,
		"azureml://registries/r/widgets/n/versions/1": `use one of environments, models, components, data`,
		"azureml://registries/r/models/n":             "must look like azureml://registries/",
		"azureml://workspaces/x":                      "is not a form Lathe knows",
		"https://user:pw@example.com/x":               "carries credentials",
		"https:///nohost":                             "is not a valid URL",
		"wasbs://c@a.blob.core.windows.net/x":         "uses the scheme wasbs:",
		"s3://bucket/key":                             "uses the scheme s3:",
		"runs:/abc/model":                             "is an MLflow URI",
		"file://host/x":                               "names a host",
		"a\x00b":                                      "control character",
		strings.Repeat("a", MaxRefLen+1):              "the limit is 4096",
	} {
		t.Run(clip(in, 40), func(t *testing.T) {
			t.Parallel()
			_, err := ParseRef(in)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("ParseRef(%q) = %v, want error containing %q", in, err, want)
			}
		})
	}
}

func TestCheckOutputPath(t *testing.T) {
	t.Parallel()
	for p, ok := range map[string]bool{
		"outputs/model": true, "./model": true, "a/../b": true, "a/b/../../c": true,
		"": false, "..": false, "../x": false, "a/../../x": false, "/tmp": false, `C:\x`: false, `a\..\..\x`: false,
	} {
		if err := CheckOutputPath(p); (err == nil) != ok {
			t.Errorf("CheckOutputPath(%q) = %v, want ok=%v", p, err, ok)
		}
	}
}

func TestParseComputeName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"azureml:cpu-cluster": "cpu-cluster", "lathe:gpu": "gpu", "local": "local"} {
		if got, err := ParseComputeName(in); err != nil || got != want {
			t.Errorf("ParseComputeName(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseComputeName("azureml:../x"); err == nil {
		t.Error("ParseComputeName accepted ../x")
	}
}
