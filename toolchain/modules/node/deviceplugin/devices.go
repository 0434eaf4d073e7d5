// Package deviceplugin holds the pure logic of the local real node's Ascend device plugin
// stand-in: which cards to prefer, the stand-in device files a container gets, and the pod
// annotation CCE's plugin writes (docs/real-node.md).
package deviceplugin

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
)

// Resource is the extended resource CCE's plugin advertises on Snt9b nodes.
const Resource = "huawei.com/ascend-1980"

// Annotation is the pod annotation in which CCE's plugin reports the allocated cards.
const Annotation = "cce.kubectl.kubernetes.io/ascend-1980-configuration"

// Cards is the number of NPUs of one Snt9b server.
const Cards = 8

// IDs lists the card ids "0".."n-1".
func IDs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = strconv.Itoa(i)
	}
	return out
}

// DeviceIP is the stand-in RoCE address of card id on the node with this index. The addresses
// come from 198.18.0.0/15 (RFC 2544, benchmarking), which the cluster routes as unreachable, so a
// container acting on a rank table can never send a packet off the machine.
func DeviceIP(nodeIndex int, id string) (string, error) {
	n, err := strconv.Atoi(id)
	if err != nil || n < 0 || n >= Cards {
		return "", fmt.Errorf("card id %q is not 0..%d", id, Cards-1)
	}
	k := nodeIndex*Cards + n
	if nodeIndex < 0 || k >= 2*256*250 {
		return "", fmt.Errorf("node index %d is beyond the stand-in address space", nodeIndex)
	}
	return fmt.Sprintf("198.%d.%d.%d", 18+k/(256*250), (k/250)%256, k%250+1), nil
}

// Preferred picks size cards from available: every must-include card, then the lowest free ids,
// keeping to one half of the server (cards 0-3 or 4-7, the two HCCS rings) when a half can
// hold the rest. The result is sorted numerically.
func Preferred(available, mustInclude []string, size int) []string {
	picked := map[string]bool{}
	for _, id := range mustInclude {
		picked[id] = true
	}
	free := []int{}
	for _, id := range available {
		if n, err := strconv.Atoi(id); err == nil && !picked[id] {
			free = append(free, n)
		}
	}
	sort.Ints(free)
	need := size - len(picked)
	if need > 0 {
		chosen := lowest(free, need)
		for _, half := range [][2]int{{0, 3}, {4, 7}} {
			inHalf := []int{}
			for _, n := range free {
				if n >= half[0] && n <= half[1] {
					inHalf = append(inHalf, n)
				}
			}
			if len(inHalf) >= need {
				chosen = inHalf[:need]
				break
			}
		}
		for _, n := range chosen {
			picked[strconv.Itoa(n)] = true
		}
	}
	return sortedIDs(picked)
}

func lowest(free []int, n int) []int {
	if n > len(free) {
		n = len(free)
	}
	return free[:n]
}

func sortedIDs(set map[string]bool) []string {
	nums := []int{}
	for id := range set {
		if n, err := strconv.Atoi(id); err == nil {
			nums = append(nums, n)
		}
	}
	sort.Ints(nums)
	out := make([]string, len(nums))
	for i, n := range nums {
		out[i] = strconv.Itoa(n)
	}
	return out
}

// DeviceFiles are the stand-in device nodes a container with these cards gets, as CCE's plugin
// mounts them: one davinci<N> per card, then the shared management devices.
func DeviceFiles(ids []string) []string {
	out := []string{}
	for _, id := range ids {
		out = append(out, "davinci"+id)
	}
	return append(out, "davinci_manager", "devmm_svm", "hisi_hdc")
}

type device struct {
	DeviceID string `json:"device_id"`
	DeviceIP string `json:"device_ip"`
}

type configuration struct {
	PodName  string   `json:"pod_name"`
	ServerID string   `json:"server_id"`
	Devices  []device `json:"devices"`
}

// AnnotationValue is the JSON CCE's plugin writes on a pod that holds cards ids (in id order).
func AnnotationValue(podName, serverID string, nodeIndex int, ids []string) (string, error) {
	c := configuration{PodName: podName, ServerID: serverID, Devices: []device{}}
	for _, id := range sortedIDs(toSet(ids)) {
		ip, err := DeviceIP(nodeIndex, id)
		if err != nil {
			return "", err
		}
		c.Devices = append(c.Devices, device{DeviceID: id, DeviceIP: ip})
	}
	b, err := json.Marshal(c)
	return string(b), err
}

func toSet(ids []string) map[string]bool {
	s := map[string]bool{}
	for _, id := range ids {
		s[id] = true
	}
	return s
}
