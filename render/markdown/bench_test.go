package markdown

import "testing"

// typicalAnswer is a ~2 KB model answer with prose, a list, inline code, a
// link and a Go code block.
const typicalAnswer = "## Reading a file line by line\n\n" +
	"In Go, the idiomatic way is `bufio.Scanner`. It handles buffering for you and splits on\n" +
	"newlines by default. A few things to keep in mind:\n\n" +
	"- **Long lines**: the default buffer is 64 KiB; call `Buffer` to raise it.\n" +
	"- **Errors**: always check `scanner.Err()` after the loop.\n" +
	"- **Encoding**: the scanner works on bytes, so UTF-8 is fine.\n\n" +
	"```go\npackage main\n\nimport (\n\t\"bufio\"\n\t\"fmt\"\n\t\"log\"\n\t\"os\"\n)\n\n" +
	"func main() {\n\tf, err := os.Open(\"input.txt\")\n\tif err != nil {\n\t\tlog.Fatal(err)\n\t}\n" +
	"\tdefer f.Close()\n\n\tscanner := bufio.NewScanner(f)\n\tscanner.Buffer(make([]byte, 0, 1024*1024), 1024*1024)\n" +
	"\tfor n := 1; scanner.Scan(); n++ {\n\t\tfmt.Printf(\"%4d  %s\\n\", n, scanner.Text())\n\t}\n" +
	"\tif err := scanner.Err(); err != nil {\n\t\tlog.Fatal(err)\n\t}\n}\n```\n\n" +
	"If you need the lines in memory, append `scanner.Text()` to a slice instead of printing it.\n" +
	"For very large files, consider processing each line as it arrives so memory stays flat.\n\n" +
	"> Note: `Scanner` stops at the first line longer than its buffer and reports\n" +
	"> `bufio.ErrTooLong`, so the check after the loop matters.\n\n" +
	"| Approach | Memory | Notes |\n|---|---|---|\n" +
	"| `bufio.Scanner` | constant | simplest |\n| `bufio.Reader.ReadString` | constant | keeps the newline |\n" +
	"| `os.ReadFile` + `strings.Split` | whole file | fine for small files |\n\n" +
	"See the [bufio documentation](https://pkg.go.dev/bufio#Scanner) for details.\n"

func BenchmarkRender(b *testing.B) {
	r := New(quietOptions())
	b.SetBytes(int64(len(typicalAnswer)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Render(typicalAnswer); err != nil {
			b.Fatal(err)
		}
	}
}
