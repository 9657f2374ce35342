// A stand-in for the pulumi-command provider plugin (resources
// command:remote:Command and command:local:Command), for the end-to-end suite
// only. The Go module proxy this project builds its toolchain from does not
// serve github.com/pulumi/pulumi-command at any version, so the real plugin
// cannot be compiled here; this one implements the documented behaviour the
// program relies on, and nothing else:
//
//   - create runs `create` (nothing when unset); a change of any input runs
//     `update`, or `create` again when `update` is unset; a change of
//     `triggers` replaces the resource; delete runs `delete` (nothing when
//     unset); unchanged inputs run nothing;
//   - `stdin` is fed to the command; `stdout`/`stderr` are outputs;
//     `logging` selects what is echoed to the engine (none: nothing);
//   - remote commands go over SSH with `connection` (host, port, user,
//     privateKey, hostKey pin, dialErrorLimit, perDialTimeout).
//
// It is not the real provider and is not used outside test/e2e.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// Version is reported to the engine; it matches the @pulumi/command pin.
var Version = "1.2.1"

const (
	remoteCommand = "command:remote:Command"
	localCommand  = "command:local:Command"
)

type commandProvider struct {
	pulumirpc.UnimplementedResourceProviderServer
	host *provider.HostClient
}

func main() {
	err := provider.Main("command", func(host *provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		return &commandProvider{host: host}, nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

var (
	plain   = plugin.MarshalOptions{KeepUnknowns: true, SkipNulls: true}
	secrets = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, SkipNulls: true}
)

func (p *commandProvider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: Version}, nil
}

func (p *commandProvider) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (p *commandProvider) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

func (p *commandProvider) Configure(context.Context, *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: true}, nil
}

func (p *commandProvider) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func checkType(urn string) error {
	t := string(resource.URN(urn).Type())
	if t != remoteCommand && t != localCommand {
		return fmt.Errorf("the e2e command provider stand-in implements only %s and %s, not %s", remoteCommand, localCommand, t)
	}
	return nil
}

func (p *commandProvider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	if err := checkType(req.GetUrn()); err != nil {
		return nil, err
	}
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

// outputKeys are what the provider adds to the inputs; they never cause a diff.
var outputKeys = map[resource.PropertyKey]bool{"stdout": true, "stderr": true}

func (p *commandProvider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	oldStruct := req.GetOldInputs()
	if oldStruct == nil {
		oldStruct = req.GetOlds()
	}
	olds, err := plugin.UnmarshalProperties(oldStruct, plain)
	if err != nil {
		return nil, err
	}
	news, err := plugin.UnmarshalProperties(req.GetNews(), plain)
	if err != nil {
		return nil, err
	}
	keys := map[resource.PropertyKey]bool{}
	for k := range olds {
		keys[k] = true
	}
	for k := range news {
		keys[k] = true
	}
	var diffs, replaces []string
	detailed := map[string]*pulumirpc.PropertyDiff{}
	for k := range keys {
		if outputKeys[k] {
			continue
		}
		o, hasOld := olds[k]
		n, hasNew := news[k]
		if hasOld && hasNew && o.DeepEquals(n) && !n.ContainsUnknowns() {
			continue
		}
		if !hasOld && hasNew && n.IsNull() || hasOld && !hasNew && o.IsNull() {
			continue
		}
		kind := pulumirpc.PropertyDiff_UPDATE
		if !hasOld {
			kind = pulumirpc.PropertyDiff_ADD
		} else if !hasNew {
			kind = pulumirpc.PropertyDiff_DELETE
		}
		if k == "triggers" {
			replaces = append(replaces, string(k))
			kind += 1 // the *_REPLACE variant follows each kind
		}
		diffs = append(diffs, string(k))
		detailed[string(k)] = &pulumirpc.PropertyDiff{Kind: kind, InputDiff: true}
	}
	sort.Strings(diffs)
	changes := pulumirpc.DiffResponse_DIFF_NONE
	if len(diffs) > 0 {
		changes = pulumirpc.DiffResponse_DIFF_SOME
	}
	return &pulumirpc.DiffResponse{
		Changes:         changes,
		Diffs:           diffs,
		Replaces:        replaces,
		DetailedDiff:    detailed,
		HasDetailedDiff: true,
	}, nil
}

func newID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (p *commandProvider) Create(ctx context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	if err := checkType(req.GetUrn()); err != nil {
		return nil, err
	}
	state, err := p.run(ctx, req.GetUrn(), req.GetProperties(), "create", "", req.GetPreview())
	if err != nil {
		return nil, err
	}
	id := newID()
	if req.GetPreview() {
		id = ""
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: state}, nil
}

func (p *commandProvider) Update(ctx context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	state, err := p.run(ctx, req.GetUrn(), req.GetNews(), "update", "create", req.GetPreview())
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: state}, nil
}

func (p *commandProvider) Delete(ctx context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	_, err := p.run(ctx, req.GetUrn(), req.GetProperties(), "delete", "", false)
	return &emptypb.Empty{}, err
}

func (p *commandProvider) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
}

// run executes the command in property `which` (or `fallback` when that is
// unset) and returns the inputs plus stdout/stderr as the new state.
func (p *commandProvider) run(ctx context.Context, urn string, props *structpb.Struct, which, fallback string, preview bool) (*structpb.Struct, error) {
	state, err := plugin.UnmarshalProperties(props, secrets)
	if err != nil {
		return nil, err
	}
	in, err := plugin.UnmarshalProperties(props, plain)
	if err != nil {
		return nil, err
	}
	cmd := str(in, which)
	if cmd == "" && fallback != "" {
		cmd = str(in, fallback)
	}
	if preview {
		if cmd != "" || which == "create" {
			state["stdout"] = resource.MakeComputed(resource.NewProperty(""))
			state["stderr"] = resource.MakeComputed(resource.NewProperty(""))
		}
		return plugin.MarshalProperties(state, secrets)
	}
	stdout, stderr := str(in, "stdout"), str(in, "stderr")
	if cmd != "" {
		typ := string(resource.URN(urn).Type())
		if typ == remoteCommand {
			stdout, stderr, err = runRemote(ctx, in, cmd)
		} else {
			stdout, stderr, err = runLocal(ctx, in, cmd)
		}
		p.echo(ctx, urn, in, stdout, stderr)
		if err != nil {
			return nil, err
		}
	}
	state["stdout"] = resource.NewProperty(stdout)
	state["stderr"] = resource.NewProperty(stderr)
	return plugin.MarshalProperties(state, secrets)
}

// echo sends the command's output to the engine, as `logging` asks.
func (p *commandProvider) echo(ctx context.Context, urn string, in resource.PropertyMap, stdout, stderr string) {
	mode := str(in, "logging")
	if mode == "" {
		mode = "stdoutAndStderr"
	}
	var parts []string
	if (mode == "stdout" || mode == "stdoutAndStderr") && stdout != "" {
		parts = append(parts, stdout)
	}
	if (mode == "stderr" || mode == "stdoutAndStderr") && stderr != "" {
		parts = append(parts, stderr)
	}
	if len(parts) > 0 {
		_ = p.host.Log(ctx, diag.Info, resource.URN(urn), strings.Join(parts, "\n"))
	}
}

func str(m resource.PropertyMap, key string) string {
	v, ok := m[resource.PropertyKey(key)]
	if !ok || !v.IsString() {
		return ""
	}
	return v.StringValue()
}

func num(m resource.PropertyMap, key string, def int) int {
	v, ok := m[resource.PropertyKey(key)]
	if !ok || !v.IsNumber() {
		return def
	}
	return int(v.NumberValue())
}

func trimNewline(s string) string { return strings.TrimSuffix(s, "\n") }

func exitError(err error, stdout, stderr string) error {
	msg := err.Error()
	var exit *ssh.ExitError
	var lexit *exec.ExitError
	if errors.As(err, &exit) {
		msg = fmt.Sprintf("Process exited with status %d", exit.ExitStatus())
	} else if errors.As(err, &lexit) {
		msg = fmt.Sprintf("Process exited with status %d", lexit.ExitCode())
	}
	if out := strings.TrimSpace(stderr); out != "" {
		msg += "\nstderr:\n" + out
	}
	if out := strings.TrimSpace(stdout); out != "" {
		msg += "\nstdout:\n" + out
	}
	return errors.New(msg)
}

func runRemote(ctx context.Context, in resource.PropertyMap, cmd string) (string, string, error) {
	connV, ok := in["connection"]
	if !ok || !connV.IsObject() {
		return "", "", errors.New("connection is required")
	}
	conn := connV.ObjectValue()
	host := str(conn, "host")
	port := num(conn, "port", 22)
	user := str(conn, "user")
	if user == "" {
		user = "root"
	}
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	cfg := &ssh.ClientConfig{
		User:            user,
		Timeout:         time.Duration(num(conn, "perDialTimeout", 15)) * time.Second,
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), //nolint:gosec // only when no hostKey is pinned, as the real provider
	}
	if key := str(conn, "privateKey"); key != "" {
		signer, err := ssh.ParsePrivateKey([]byte(key))
		if err != nil {
			return "", "", fmt.Errorf("parsing the private key for %s: %w", addr, err)
		}
		cfg.Auth = append(cfg.Auth, ssh.PublicKeys(signer))
	}
	if pw := str(conn, "password"); pw != "" {
		cfg.Auth = append(cfg.Auth, ssh.Password(pw))
	}
	if pin := str(conn, "hostKey"); pin != "" {
		pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(pin))
		if err != nil {
			return "", "", fmt.Errorf("parsing hostKey for %s: %w", addr, err)
		}
		cfg.HostKeyCallback = ssh.FixedHostKey(pub)
	}
	limit := num(conn, "dialErrorLimit", 10)
	var client *ssh.Client
	for attempt := 1; ; attempt++ {
		c, err := ssh.Dial("tcp", addr, cfg)
		if err == nil {
			client = c
			break
		}
		if limit >= 0 && attempt >= limit {
			return "", "", fmt.Errorf("failed to dial %s@%s after %d attempts: %w", user, addr, attempt, err)
		}
		delay := time.Duration(attempt) * 500 * time.Millisecond
		if delay > 5*time.Second {
			delay = 5 * time.Second
		}
		select {
		case <-ctx.Done():
			return "", "", ctx.Err()
		case <-time.After(delay):
		}
	}
	defer client.Close()
	session, err := client.NewSession()
	if err != nil {
		return "", "", fmt.Errorf("opening a session on %s: %w", addr, err)
	}
	defer session.Close()
	if env, ok := in["environment"]; ok && env.IsObject() {
		for k, v := range env.ObjectValue() {
			if v.IsString() {
				_ = session.Setenv(string(k), v.StringValue())
			}
		}
	}
	var stdout, stderr bytes.Buffer
	session.Stdout = &stdout
	session.Stderr = &stderr
	if stdin := str(in, "stdin"); stdin != "" {
		session.Stdin = strings.NewReader(stdin)
	}
	if err := session.Run(cmd); err != nil {
		return trimNewline(stdout.String()), trimNewline(stderr.String()), exitError(err, stdout.String(), stderr.String())
	}
	return trimNewline(stdout.String()), trimNewline(stderr.String()), nil
}

func runLocal(ctx context.Context, in resource.PropertyMap, cmd string) (string, string, error) {
	c := exec.CommandContext(ctx, "/bin/sh", "-c", cmd)
	c.Dir = str(in, "dir")
	c.Env = os.Environ()
	if env, ok := in["environment"]; ok && env.IsObject() {
		for k, v := range env.ObjectValue() {
			if v.IsString() {
				c.Env = append(c.Env, string(k)+"="+v.StringValue())
			}
		}
	}
	var stdout, stderr bytes.Buffer
	c.Stdout = &stdout
	c.Stderr = &stderr
	if stdin := str(in, "stdin"); stdin != "" {
		c.Stdin = strings.NewReader(stdin)
	}
	if err := c.Run(); err != nil {
		return trimNewline(stdout.String()), trimNewline(stderr.String()), exitError(err, stdout.String(), stderr.String())
	}
	return trimNewline(stdout.String()), trimNewline(stderr.String()), nil
}
