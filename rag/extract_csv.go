package rag

import (
	"encoding/csv"
	"errors"
	"io"
	"strings"
)

// csvBlocks turns a CSV table into one paragraph per row that names each
// value's column ("name: Ada; born: 1815"), so a row found on its own
// still says what its values are. The first row is the header.
func csvBlocks(text string) ([]Block, error) {
	r := csv.NewReader(strings.NewReader(text))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, ErrEmpty
	}
	if err != nil {
		return nil, ErrCorrupt
	}
	var out []Block
	for {
		row, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, ErrCorrupt
		}
		var parts []string
		for i, v := range row {
			v = strings.TrimSpace(v)
			if v == "" {
				continue
			}
			if i < len(header) && strings.TrimSpace(header[i]) != "" {
				v = strings.TrimSpace(header[i]) + ": " + v
			}
			parts = append(parts, v)
		}
		if len(parts) > 0 {
			out = append(out, Block{Text: strings.Join(parts, "; ")})
		}
	}
	if len(out) == 0 {
		// A header alone is still text worth finding.
		out = append(out, Block{Text: strings.Join(header, "; ")})
	}
	return out, nil
}
