// ascend-device-plugin: the local real node's stand-in for CCE's Ascend device plugin. It serves
// the kubelet device-plugin API for huawei.com/ascend-1980 (8 cards, stand-in device files), and
// feeds the kubelet's real allocations (pod-resources API) into the pod annotation CCE's plugin
// writes, which the rank-table code reads. docs/real-node.md.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	pluginapi "k8s.io/kubelet/pkg/apis/deviceplugin/v1beta1"
	podresources "k8s.io/kubelet/pkg/apis/podresources/v1"

	dp "ascendstack.local/toolchain/node/deviceplugin"
)

type options struct {
	pluginDir, podResources, devDir, kubeconfig, nodeIP string
	nodeIndex                                           int
}

func main() {
	var o options
	flag.StringVar(&o.pluginDir, "plugin-dir", pluginapi.DevicePluginPath, "the kubelet's device-plugin directory (fixed in the kubelet)")
	flag.StringVar(&o.podResources, "pod-resources", "", "the kubelet's pod-resources socket (<kubelet root>/pod-resources/kubelet.sock)")
	flag.StringVar(&o.devDir, "dev-dir", "", "directory of the stand-in device files (regular files davinci0..7, davinci_manager, devmm_svm, hisi_hdc)")
	flag.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig to patch pods with")
	flag.StringVar(&o.nodeIP, "node-ip", "", "the node's address (server_id in the annotation)")
	flag.IntVar(&o.nodeIndex, "node-index", 0, "node number for the stand-in device addresses")
	flag.Parse()
	if o.podResources == "" || o.devDir == "" || o.kubeconfig == "" || o.nodeIP == "" {
		log.Fatal("--pod-resources, --dev-dir, --kubeconfig and --node-ip are required")
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", o.kubeconfig)
	if err != nil {
		log.Fatalf("kubeconfig: %v", err)
	}
	client := kubernetes.NewForConfigOrDie(cfg)
	go annotate(o, client)
	serve(o)
}

// ---- device-plugin API --------------------------------------------------------------------

type plugin struct {
	pluginapi.UnimplementedDevicePluginServer
	devDir string
}

func (p *plugin) GetDevicePluginOptions(context.Context, *pluginapi.Empty) (*pluginapi.DevicePluginOptions, error) {
	return &pluginapi.DevicePluginOptions{GetPreferredAllocationAvailable: true}, nil
}

func (p *plugin) ListAndWatch(_ *pluginapi.Empty, s pluginapi.DevicePlugin_ListAndWatchServer) error {
	devs := []*pluginapi.Device{}
	for _, id := range dp.IDs(dp.Cards) {
		devs = append(devs, &pluginapi.Device{ID: id, Health: pluginapi.Healthy})
	}
	if err := s.Send(&pluginapi.ListAndWatchResponse{Devices: devs}); err != nil {
		return err
	}
	<-s.Context().Done() // the cards never change health
	return nil
}

func (p *plugin) GetPreferredAllocation(_ context.Context, r *pluginapi.PreferredAllocationRequest) (*pluginapi.PreferredAllocationResponse, error) {
	out := &pluginapi.PreferredAllocationResponse{}
	for _, c := range r.ContainerRequests {
		ids := dp.Preferred(c.AvailableDeviceIDs, c.MustIncludeDeviceIDs, int(c.AllocationSize))
		out.ContainerResponses = append(out.ContainerResponses, &pluginapi.ContainerPreferredAllocationResponse{DeviceIDs: ids})
	}
	return out, nil
}

func (p *plugin) Allocate(_ context.Context, r *pluginapi.AllocateRequest) (*pluginapi.AllocateResponse, error) {
	out := &pluginapi.AllocateResponse{}
	for _, c := range r.ContainerRequests {
		resp := &pluginapi.ContainerAllocateResponse{Envs: map[string]string{"ASCEND_VISIBLE_DEVICES": strings.Join(c.DevicesIds, ",")}}
		// Regular files bind-mounted where CCE's plugin puts the device nodes: a lock taken on
		// /dev/davinciN in one container is then seen in every container holding the same card.
		for _, f := range dp.DeviceFiles(c.DevicesIds) {
			resp.Mounts = append(resp.Mounts, &pluginapi.Mount{HostPath: filepath.Join(p.devDir, f), ContainerPath: "/dev/" + f})
		}
		log.Printf("allocate %v", c.DevicesIds)
		out.ContainerResponses = append(out.ContainerResponses, resp)
	}
	return out, nil
}

func (p *plugin) PreStartContainer(context.Context, *pluginapi.PreStartContainerRequest) (*pluginapi.PreStartContainerResponse, error) {
	return &pluginapi.PreStartContainerResponse{}, nil
}

const socketName = "ascend-1980.sock"

// serve runs the plugin's server and registers it; whenever the kubelet restarts (it recreates
// its socket and removes the plugins'), it starts over.
func serve(o options) {
	for {
		sock := filepath.Join(o.pluginDir, socketName)
		_ = os.Remove(sock)
		l, err := net.Listen("unix", sock)
		if err != nil {
			log.Fatalf("listen %s: %v", sock, err)
		}
		s := grpc.NewServer()
		pluginapi.RegisterDevicePluginServer(s, &plugin{devDir: o.devDir})
		go func() { _ = s.Serve(l) }()
		kubeletSock := filepath.Join(o.pluginDir, "kubelet.sock")
		for register(kubeletSock) != nil {
			time.Sleep(time.Second)
		}
		kubelet := inode(kubeletSock)
		log.Printf("registered %s with the kubelet (%s)", dp.Resource, sock)
		for inode(sock) != 0 && inode(kubeletSock) == kubelet {
			time.Sleep(time.Second)
		}
		log.Printf("the kubelet restarted: registering again")
		s.Stop()
	}
}

func register(kubeletSock string) error {
	conn, err := grpc.NewClient("unix://"+kubeletSock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = pluginapi.NewRegistrationClient(conn).Register(ctx, &pluginapi.RegisterRequest{
		Version: pluginapi.Version, Endpoint: socketName, ResourceName: dp.Resource,
		Options: &pluginapi.DevicePluginOptions{GetPreferredAllocationAvailable: true},
	})
	if err != nil {
		log.Printf("register: %v", err)
	}
	return err
}

func inode(path string) uint64 {
	var st syscall.Stat_t
	if syscall.Stat(path, &st) != nil {
		return 0
	}
	return st.Ino
}

// ---- annotation from the kubelet's allocations ------------------------------------------------

// annotate polls the pod-resources API and writes each pod's cards into its annotation. A pod is
// checked again every few seconds: a pod re-created under the same name (a Volcano job's) needs
// the annotation anew.
func annotate(o options, client *kubernetes.Clientset) {
	done := map[string]string{} // namespace/name -> annotation written
	for tick := 1; ; tick++ {
		time.Sleep(300 * time.Millisecond)
		if tick%20 == 0 {
			done = map[string]string{}
		}
		held, err := allocations(o.podResources)
		if err != nil {
			continue // the kubelet is (re)starting
		}
		for key, ids := range held {
			ns, name, _ := strings.Cut(key, "/")
			value, err := dp.AnnotationValue(name, o.nodeIP, o.nodeIndex, ids)
			if err != nil {
				log.Printf("%s: %v", key, err)
				continue
			}
			if done[key] == value {
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			pod, err := client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
			cancel()
			if err == nil && pod.Annotations[dp.Annotation] == value {
				done[key] = value
				continue
			}
			patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{dp.Annotation: value}}})
			ctx, cancel = context.WithTimeout(context.Background(), 5*time.Second)
			_, err = client.CoreV1().Pods(ns).Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{})
			cancel()
			if err != nil {
				log.Printf("annotate %s: %v", key, err)
				continue
			}
			log.Printf("annotated %s: cards %v", key, ids)
			done[key] = value
		}
		for key := range done {
			if _, ok := held[key]; !ok {
				delete(done, key)
			}
		}
	}
}

// allocations: namespace/name -> the cards the kubelet gave the pod's containers.
func allocations(sock string) (map[string][]string, error) {
	conn, err := grpc.NewClient("unix://"+sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := podresources.NewPodResourcesListerClient(conn).List(ctx, &podresources.ListPodResourcesRequest{})
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, pod := range resp.PodResources {
		ids := []string{}
		for _, c := range pod.Containers {
			for _, d := range c.Devices {
				if d.ResourceName == dp.Resource {
					ids = append(ids, d.DeviceIds...)
				}
			}
		}
		if len(ids) > 0 {
			out[fmt.Sprintf("%s/%s", pod.Namespace, pod.Name)] = ids
		}
	}
	return out, nil
}
