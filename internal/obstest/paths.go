package obstest

import (
	"os"
	"path/filepath"
	"runtime"
)

// RepoRoot is the repository root, found from this source file's location (the tests run with
// the package directory as working directory, and internal/testenv may not be needed).
func RepoRoot() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		wd, _ := os.Getwd()
		return filepath.Join(wd, "..", "..")
	}
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Path joins elements onto the repository root.
func Path(elem ...string) string { return filepath.Join(append([]string{RepoRoot()}, elem...)...) }
