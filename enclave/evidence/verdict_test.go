package evidence

import "testing"

func TestVerdictState(t *testing.T) {
	tests := []struct {
		name      string
		simulated bool
		statuses  []Status
		want      State
	}{
		{"all pass on hardware", false, []Status{Pass, Pass}, Green},
		{"one skipped", false, []Status{Pass, Skipped, Pass}, Amber},
		{"simulated never green", true, []Status{Pass, Pass}, Amber},
		{"failure wins over skipped", false, []Status{Skipped, Fail, Pass}, Red},
		{"failure on simulated", true, []Status{Pass, Fail}, Red},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Verdict{State: Green, Simulated: tt.simulated}
			for _, s := range tt.statuses {
				v.Add(Check{Name: "x", Status: s})
			}
			if v.State != tt.want {
				t.Errorf("state = %s, want %s", v.State, tt.want)
			}
			_, failed := v.Failed()
			if failed != (tt.want == Red) {
				t.Errorf("Failed() = %v with state %s", failed, v.State)
			}
		})
	}
}

func TestWorst(t *testing.T) {
	tests := []struct {
		in   []State
		want State
	}{
		{[]State{Green, Green}, Green},
		{[]State{Green, Amber}, Amber},
		{[]State{Amber, Red, Green}, Red},
		{[]State{Green, ""}, Amber},
		{nil, Green},
	}
	for _, tt := range tests {
		if got := Worst(tt.in...); got != tt.want {
			t.Errorf("Worst(%v) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
