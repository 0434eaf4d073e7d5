// sfsturbo-csi: the local real node's stand-in for the node half of CCE's Everest CSI driver for
// SFS Turbo (sfsturbo.csi.everest.io). A static SFS Turbo PersistentVolume (volumeHandle = the
// share id) is published into pods as a bind mount of <share root>/<share id> on this machine, so
// the stacks' PersistentVolumes stay exactly as on CCE and every pod of the node shares the files.
// It registers with the kubelet through the plugin-registration API. docs/real-node.md.
package main

import (
	"context"
	"flag"
	"log"
	"net"
	"os"
	"path/filepath"
	"regexp"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"golang.org/x/sys/unix"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	registration "k8s.io/kubelet/pkg/apis/pluginregistration/v1"
)

const driver = "sfsturbo.csi.everest.io"

// A share id is a UUID on CCE; anything that could leave the share root is refused.
var shareID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

type node struct {
	csi.UnimplementedIdentityServer
	csi.UnimplementedNodeServer
	root, nodeID string
}

func (n *node) GetPluginInfo(context.Context, *csi.GetPluginInfoRequest) (*csi.GetPluginInfoResponse, error) {
	return &csi.GetPluginInfoResponse{Name: driver, VendorVersion: "ascend-local"}, nil
}

func (n *node) GetPluginCapabilities(context.Context, *csi.GetPluginCapabilitiesRequest) (*csi.GetPluginCapabilitiesResponse, error) {
	return &csi.GetPluginCapabilitiesResponse{}, nil
}

func (n *node) Probe(context.Context, *csi.ProbeRequest) (*csi.ProbeResponse, error) {
	return &csi.ProbeResponse{}, nil
}

func (n *node) NodeGetCapabilities(context.Context, *csi.NodeGetCapabilitiesRequest) (*csi.NodeGetCapabilitiesResponse, error) {
	return &csi.NodeGetCapabilitiesResponse{}, nil
}

func (n *node) NodeGetInfo(context.Context, *csi.NodeGetInfoRequest) (*csi.NodeGetInfoResponse, error) {
	return &csi.NodeGetInfoResponse{NodeId: n.nodeID}, nil
}

func (n *node) NodePublishVolume(_ context.Context, r *csi.NodePublishVolumeRequest) (*csi.NodePublishVolumeResponse, error) {
	if !shareID.MatchString(r.VolumeId) {
		return nil, status.Errorf(codes.InvalidArgument, "volume handle %q is not a share id", r.VolumeId)
	}
	source := filepath.Join(n.root, r.VolumeId)
	if err := os.MkdirAll(source, 0o755); err != nil {
		return nil, status.Errorf(codes.Internal, "share dir: %v", err)
	}
	if err := os.MkdirAll(r.TargetPath, 0o750); err != nil {
		return nil, status.Errorf(codes.Internal, "target: %v", err)
	}
	if mounted(r.TargetPath) {
		return &csi.NodePublishVolumeResponse{}, nil
	}
	if err := unix.Mount(source, r.TargetPath, "", unix.MS_BIND, ""); err != nil {
		return nil, status.Errorf(codes.Internal, "bind %s: %v", source, err)
	}
	if r.Readonly {
		if err := unix.Mount("", r.TargetPath, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
			return nil, status.Errorf(codes.Internal, "read-only remount: %v", err)
		}
	}
	log.Printf("published share %s at %s (mount options %v ignored: a bind mount)", r.VolumeId, r.TargetPath,
		r.GetVolumeCapability().GetMount().GetMountFlags())
	return &csi.NodePublishVolumeResponse{}, nil
}

func (n *node) NodeUnpublishVolume(_ context.Context, r *csi.NodeUnpublishVolumeRequest) (*csi.NodeUnpublishVolumeResponse, error) {
	if mounted(r.TargetPath) {
		if err := unix.Unmount(r.TargetPath, 0); err != nil {
			return nil, status.Errorf(codes.Internal, "unmount: %v", err)
		}
	}
	_ = os.Remove(r.TargetPath)
	log.Printf("unpublished %s", r.TargetPath)
	return &csi.NodeUnpublishVolumeResponse{}, nil
}

// mounted: the path is a mount point (its device differs from its parent's, or it is a bind of a
// directory of the same file system, which /proc/self/mountinfo lists).
func mounted(path string) bool {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return false
	}
	return regexp.MustCompile(`(?m)^\S+ \S+ \S+ \S+ ` + regexp.QuoteMeta(path) + ` `).Match(data)
}

type registrar struct {
	registration.UnimplementedRegistrationServer
	endpoint string
}

func (r *registrar) GetInfo(context.Context, *registration.InfoRequest) (*registration.PluginInfo, error) {
	return &registration.PluginInfo{Type: registration.CSIPlugin, Name: driver, Endpoint: r.endpoint, SupportedVersions: []string{"1.0.0"}}, nil
}

func (r *registrar) NotifyRegistrationStatus(_ context.Context, s *registration.RegistrationStatus) (*registration.RegistrationStatusResponse, error) {
	log.Printf("kubelet registration: registered=%v %s", s.PluginRegistered, s.Error)
	return &registration.RegistrationStatusResponse{}, nil
}

func listen(path string) net.Listener {
	_ = os.Remove(path)
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		log.Fatal(err)
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		log.Fatalf("listen %s: %v", path, err)
	}
	return l
}

func main() {
	kubeletRoot := flag.String("kubelet-root", "", "the kubelet's --root-dir")
	root := flag.String("share-root", "", "directory holding one directory per share id")
	nodeID := flag.String("node-id", "", "this node's name")
	flag.Parse()
	if *kubeletRoot == "" || *root == "" || *nodeID == "" {
		log.Fatal("--kubelet-root, --share-root and --node-id are required")
	}
	endpoint := filepath.Join(*kubeletRoot, "plugins", driver, "csi.sock")
	s := grpc.NewServer()
	n := &node{root: *root, nodeID: *nodeID}
	csi.RegisterIdentityServer(s, n)
	csi.RegisterNodeServer(s, n)
	go func() { log.Fatal(s.Serve(listen(endpoint))) }()
	r := grpc.NewServer()
	registration.RegisterRegistrationServer(r, &registrar{endpoint: endpoint})
	log.Printf("serving %s on %s", driver, endpoint)
	log.Fatal(r.Serve(listen(filepath.Join(*kubeletRoot, "plugins_registry", driver+"-reg.sock"))))
}
