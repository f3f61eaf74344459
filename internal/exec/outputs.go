package exec

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/data/upload"
)

// uploadOutputs uploads each output folder's files (only the contents the
// workspace lacks) and registers them as a data version with lineage to
// the job. An empty output is noted and not registered.
func (w *wrapper) uploadOutputs(ctx context.Context) error {
	outs := w.plan.Job.Spec.Outputs
	names := make([]string, 0, len(outs))
	for k := range outs {
		names = append(names, k)
	}
	sort.Strings(names)
	root, err := filepath.EvalSymlinks(w.o.Dir)
	if err != nil {
		return infraFail("resolve the job's directory: %w", err)
	}
	for _, name := range names {
		o := outs[name]
		dir := filepath.Join(w.o.Dir, filepath.FromSlash(o.OutputDir(name)))
		start := time.Now()
		files, err := scanOutput(dir, root)
		if err != nil {
			return fmt.Errorf("output %s: %w", name, err)
		}
		if len(files) == 0 {
			w.system("output %s is empty; nothing is registered for it", name)
			continue
		}
		if o.Type == lathe.DataURIFile && len(files) != 1 {
			return userFail("output %s is a uri_file, but the command wrote %d files to its folder; write one file, or make the output a uri_folder", name, len(files))
		}
		m, st, err := upload.Run(ctx, files, w.o.Client.Blobs(w.o.Workspace), upload.Options{})
		if err != nil {
			return fmt.Errorf("upload output %s: %w", name, err)
		}
		var v *lathe.DataVersion
		err = w.retry(ctx, "register output "+name, func() error {
			var err error
			v, err = w.o.Client.RegisterJobOutput(ctx, w.o.Workspace, w.o.Job, name, m)
			return err
		})
		if err != nil {
			return fmt.Errorf("register output %s: %w", name, err)
		}
		w.system("output %s: %d files (%s, %s sent) registered as %s:%s in %s", name, st.Files, lathe.FormatBytes(st.Bytes), lathe.FormatBytes(st.SentBytes),
			v.Name, v.Version, time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// scanOutput lists an output folder's files. A symbolic link that leads
// out of the job's directory is refused: a job uploads what it wrote, not
// the machine's files.
func scanOutput(dir, jobRoot string) ([]upload.File, error) {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, infraFail("read %s: %w", dir, err)
	}
	if len(entries) == 0 {
		return nil, nil
	}
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&os.ModeSymlink == 0 {
			return nil
		}
		real, err := filepath.EvalSymlinks(p)
		if err != nil {
			return userFail("%s is a broken symbolic link; remove it or write a file", p)
		}
		if rel, err := filepath.Rel(jobRoot, real); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return userFail("%s is a symbolic link to %s, outside the job's directory; outputs hold files the job wrote (copy the file in instead)", p, real)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	files, err := upload.Scan(dir, lathe.DataURIFolder)
	if err != nil {
		if strings.Contains(lathe.ErrorMessage(err), "has no files") {
			return nil, nil
		}
		return nil, userFail("%s", lathe.ErrorMessage(err))
	}
	return files, nil
}
