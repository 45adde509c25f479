package failovertest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvRequire makes missing tools a failure instead of a skip (CI sets it).
const EnvRequire = "STILLPAY_REQUIRE_FAILOVER"

// runAs is the user PostgreSQL runs as when the tests run as root: initdb and postgres refuse root.
const runAs = "postgres"

// Bounds of the cluster's life.
const (
	// clusterTimeout bounds bringing up the monitor, the primary and the standby.
	clusterTimeout = 120 * time.Second
	// failoverTimeout bounds waiting for the monitor to report the outcome of a kill.
	failoverTimeout = 60 * time.Second
	// stopTimeout bounds a graceful stop of one node at the end.
	stopTimeout = 15 * time.Second
	// poll is how often the monitor is asked for the nodes' states.
	poll = 250 * time.Millisecond
)

// monitorSettings make the monitor declare a dead node within seconds instead of pg_auto_failover's
// defaults (health checks every 5 s, unhealthy after 20 s, 30 s for a lost primary to demote itself),
// so that the test is bounded; docs/scaling.md gives the gap the defaults make.
var monitorSettings = [][2]string{
	{"pgautofailover.health_check_period", "1000"},
	{"pgautofailover.health_check_timeout", "1000"},
	{"pgautofailover.health_check_max_retries", "1"},
	{"pgautofailover.health_check_retry_delay", "500"},
	{"pgautofailover.node_considered_unhealthy_timeout", "3000"},
	{"pgautofailover.primary_demote_timeout", "3000"},
}

// tools are the programs the cluster needs.
type tools struct {
	autoctl string // pg_autoctl
	bindir  string // PostgreSQL's bin directory (pg_ctl, initdb, postgres, pg_basebackup)
	cred    *syscall.Credential
}

// findTools locates pg_autoctl and PostgreSQL's programs, and the user to run them as when root.
func findTools() (tools, error) {
	var tl tools
	var err error
	if tl.autoctl, err = exec.LookPath("pg_autoctl"); err != nil {
		return tl, errors.New("pg_autoctl is not installed (Debian: apt-get install postgresql-15-auto-failover)")
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if d := os.Getenv("STILLPAY_PG_BINDIR"); d != "" {
		dirs = []string{filepath.Join(d, "pg_ctl")}
	}
	if len(dirs) == 0 {
		return tl, errors.New("PostgreSQL's programs (pg_ctl, initdb) are not installed; set STILLPAY_PG_BINDIR")
	}
	slices.Sort(dirs)
	tl.bindir = filepath.Dir(dirs[len(dirs)-1])
	if os.Geteuid() == 0 {
		u, err := user.Lookup(runAs)
		if err != nil {
			return tl, fmt.Errorf("running as root and there is no %q user to run PostgreSQL as", runAs)
		}
		uid, _ := strconv.ParseUint(u.Uid, 10, 32)
		gid, _ := strconv.ParseUint(u.Gid, 10, 32)
		tl.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	return tl, nil
}

// requireTools skips t under -short, and when the tools are missing (fails instead with
// STILLPAY_REQUIRE_FAILOVER=1).
func requireTools(t *testing.T) tools {
	t.Helper()
	if testing.Short() {
		t.Skip("failover chaos test: skipped under -short")
	}
	tl, err := findTools()
	if err != nil {
		if os.Getenv(EnvRequire) == "1" {
			t.Fatalf("failover chaos test: %v (%s=1)", err, EnvRequire)
		}
		t.Skipf("failover chaos test skipped: %v; .ci/run installs it, %s=1 makes this a failure", err, EnvRequire)
	}
	return tl
}

// pgNode is one pg_autoctl process (monitor or keeper) and the PostgreSQL it runs.
type pgNode struct {
	name   string
	port   int
	pgdata string
	logf   string
	cmd    *exec.Cmd
	exited chan struct{}
}

// cluster is a pg_auto_failover formation on loopback: a monitor and two data nodes.
type cluster struct {
	t       *testing.T
	tl      tools
	dir     string
	env     []string
	monitor *pgNode
	nodes   []*pgNode
}

// startCluster brings up the monitor, a primary and its synchronous standby, and checks that commits
// wait for the standby.
func startCluster(t *testing.T, tl tools) *cluster {
	t.Helper()
	dir, err := os.MkdirTemp("", "stillpay-failover-")
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{t: t, tl: tl, dir: dir}
	t.Cleanup(c.stop)
	if tl.cred != nil {
		if err := os.Chown(dir, int(tl.cred.Uid), int(tl.cred.Gid)); err != nil {
			t.Fatal(err)
		}
	}
	c.env = append(os.Environ(), "PATH="+tl.bindir+":"+os.Getenv("PATH"), "HOME="+dir,
		"XDG_CONFIG_HOME="+filepath.Join(dir, "config"), "XDG_DATA_HOME="+filepath.Join(dir, "share"),
		"XDG_RUNTIME_DIR="+filepath.Join(dir, "run"))
	ctx, cancel := context.WithTimeout(context.Background(), clusterTimeout)
	defer cancel()

	c.monitor = c.start("monitor", "create", "monitor", "--hostname", "127.0.0.1", "--listen", "127.0.0.1",
		"--auth", "trust", "--no-ssl", "--run")
	c.waitFor(ctx, "the monitor", func() (bool, error) {
		_, err := c.states(ctx)
		return err == nil, nil
	})
	for _, kv := range monitorSettings {
		c.exec(ctx, c.monitor.port, "pg_auto_failover", fmt.Sprintf("ALTER SYSTEM SET %s = %s", kv[0], kv[1]))
	}
	c.exec(ctx, c.monitor.port, "pg_auto_failover", "SELECT pg_reload_conf()")

	monitorURL := fmt.Sprintf("postgres://autoctl_node@127.0.0.1:%d/pg_auto_failover?sslmode=disable", c.monitor.port)
	node := func(name string) *pgNode {
		return c.start(name, "create", "postgres", "--hostname", "127.0.0.1", "--listen", "127.0.0.1",
			"--auth", "trust", "--no-ssl", "--monitor", monitorURL, "--dbname", "stillpay", "--name", name, "--run")
	}
	c.nodes = append(c.nodes, node("n1"))
	c.waitState(ctx, "n1", "single", "wait_primary", "primary")
	c.nodes = append(c.nodes, node("n2"))
	c.waitFor(ctx, "n1 primary and n2 its secondary", func() (bool, error) {
		// pg_basebackup, which makes the standby, waits for a spread checkpoint (minutes on an idle
		// server); ask for an immediate one.
		_ = c.try(ctx, c.nodes[0].port, "stillpay", "CHECKPOINT")
		st, err := c.states(ctx)
		return err == nil && st["n1"] == "primary" && st["n2"] == "secondary", nil
	})

	var commit, names, sync string
	c.queryRow(ctx, c.nodes[0].port, "stillpay", "SHOW synchronous_commit", &commit)
	c.queryRow(ctx, c.nodes[0].port, "stillpay", "SHOW synchronous_standby_names", &names)
	c.queryRow(ctx, c.nodes[0].port, "stillpay", "SELECT string_agg(sync_state, ',') FROM pg_stat_replication", &sync)
	if commit != "on" || names == "" || (sync != "sync" && sync != "quorum") {
		t.Fatalf("the primary does not wait for its standby: synchronous_commit=%q synchronous_standby_names=%q sync_state=%q", commit, names, sync)
	}
	t.Logf("pg_auto_failover up: monitor :%d, n1 :%d primary, n2 :%d synchronous standby (%s, %s)",
		c.monitor.port, c.nodes[0].port, c.nodes[1].port, names, sync)
	return c
}

// DSN is the multi-host connection string settlementd gets: both nodes, the primary wanted.
func (c *cluster) DSN() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d,127.0.0.1:%d/stillpay?sslmode=disable&target_session_attrs=read-write&connect_timeout=2",
		c.nodes[0].port, c.nodes[1].port)
}

// start runs pg_autoctl with args for a new node on a free port, in its own process group.
func (c *cluster) start(name string, args ...string) *pgNode {
	c.t.Helper()
	n := &pgNode{name: name, port: freePort(c.t), pgdata: filepath.Join(c.dir, name), logf: filepath.Join(c.dir, name+".log"),
		exited: make(chan struct{})}
	logf, err := os.Create(n.logf)
	if err != nil {
		c.t.Fatal(err)
	}
	defer logf.Close()
	args = append(args, "--pgdata", n.pgdata, "--pgport", strconv.Itoa(n.port))
	n.cmd = exec.Command(c.tl.autoctl, args...)
	n.cmd.Dir, n.cmd.Env, n.cmd.Stdout, n.cmd.Stderr = c.dir, c.env, logf, logf
	n.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: c.tl.cred}
	if err := n.cmd.Start(); err != nil {
		c.t.Fatalf("start pg_autoctl %s: %v", name, err)
	}
	go func() {
		_ = n.cmd.Wait() // the exit status says nothing the log does not
		close(n.exited)
	}()
	return n
}

// kill is kill -9 of the whole node: pg_autoctl, the postmaster and every backend, as if the machine
// died. It returns when pg_autoctl is gone.
func (c *cluster) kill(n *pgNode) {
	pm := postmasterPID(n.pgdata)
	_ = syscall.Kill(-n.cmd.Process.Pid, syscall.SIGKILL) // errors: already gone
	if pm > 0 {
		_ = syscall.Kill(-pm, syscall.SIGKILL) // the postmaster may lead its own group
		_ = syscall.Kill(pm, syscall.SIGKILL)
	}
	<-n.exited
}

// node returns the data node called name.
func (c *cluster) node(name string) *pgNode {
	for _, n := range c.nodes {
		if n.name == name {
			return n
		}
	}
	c.t.Fatalf("no node %s", name)
	return nil
}

// stop stops every node still running (SIGTERM, then SIGKILL), prints the logs if the test failed,
// and removes the directory.
func (c *cluster) stop() {
	all := append(slices.Clone(c.nodes), c.monitor)
	for _, n := range all {
		if n == nil {
			continue
		}
		select {
		case <-n.exited:
		default:
			_ = syscall.Kill(-n.cmd.Process.Pid, syscall.SIGTERM)
			select {
			case <-n.exited:
			case <-time.After(stopTimeout):
			}
		}
		c.kill(n) // whatever is left: pg_autoctl gone, its postgres maybe not
		if c.t.Failed() {
			raw, _ := os.ReadFile(n.logf)
			c.t.Logf("--- %s log, last lines:\n%s", n.name, tail(string(raw), 25))
		}
	}
	_ = os.RemoveAll(c.dir)
}

// postmasterPID reads the postmaster's pid from its pid file; 0 when there is none.
func postmasterPID(pgdata string) int {
	raw, err := os.ReadFile(filepath.Join(pgdata, "postmaster.pid"))
	if err != nil {
		return 0
	}
	first, _, _ := strings.Cut(string(raw), "\n")
	pid, _ := strconv.Atoi(strings.TrimSpace(first))
	return pid
}

// states asks the monitor for every node's reported state.
func (c *cluster) states(ctx context.Context) (map[string]string, error) {
	conn, err := c.connect(ctx, c.monitor.port, "pg_auto_failover")
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows, err := conn.Query(ctx, `SELECT nodename, reportedstate::text FROM pgautofailover.node`)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for rows.Next() {
		var name, state string
		if err := rows.Scan(&name, &state); err != nil {
			return nil, err
		}
		out[name] = state
	}
	return out, rows.Err()
}

// waitState waits until the monitor reports node in one of states.
func (c *cluster) waitState(ctx context.Context, node string, states ...string) {
	c.t.Helper()
	c.waitFor(ctx, node+" in "+strings.Join(states, "/"), func() (bool, error) {
		st, err := c.states(ctx)
		return err == nil && slices.Contains(states, st[node]), nil
	})
}

// waitFor polls ok until it is true; it fails the test when ctx ends first.
func (c *cluster) waitFor(ctx context.Context, what string, ok func() (bool, error)) {
	c.t.Helper()
	for {
		done, err := ok()
		if err != nil {
			c.t.Fatalf("waiting for %s: %v", what, err)
		}
		if done {
			return
		}
		select {
		case <-ctx.Done():
			st, _ := c.states(context.Background())
			c.t.Fatalf("waiting for %s: %v (states %v)", what, ctx.Err(), st)
		case <-time.After(poll):
		}
	}
}

func (c *cluster) connect(ctx context.Context, port int, db string) (*pgx.Conn, error) {
	return pgx.Connect(ctx, fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable&connect_timeout=2", port, db))
}

// try runs one statement; the error is returned.
func (c *cluster) try(ctx context.Context, port int, db, sql string) error {
	conn, err := c.connect(ctx, port, db)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, sql)
	return err
}

// exec runs one statement and fails the test if it fails.
func (c *cluster) exec(ctx context.Context, port int, db, sql string) {
	c.t.Helper()
	if err := c.try(ctx, port, db, sql); err != nil {
		c.t.Fatalf("%s on :%d: %v", sql, port, err)
	}
}

// queryRow scans one value and fails the test if it cannot.
func (c *cluster) queryRow(ctx context.Context, port int, db, sql string, dst any) {
	c.t.Helper()
	conn, err := c.connect(ctx, port, db)
	if err == nil {
		defer conn.Close(context.WithoutCancel(ctx))
		err = conn.QueryRow(ctx, sql).Scan(dst)
	}
	if err != nil {
		c.t.Fatalf("%s on :%d: %v", sql, port, err)
	}
}

// freePort is a TCP port of 127.0.0.1 that was free a moment ago (PostgreSQL needs a number).
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
