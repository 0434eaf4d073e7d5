package deviceplugin

import (
	"reflect"
	"testing"
)

func TestPreferredKeepsToOneHalf(t *testing.T) {
	// 0,1 taken: two cards fit in 2,3 (first half).
	if got := Preferred([]string{"2", "3", "4", "5", "6", "7"}, nil, 2); !reflect.DeepEqual(got, []string{"2", "3"}) {
		t.Fatalf("got %v", got)
	}
	// 0,1 taken: four cards do not fit in the first half, so the second.
	if got := Preferred([]string{"2", "3", "4", "5", "6", "7"}, nil, 4); !reflect.DeepEqual(got, []string{"4", "5", "6", "7"}) {
		t.Fatalf("got %v", got)
	}
	// Neither half holds five: the lowest free ids.
	if got := Preferred([]string{"1", "2", "3", "5", "6", "7"}, nil, 5); !reflect.DeepEqual(got, []string{"1", "2", "3", "5", "6"}) {
		t.Fatalf("got %v", got)
	}
}

func TestPreferredKeepsMustInclude(t *testing.T) {
	got := Preferred([]string{"0", "1", "2", "3", "10"}, []string{"10"}, 3)
	if !reflect.DeepEqual(got, []string{"0", "1", "10"}) {
		t.Fatalf("got %v", got)
	}
}

func TestDeviceIPStaysInTheBenchmarkRange(t *testing.T) {
	cases := map[[2]int]string{{0, 0}: "198.18.0.1", {0, 7}: "198.18.0.8", {100, 0}: "198.18.3.51", {8000, 0}: "198.19.0.1"}
	for in, want := range cases {
		got, err := DeviceIP(in[0], IDs(8)[in[1]])
		if err != nil || got != want {
			t.Fatalf("DeviceIP%v = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := DeviceIP(0, "8"); err == nil {
		t.Fatal("card 8 accepted")
	}
	if _, err := DeviceIP(16000, "0"); err == nil {
		t.Fatal("address space overflow accepted")
	}
}

func TestAnnotationValueIsCCEShaped(t *testing.T) {
	got, err := AnnotationValue("p-0", "10.245.0.1", 0, []string{"3", "2"})
	want := `{"pod_name":"p-0","server_id":"10.245.0.1","devices":[{"device_id":"2","device_ip":"198.18.0.3"},{"device_id":"3","device_ip":"198.18.0.4"}]}`
	if err != nil || got != want {
		t.Fatalf("got %s, %v", got, err)
	}
}

func TestDeviceFiles(t *testing.T) {
	want := []string{"davinci0", "davinci5", "davinci_manager", "devmm_svm", "hisi_hdc"}
	if got := DeviceFiles([]string{"0", "5"}); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v", got)
	}
}
