package caldav

import (
	"slices"
	"strings"
	"testing"
)

func TestDiscovery(t *testing.T) {
	srv := startServer(t)
	work, home := loadCorpus(t, srv)
	homeEvent := strings.ReplaceAll(mustRead(t, "allday.ics"), "allday-1@test", "home-1@test")
	srv.Put(t, "alice", home, "h.ics", homeEvent)

	tests := []struct {
		name, url string
		want      []string // calendars of the stored events
	}{
		{"server root", srv.URL, []string{"Home", "Work"}},
		{"principal", srv.URL + "alice/", []string{"Home", "Work"}},
		{"calendar", home, []string{"Home"}},
		{"calendar without slash", strings.TrimSuffix(work, "/"), []string{"Work"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder()
			var d countingDialer
			syncOnce(t, newSource(t, tt.url, "secret", d.dial, Options{}), rec)
			seen := map[string]bool{}
			for _, evs := range rec.stored {
				for _, e := range evs {
					seen[e.Calendar] = true
				}
			}
			got := slices.Sorted(func(yield func(string) bool) {
				for c := range seen {
					if !yield(c) {
						return
					}
				}
			})
			if !slices.Equal(got, tt.want) {
				t.Errorf("calendars synced = %v, want %v", got, tt.want)
			}
		})
	}
}
