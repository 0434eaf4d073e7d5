package configmap1980

import (
	"encoding/json"
	"testing"
)

func member(order, index int, server string, ids ...string) Member {
	a := DeviceAnnotation{PodName: server, ServerID: server}
	for _, id := range ids {
		a.Devices = append(a.Devices, Device{DeviceID: id, DeviceIP: "192.0.2." + id})
	}
	return Member{TaskOrder: order, TaskIndex: index, Annotation: a}
}

func TestBuildOrdersByTaskThenIndexAndNumbersRanks(t *testing.T) {
	table, err := Build([]Member{member(1, 1, "10.0.0.3", "1", "0"), member(0, 0, "10.0.0.1", "0", "1"), member(1, 0, "10.0.0.2", "0", "1")})
	if err != nil {
		t.Fatal(err)
	}
	if table.Status != "completed" || table.Version != "1.0" || table.ServerCount != "3" {
		t.Fatalf("header: %+v", table)
	}
	want := []string{"10.0.0.1", "10.0.0.2", "10.0.0.3"}
	for i, s := range table.ServerList {
		if s.ServerID != want[i] {
			t.Fatalf("server %d is %s, want %s", i, s.ServerID, want[i])
		}
		for j, d := range s.Device {
			if d.RankID != itoa(i*2+j) || d.DeviceID != itoa(j) {
				t.Fatalf("server %d device %d: %+v", i, j, d)
			}
		}
	}
}

func TestBuildRejectsAnnotationWithoutServer(t *testing.T) {
	if _, err := Build([]Member{member(0, 0, "", "0")}); err == nil {
		t.Fatal("expected an error for a missing server_id")
	}
}

func TestRenderIsTheFileHCCLReads(t *testing.T) {
	table, _ := Build([]Member{member(0, 0, "10.0.0.1", "0")})
	text, err := Render(table)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal([]byte(text), &back); err != nil {
		t.Fatal(err)
	}
	list := back["server_list"].([]any)
	dev := list[0].(map[string]any)["device"].([]any)[0].(map[string]any)
	if back["status"] != "completed" || dev["rank_id"] != "0" || dev["device_ip"] != "192.0.2.0" {
		t.Fatalf("rendered: %s", text)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }
