package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

func TestFindRunPolicyPackWalksUp(t *testing.T) {
	root := t.TempDir()
	runner := filepath.Join(root, "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack")
	if err := os.MkdirAll(runner, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(runner, "index.js"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	pack := filepath.Join(root, "policy")
	if err := os.MkdirAll(pack, 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := findRunPolicyPack(pack)
	if err != nil || got != runner {
		t.Fatalf("findRunPolicyPack = %q, %v; want %q", got, err, runner)
	}
	req := &pulumirpc.RunPluginRequest{
		Args: []string{"127.0.0.1:1234"}, Env: []string{"A=1"}, Kind: "analyzer",
		Info: &pulumirpc.ProgramInfo{ProgramDirectory: pack},
	}
	cmd, err := policyPackCommand("/usr/bin/node", req)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/usr/bin/node", runner, "127.0.0.1:1234", pack}
	if strings.Join(cmd.Args, " ") != strings.Join(want, " ") || cmd.Dir != pack || cmd.Env[0] != "A=1" {
		t.Fatalf("command = %v in %s env %v; want %v in %s", cmd.Args, cmd.Dir, cmd.Env, want, pack)
	}
}

func TestFindRunPolicyPackNamesTheFix(t *testing.T) {
	_, err := findRunPolicyPack(t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "npm install") {
		t.Fatalf("want an error that says to run npm install, got %v", err)
	}
}
