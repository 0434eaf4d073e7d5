// pulumi-language-nodejs-policy is the Node.js language host the local toolchain puts next to
// `pulumi`: a thin gRPC front for the pinned pulumi-language-nodejs (toolchain/versions.env) that
// adds the one call the pinned host lacks, LanguageRuntime.RunPlugin for analyzers.
//
// Why: the pinned Pulumi CLI runs a Node.js policy pack (`pulumi preview --policy-pack <dir>`,
// PulumiPolicy.yaml `runtime: nodejs`) through the nodejs language host's RunPlugin whenever that
// host is installed, and only falls back to the old `pulumi-analyzer-policy` script when it is
// not. The pinned host (sdk/v3 v3.68.0, the newest release the Go module proxy serves) answers
// RunPlugin with "not supported", so without this front no policy pack can run locally.
//
// Every other call (Run, GetRequiredPlugins, InstallDependencies, ...) is forwarded unchanged, as
// raw bytes, to the real host, which this program starts as its child with the same arguments.
// RunPlugin for kind "analyzer" starts `node @pulumi/pulumi/cmd/run-policy-pack <engine> <pack>`
// from the policy pack's own node_modules (found by walking up from the pack's directory, as
// Node.js resolves modules), in the pack's directory, and streams its output back, as current
// Pulumi language hosts do.
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// realHost names the wrapped language host binary, next to this one (set at build time).
var realHost = "pulumi-language-nodejs-real"

// Pulumi's own limit for plugin messages (sdk/go/common/util/rpcutil).
const maxMessage = 400 * 1024 * 1024

const runPluginMethod = "/pulumirpc.LanguageRuntime/RunPlugin"

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs-policy: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	child := exec.Command(filepath.Join(filepath.Dir(self), realHost), os.Args[1:]...)
	child.Stderr = os.Stderr
	out, err := child.StdoutPipe()
	if err != nil {
		return err
	}
	if err := child.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", realHost, err)
	}
	defer func() { _ = child.Process.Kill() }()
	// The first line a plugin prints is its port; the rest of its output is passed on.
	lines := bufio.NewReader(out)
	port, err := lines.ReadString('\n')
	if err != nil {
		return fmt.Errorf("%s printed no port: %w", realHost, err)
	}
	go func() { _, _ = io.Copy(os.Stdout, lines) }()

	conn, err := grpc.NewClient("127.0.0.1:"+strings.TrimSpace(port),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMessage), grpc.MaxCallSendMsgSize(maxMessage)))
	if err != nil {
		return err
	}
	defer conn.Close()

	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := grpc.NewServer(
		grpc.ForceServerCodec(rawCodec{}),
		grpc.MaxRecvMsgSize(maxMessage), grpc.MaxSendMsgSize(maxMessage),
		grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
			method, _ := grpc.MethodFromServerStream(stream)
			if method == runPluginMethod {
				return runPlugin(stream)
			}
			return forward(conn, method, stream)
		}))
	fmt.Printf("%d\n", lis.Addr().(*net.TCPAddr).Port)

	// Stop when the real host exits or the engine interrupts us.
	go func() { _ = child.Wait(); srv.Stop() }()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() { <-sig; srv.Stop() }()
	return srv.Serve(lis)
}

// rawCodec passes messages through as bytes: the front needs no knowledge of the forwarded calls.
type rawCodec struct{}

type frame struct{ data []byte }

func (rawCodec) Marshal(v any) ([]byte, error) { return v.(*frame).data, nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	v.(*frame).data = append([]byte(nil), data...)
	return nil
}
func (rawCodec) Name() string { return "proto" }

// forward relays one call (unary or streaming) to the real host and its answer back.
func forward(conn *grpc.ClientConn, method string, in grpc.ServerStream) error {
	ctx, cancel := context.WithCancel(in.Context())
	defer cancel()
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		ctx = metadata.NewOutgoingContext(ctx, md.Copy())
	}
	out, err := conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}, method,
		grpc.ForceCodec(rawCodec{}))
	if err != nil {
		return err
	}
	go func() {
		for {
			f := &frame{}
			if err := in.RecvMsg(f); err != nil {
				_ = out.CloseSend()
				return
			}
			if err := out.SendMsg(f); err != nil {
				return
			}
		}
	}()
	first := true
	for {
		f := &frame{}
		err := out.RecvMsg(f)
		if first {
			first = false
			if md, herr := out.Header(); herr == nil {
				_ = in.SendHeader(md)
			}
		}
		if errors.Is(err, io.EOF) {
			in.SetTrailer(out.Trailer())
			return nil
		}
		if err != nil {
			in.SetTrailer(out.Trailer())
			return err
		}
		if err := in.SendMsg(f); err != nil {
			return err
		}
	}
}

// runPlugin serves RunPlugin: analyzers (Node.js policy packs) run here; other plugin kinds are
// refused as the pinned host refuses them.
func runPlugin(stream grpc.ServerStream) error {
	in := &frame{}
	if err := stream.RecvMsg(in); err != nil {
		return err
	}
	req := &pulumirpc.RunPluginRequest{}
	if err := proto.Unmarshal(in.data, req); err != nil {
		return err
	}
	if req.GetKind() != "analyzer" {
		return status.Errorf(codes.Unimplemented,
			"the pinned Node.js language host runs only policy packs as plugins (asked for a %q plugin)", req.GetKind())
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return fmt.Errorf("could not find node on the $PATH: %w", err)
	}
	cmd, err := policyPackCommand(node, req)
	if err != nil {
		return err
	}
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	send := &sender{stream: stream}
	cmd.Stdout = send.writer(func(b []byte) *pulumirpc.RunPluginResponse {
		return &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: b}}
	})
	cmd.Stderr = send.writer(func(b []byte) *pulumirpc.RunPluginResponse {
		return &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: b}}
	})
	code := int32(0)
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			return fmt.Errorf("running the policy pack: %w", err)
		}
		code = int32(exit.ExitCode())
	}
	return send.send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: code}})
}

// policyPackCommand builds `node <run-policy-pack> <args...> <pack dir>`, run in the pack's
// directory with the environment the engine asked for; the pack's @pulumi/pulumi provides the
// runner (so it matches the pack's @pulumi/policy).
func policyPackCommand(node string, req *pulumirpc.RunPluginRequest) (*exec.Cmd, error) {
	dir := req.GetInfo().GetProgramDirectory()
	if dir == "" {
		dir = req.GetPwd()
	}
	runner, err := findRunPolicyPack(dir)
	if err != nil {
		return nil, err
	}
	args := append([]string{runner}, req.GetArgs()...)
	args = append(args, dir)
	cmd := exec.CommandContext(context.Background(), node, args...)
	cmd.Dir = dir
	if env := req.GetEnv(); len(env) > 0 {
		cmd.Env = env
	}
	return cmd, nil
}

// findRunPolicyPack looks for @pulumi/pulumi/cmd/run-policy-pack in node_modules folders from dir
// up to the root, the way Node.js resolves the pack's own require("@pulumi/pulumi").
func findRunPolicyPack(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := abs; ; d = filepath.Dir(d) {
		p := filepath.Join(d, "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack")
		if _, err := os.Stat(filepath.Join(p, "index.js")); err == nil {
			return p, nil
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	return "", fmt.Errorf("it looks like the policy pack's dependencies are not installed "+
		"(no node_modules/@pulumi/pulumi/cmd/run-policy-pack at or above %s); run npm install there", abs)
}

// sender serialises the messages of one RunPlugin stream (stdout and stderr are copied
// concurrently; a gRPC stream takes one sender at a time).
type sender struct {
	mu     sync.Mutex
	stream grpc.ServerStream
}

func (s *sender) send(m *pulumirpc.RunPluginResponse) error {
	b, err := proto.Marshal(m)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stream.SendMsg(&frame{data: b})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

func (s *sender) writer(wrap func([]byte) *pulumirpc.RunPluginResponse) io.Writer {
	return writerFunc(func(b []byte) (int, error) {
		if err := s.send(wrap(append([]byte(nil), b...))); err != nil {
			return 0, err
		}
		return len(b), nil
	})
}
