package stack

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestAlertmanagerStartStop starts Debian's Alertmanager, pushes an alert through its v2
// API, reads it back, and checks that Stop leaves nothing listening.
func TestAlertmanagerStartStop(t *testing.T) {
	ctx := context.Background()
	start := time.Now()
	am, err := StartAlertmanager(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("alertmanager ready in %s on port %d", time.Since(start).Round(time.Millisecond), am.Port)
	body := `[{"labels":{"alertname":"StackTest","group":"g1"},"annotations":{"summary":"hello"}}]`
	resp, err := http.Post(am.URL()+"/api/v2/alerts", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /api/v2/alerts: %s\n%s", resp.Status, am.LogTail(20))
	}
	resp, err = http.Get(am.URL() + "/api/v2/alerts?filter=alertname%3D%22StackTest%22")
	if err != nil {
		t.Fatal(err)
	}
	var alerts []struct {
		Labels map[string]string `json:"labels"`
	}
	err = json.NewDecoder(resp.Body).Decode(&alerts)
	resp.Body.Close()
	if err != nil || len(alerts) != 1 || alerts[0].Labels["group"] != "g1" {
		t.Fatalf("alerts read back: %+v, %v", alerts, err)
	}
	if err := am.Stop(); err != nil {
		t.Fatal(err)
	}
	if c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(am.Port))); err == nil {
		c.Close()
		t.Fatalf("port %d still accepts connections after Stop", am.Port)
	}
}
