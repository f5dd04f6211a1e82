package archtest

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// pkgImports is what one package directory imports in its non-test files.
type pkgImports struct {
	name    string // package clause
	imports map[string]bool
}

// moduleRoot walks up from this test's directory to the go.mod of the module.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// scan reads the imports of every package in the module (not of nested modules).
func scan(t *testing.T, root string) map[string]pkgImports {
	t.Helper()
	pkgs := map[string]pkgImports{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			base := d.Name()
			if path != root && (strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_") || base == "testdata" || base == "node_modules") {
				return filepath.SkipDir
			}
			if path != root {
				if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
					return filepath.SkipDir // a nested module (interop/) has its own rules
				}
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly|parser.PackageClauseOnly|parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		rel = filepath.ToSlash(rel)
		p, ok := pkgs[rel]
		if !ok {
			p = pkgImports{name: f.Name.Name, imports: map[string]bool{}}
		}
		for _, imp := range f.Imports {
			ip, _ := strconv.Unquote(imp.Path.Value)
			p.imports[ip] = true
		}
		pkgs[rel] = p
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}

// ruleFor returns the rule of a package; cmd/* mains may import anything.
func ruleFor(rel string) (rule, bool) {
	if rel == "cmd" || strings.HasPrefix(rel, "cmd/") {
		return rule{mayImport: []string{"*"}, thirdParty: true, why: "mains wire everything together"}, true
	}
	r, ok := rules[rel]
	return r, ok
}

func isStdlib(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

// violations checks every package against the rules and returns one line per problem.
func violations(pkgs map[string]pkgImports) []string {
	var out []string
	for rel, p := range pkgs {
		if rel == "." {
			out = append(out, "the module root holds Go files; code belongs in a package named for what it owns")
			continue
		}
		if forbiddenNames[p.name] || forbiddenNames[filepath.Base(rel)] {
			out = append(out, rel+": package name "+strconv.Quote(p.name)+" says nothing about what it owns (rule: no util/common/helpers/base packages)")
		}
		r, ok := ruleFor(rel)
		if !ok {
			out = append(out, rel+": package has no rule in internal/archtest/rules.go (add one that says what it may import)")
			continue
		}
		allowed := map[string]bool{}
		for _, a := range r.mayImport {
			allowed[a] = true
		}
		for ip := range p.imports {
			switch {
			case ip == modulePath || strings.HasPrefix(ip, modulePath+"/"):
				target := strings.TrimPrefix(strings.TrimPrefix(ip, modulePath), "/")
				if !allowed["*"] && !allowed[target] {
					out = append(out, rel+" imports "+target+": not allowed ("+r.why+")")
				}
			case isStdlib(ip):
			default:
				if !r.thirdParty {
					out = append(out, rel+" imports third-party "+ip+": not allowed ("+r.why+")")
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

func TestImportRules(t *testing.T) {
	pkgs := scan(t, moduleRoot(t))
	if len(pkgs) < 5 {
		t.Fatalf("found only %d packages; the scan is broken", len(pkgs))
	}
	for _, v := range violations(pkgs) {
		t.Error(v)
	}
}

// TestRulesCatchViolations proves the checker can fail: each synthetic
// package below breaks one rule and must be reported.
func TestRulesCatchViolations(t *testing.T) {
	cases := []struct {
		rel, name, imp, want string
	}{
		{"store", "store", modulePath + "/broker", "store imports broker"},
		{"remoting", "remoting", modulePath + "/protocol", "remoting imports protocol"},
		{"client", "client", modulePath + "/store", "client imports store"},
		{"protocol", "protocol", "github.com/some/lib", "third-party"},
		{"newpkg", "newpkg", "fmt", "has no rule"},
		{"internal/util", "util", "fmt", "says nothing about what it owns"},
	}
	for _, c := range cases {
		pkgs := map[string]pkgImports{c.rel: {name: c.name, imports: map[string]bool{c.imp: true}}}
		v := violations(pkgs)
		if len(v) == 0 || !strings.Contains(strings.Join(v, "\n"), c.want) {
			t.Errorf("%s importing %s: got %q, want a violation containing %q", c.rel, c.imp, v, c.want)
		}
	}
}
