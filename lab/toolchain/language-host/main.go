// Command pulumi-language-nodejs is a small Node.js language host for running this
// project's Pulumi program and policy pack with a locally built engine, on machines
// where the official host cannot be fetched (see docs/ENGINE.md). It implements the
// parts of the LanguageRuntime protocol that `pulumi preview`, `up` and policy packs
// use: it starts `node @pulumi/pulumi/cmd/run` (or `cmd/run-policy-pack`) with the
// arguments and environment the SDK reads, and reports which provider plugins the
// installed @pulumi packages need.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// Set by the build (-X main.version=...): the @pulumi/pulumi version it serves.
var version = "0.0.0"

// The SDK exits with this code after it has already shown the user an actionable error.
const exitAfterUserActionableMessage = 32

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	engineAddress string
}

func main() {
	// The engine passes flags (e.g. -tracing, -root) before its own address; keep the last
	// non-flag argument and ignore the flags this host has no use for.
	h := &host{}
	for _, arg := range os.Args[1:] {
		if !strings.HasPrefix(arg, "-") {
			h.engineAddress = arg
		}
	}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, h)
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: %v\n", err)
		os.Exit(1)
	}
	// The engine reads the port from the first line of stdout.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: %v\n", err)
		os.Exit(1)
	}
}

func (h *host) Handshake(_ context.Context, req *pulumirpc.LanguageHandshakeRequest) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.engineAddress = req.GetEngineAddress()
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

// options are the runtime options of Pulumi.yaml / PulumiPolicy.yaml that this host honours.
type options struct {
	typescript bool
	nodeargs   []string
}

func readOptions(info *pulumirpc.ProgramInfo) options {
	opts := options{typescript: true}
	if info == nil || info.GetOptions() == nil {
		return opts
	}
	m := info.GetOptions().AsMap()
	if v, ok := m["typescript"].(bool); ok {
		opts.typescript = v
	}
	if v, ok := m["nodeargs"].(string); ok {
		opts.nodeargs = strings.Fields(v)
	}
	return opts
}

// sdkPath finds @pulumi/pulumi/<rel> in the node_modules of dir or one of its parents.
func sdkPath(dir, rel string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		p := filepath.Join(d, "node_modules", "@pulumi", "pulumi", rel)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("@pulumi/pulumi/%s not found above %s: run npm ci", rel, dir)
		}
	}
}

type pulumiPackage struct {
	Name    string
	Version string
	Server  string
}

// requiredPackages lists the resource plugins declared by installed packages
// (the "pulumi" field of their package.json).
func requiredPackages(programDir string) ([]pulumiPackage, error) {
	var out []pulumiPackage
	seen := map[string]bool{}
	for d := programDir; ; d = filepath.Dir(d) {
		nm := filepath.Join(d, "node_modules")
		if entries, err := os.ReadDir(nm); err == nil {
			var dirs []string
			for _, e := range entries {
				if strings.HasPrefix(e.Name(), "@") {
					scoped, _ := os.ReadDir(filepath.Join(nm, e.Name()))
					for _, s := range scoped {
						dirs = append(dirs, filepath.Join(nm, e.Name(), s.Name()))
					}
				} else {
					dirs = append(dirs, filepath.Join(nm, e.Name()))
				}
			}
			for _, dir := range dirs {
				raw, err := os.ReadFile(filepath.Join(dir, "package.json"))
				if err != nil {
					continue
				}
				var pkg struct {
					Pulumi *struct {
						Resource bool   `json:"resource"`
						Name     string `json:"name"`
						Version  string `json:"version"`
						Server   string `json:"server"`
					} `json:"pulumi"`
				}
				if json.Unmarshal(raw, &pkg) != nil || pkg.Pulumi == nil || !pkg.Pulumi.Resource || seen[pkg.Pulumi.Name] {
					continue
				}
				seen[pkg.Pulumi.Name] = true
				v := pkg.Pulumi.Version
				if v != "" && !strings.HasPrefix(v, "v") {
					v = "v" + v
				}
				out = append(out, pulumiPackage{Name: pkg.Pulumi.Name, Version: v, Server: pkg.Pulumi.Server})
			}
			return out, nil
		}
		if filepath.Dir(d) == d {
			return nil, fmt.Errorf("no node_modules above %s: run npm ci", programDir)
		}
	}
}

func (h *host) GetRequiredPackages(_ context.Context, req *pulumirpc.GetRequiredPackagesRequest) (*pulumirpc.GetRequiredPackagesResponse, error) {
	pkgs, err := requiredPackages(req.GetInfo().GetProgramDirectory())
	if err != nil {
		return nil, err
	}
	resp := &pulumirpc.GetRequiredPackagesResponse{}
	for _, p := range pkgs {
		resp.Packages = append(resp.Packages, &pulumirpc.PackageDependency{Kind: "resource", Name: p.Name, Version: p.Version, Server: p.Server})
	}
	return resp, nil
}

func (h *host) GetRequiredPlugins(_ context.Context, req *pulumirpc.GetRequiredPluginsRequest) (*pulumirpc.GetRequiredPluginsResponse, error) {
	pkgs, err := requiredPackages(req.GetInfo().GetProgramDirectory())
	if err != nil {
		return nil, err
	}
	resp := &pulumirpc.GetRequiredPluginsResponse{}
	for _, p := range pkgs {
		resp.Plugins = append(resp.Plugins, &pulumirpc.PluginDependency{Kind: "resource", Name: p.Name, Version: p.Version, Server: p.Server})
	}
	return resp, nil
}

func (h *host) GetProgramDependencies(context.Context, *pulumirpc.GetProgramDependenciesRequest) (*pulumirpc.GetProgramDependenciesResponse, error) {
	return &pulumirpc.GetProgramDependenciesResponse{}, nil
}

func (h *host) About(context.Context, *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	node, _ := exec.LookPath("node")
	out, _ := exec.Command("node", "--version").Output()
	return &pulumirpc.AboutResponse{Executable: node, Version: strings.TrimSpace(string(out))}, nil
}

// InstallDependencies is a no-op: the project's scripts run `npm ci` themselves.
func (h *host) InstallDependencies(*pulumirpc.InstallDependenciesRequest, pulumirpc.LanguageRuntime_InstallDependenciesServer) error {
	return nil
}

// runtimeConfig renames "ns:key" to "ns:config:key", the form every SDK version reads.
func runtimeConfig(cfg map[string]string) (string, error) {
	out := make(map[string]string, len(cfg))
	for k, v := range cfg {
		if ns, name, ok := strings.Cut(k, ":"); ok && !strings.HasPrefix(name, "config:") {
			k = ns + ":config:" + name
		}
		out[k] = v
	}
	b, err := json.Marshal(out)
	return string(b), err
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	if info == nil {
		return nil, errors.New("missing program info")
	}
	runPath, err := sdkPath(info.GetProgramDirectory(), filepath.Join("cmd", "run"))
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	opts := readOptions(info)
	args := append([]string{}, opts.nodeargs...)
	args = append(args, runPath)
	flag := func(k, v string) {
		if v != "" {
			args = append(args, "--"+k, v)
		}
	}
	flag("monitor", req.GetMonitorAddress())
	flag("engine", h.engineAddress)
	flag("organization", req.GetOrganization())
	flag("project", req.GetProject())
	flag("root-directory", info.GetRootDirectory())
	flag("stack", req.GetStack())
	flag("pwd", info.GetProgramDirectory())
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	flag("parallel", strconv.Itoa(int(req.GetParallel())))
	args = append(args, info.GetEntryPoint())
	args = append(args, req.GetArgs()...)

	cfg, err := runtimeConfig(req.GetConfig())
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	secretKeys, _ := json.Marshal(append([]string{}, req.GetConfigSecretKeys()...))
	env := append(os.Environ(), "PULUMI_CONFIG="+cfg, "PULUMI_CONFIG_SECRET_KEYS="+string(secretKeys))
	if opts.typescript {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}

	cmd := exec.CommandContext(ctx, "node", args...)
	cmd.Dir = info.GetProgramDirectory()
	cmd.Env = env
	// Not os.Stdout itself: node may switch the descriptor's blocking mode.
	cmd.Stdout = struct{ io.Writer }{os.Stdout}
	cmd.Stderr = struct{ io.Writer }{os.Stderr}
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			if exit.ExitCode() == exitAfterUserActionableMessage {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exit.ExitCode())}, nil
		}
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not run node: %v", err)}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

// streamWriter forwards a plugin's output to the engine.
type streamWriter struct {
	server pulumirpc.LanguageRuntime_RunPluginServer
	stderr bool
}

func (w streamWriter) Write(p []byte) (int, error) {
	data := append([]byte{}, p...)
	var resp *pulumirpc.RunPluginResponse
	if w.stderr {
		resp = &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: data}}
	} else {
		resp = &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: data}}
	}
	return len(p), w.server.Send(resp)
}

// RunPlugin starts a plugin written in Node.js; this project has one, its policy pack.
func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer) error {
	info := req.GetInfo()
	if info == nil {
		return errors.New("missing program info")
	}
	var entry string
	switch req.GetKind() {
	case "analyzer":
		entry = filepath.Join("cmd", "run-policy-pack")
	default:
		entry = filepath.Join("cmd", "run-plugin")
	}
	runPath, err := sdkPath(info.GetProgramDirectory(), entry)
	if err != nil {
		return err
	}
	opts := readOptions(info)
	args := append([]string{}, opts.nodeargs...)
	args = append(args, runPath)
	args = append(args, req.GetArgs()...)
	args = append(args, info.GetEntryPoint())

	cmd := exec.CommandContext(server.Context(), "node", args...)
	cmd.Dir = info.GetProgramDirectory()
	cmd.Env = append(os.Environ(), req.GetEnv()...)
	cmd.Stdout = streamWriter{server: server}
	cmd.Stderr = streamWriter{server: server, stderr: true}
	code := int32(0)
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			return err
		}
		code = int32(exit.ExitCode())
	}
	return server.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: code}})
}
