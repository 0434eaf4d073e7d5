// Package configmap1980 is a stand-in for CCE's Volcano job plugin of the same name, which is not
// part of upstream Volcano. A Job that lists it (spec.plugins: {configmap1980:
// ["--rank-table-version=v2"]}) gets its ConfigMap configmap1980-<job> rewritten with the HCCL rank
// table once every pod of the job is bound and carries the device plugin's annotation.
package configmap1980

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
)

// Device is one NPU as the device plugin's pod annotation describes it.
type Device struct {
	DeviceID string `json:"device_id"`
	DeviceIP string `json:"device_ip"`
}

// DeviceAnnotation is the value of cce.kubectl.kubernetes.io/<profile>-configuration on a pod.
type DeviceAnnotation struct {
	PodName  string   `json:"pod_name"`
	ServerID string   `json:"server_id"`
	Devices  []Device `json:"devices"`
}

// Member is one pod of the job, in the order that decides its ranks.
type Member struct {
	// TaskOrder is the position of the pod's task in spec.tasks; TaskIndex its index in the task.
	TaskOrder, TaskIndex int
	Annotation           DeviceAnnotation
}

// RankDevice is one rank of the table.
type RankDevice struct {
	DeviceID string `json:"device_id"`
	DeviceIP string `json:"device_ip"`
	RankID   string `json:"rank_id"`
}

// Server is one node of the table.
type Server struct {
	ServerID string       `json:"server_id"`
	Device   []RankDevice `json:"device"`
}

// RankTable is the layout of HCCL's rank table file version 1.0 (status, version, server_count,
// server_list), which is what --rank-table-version=v2 selects.
type RankTable struct {
	Status      string   `json:"status"`
	Version     string   `json:"version"`
	ServerCount string   `json:"server_count"`
	ServerList  []Server `json:"server_list"`
}

// Build orders the members by task then index (the job's NODE_RANK order) and numbers their devices
// from rank 0 upward, devices of a pod by device id.
func Build(members []Member) (RankTable, error) {
	sorted := append([]Member(nil), members...)
	sort.SliceStable(sorted, func(a, b int) bool {
		if sorted[a].TaskOrder != sorted[b].TaskOrder {
			return sorted[a].TaskOrder < sorted[b].TaskOrder
		}
		return sorted[a].TaskIndex < sorted[b].TaskIndex
	})
	table := RankTable{Status: "completed", Version: "1.0", ServerCount: strconv.Itoa(len(sorted)), ServerList: []Server{}}
	rank := 0
	for _, m := range sorted {
		if m.Annotation.ServerID == "" {
			return RankTable{}, fmt.Errorf("pod %s: device annotation has no server_id", m.Annotation.PodName)
		}
		devices := append([]Device(nil), m.Annotation.Devices...)
		sort.SliceStable(devices, func(a, b int) bool { return numeric(devices[a].DeviceID) < numeric(devices[b].DeviceID) })
		server := Server{ServerID: m.Annotation.ServerID, Device: []RankDevice{}}
		for _, d := range devices {
			server.Device = append(server.Device, RankDevice{DeviceID: d.DeviceID, DeviceIP: d.DeviceIP, RankID: strconv.Itoa(rank)})
			rank++
		}
		table.ServerList = append(table.ServerList, server)
	}
	return table, nil
}

// Render is the ConfigMap value: indented JSON, as the file HCCL reads.
func Render(t RankTable) (string, error) {
	b, err := json.MarshalIndent(t, "", "    ")
	if err != nil {
		return "", err
	}
	return string(b) + "\n", nil
}

func numeric(id string) int {
	n, err := strconv.Atoi(id)
	if err != nil {
		return 1 << 30
	}
	return n
}
