package config

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDocsConfigKeys parses every YAML block of the docs that configures posagent (one starting
// with a top-level section the agent has): a key the agent does not accept fails here.
func TestDocsConfigKeys(t *testing.T) {
	block := regexp.MustCompile("(?s)```yaml\n(.*?)```")
	section := regexp.MustCompile(`(?m)^(server|identity|queue|scanner|printer|local_api|sale|offline|receipt|forwarder|log):`)
	checked := 0
	for _, doc := range []string{"hardware.md", "technician.md", "terminal.md"} {
		raw, err := os.ReadFile(filepath.Join("..", "..", "docs", doc))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range block.FindAllStringSubmatch(string(raw), -1) {
			text := m[1]
			if !section.MatchString(strings.SplitN(text, "\n", 2)[0]) {
				continue
			}
			checked++
			if _, err := Parse([]byte(text)); errors.Is(err, ErrUnknownKey) || errors.Is(err, ErrSyntax) {
				t.Errorf("docs/%s: a posagent.yaml block the agent refuses: %v\n%s", doc, err, text)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no posagent.yaml block found in the docs; is the pattern broken?")
	}
}
