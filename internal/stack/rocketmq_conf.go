package stack

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// The broker refuses writes once the disk holding its store is diskWarningPercent full (the
// 5.x key and the 4.x system property are both set from it) and deletes old files above
// diskForcePercent. StartRocketMQ wants minDiskFree and headroom below maxStartDiskUsed.
const (
	diskWarningPercent = 98
	diskForcePercent   = 97
	maxStartDiskUsed   = 95
	minDiskFree        = 1 << 30
)

// rocketmqLogPath is where the logback files in scripts/rocketmq/conf put a role's log.
func rocketmqLogPath(dir, role string) string {
	return filepath.Join(dir, role, "logs", "rocketmqlogs", role+".log")
}

// writeFiles picks the ports and writes ROCKETMQ_HOME, namesrv.conf and broker.conf.
func (r *RocketMQ) writeFiles(major int, confDir string, opts RocketMQOptions) error {
	var err error
	if opts.JoinNamesrv == "" {
		if r.namesrvPort, err = FreePortSpan(0, 0); err != nil {
			return err
		}
	}
	withProxy := major >= 5 && !opts.NoProxy
	// The broker also opens listenPort-2 and listenPort+1; listenPort=0 does not work. The
	// proxy's gRPC and remoting servers take the next two.
	above := 1
	if withProxy {
		above = 3
	}
	if r.brokerPort, err = FreePortSpan(2, above); err != nil {
		return err
	}
	r.NamesrvAddr = cmp.Or(opts.JoinNamesrv, net.JoinHostPort("127.0.0.1", strconv.Itoa(r.namesrvPort)))
	r.BrokerAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(r.brokerPort))
	if withProxy {
		r.proxyPorts = []int{r.brokerPort + 2, r.brokerPort + 3}
		r.ProxyAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(r.proxyPorts[0]))
	}

	files := map[string]string{}
	for _, role := range []string{"namesrv", "broker"} {
		name := "logback_" + role + ".xml"
		b, err := os.ReadFile(filepath.Join(confDir, name))
		if err != nil {
			return fmt.Errorf("rocketmq: %w", err)
		}
		files[filepath.Join(r.home(), "conf", name)] = string(b)
	}
	for rel, content := range opts.HomeFiles {
		if !filepath.IsLocal(rel) {
			return fmt.Errorf("rocketmq: home file %q is not a relative path inside ROCKETMQ_HOME", rel)
		}
		files[filepath.Join(r.home(), rel)] = content
	}

	ns := map[string]string{
		"listenPort":      strconv.Itoa(r.namesrvPort),
		"kvConfigPath":    filepath.Join(r.Dir, "namesrv", "namesrv", "kvConfig.json"),
		"configStorePath": filepath.Join(r.Dir, "namesrv", "namesrv", "namesrv.properties"),
	}
	store := filepath.Join(r.Dir, "broker", "store")
	br := map[string]string{
		"brokerClusterName":           r.ClusterName,
		"brokerName":                  r.BrokerName,
		"brokerId":                    "0",
		"brokerRole":                  "ASYNC_MASTER",
		"flushDiskType":               "ASYNC_FLUSH",
		"namesrvAddr":                 r.NamesrvAddr,
		"brokerIP1":                   "127.0.0.1",
		"brokerIP2":                   "127.0.0.1", // the HA address it advertises
		"listenPort":                  strconv.Itoa(r.brokerPort),
		"storePathRootDir":            store,
		"storePathCommitLog":          filepath.Join(store, "commitlog"),
		"mappedFileSizeCommitLog":     strconv.Itoa(64 << 20), // default 1 GiB
		"mappedFileSizeConsumeQueue":  strconv.Itoa(30000 * 20),
		"autoCreateTopicEnable":       "true",
		"autoCreateSubscriptionGroup": "true",
		"deleteWhen":                  "04",
		"fileReservedTime":            "24",
		"diskMaxUsedSpaceRatio":       "95",
	}
	if major >= 5 {
		// 4.x has neither key: it binds every interface, and reads the disk ratios from
		// system properties (brokerArgs).
		ns["bindAddress"] = "127.0.0.1"
		br["bindAddress"] = "127.0.0.1"
		br["diskSpaceWarningLevelRatio"] = strconv.Itoa(diskWarningPercent)
		br["diskSpaceCleanForciblyRatio"] = strconv.Itoa(diskForcePercent)
		// No timer wheel: saves its preallocated timer log; delayed messages fall back to
		// the delay levels. Pop (the proxy's simple consumers) needs it: there it runs, with
		// a small timer log.
		br["timerWheelEnable"] = "false"
		if withProxy {
			br["timerWheelEnable"] = "true"
			br["mappedFileSizeTimerLog"] = strconv.Itoa(16 << 20) // default 100 MiB
		}
	}
	maps.Copy(ns, opts.ExtraNamesrvConf)
	maps.Copy(br, opts.ExtraBrokerConf)
	files[filepath.Join(r.Dir, "namesrv.conf")] = properties(ns)
	files[filepath.Join(r.Dir, "broker.conf")] = properties(br)
	if withProxy {
		conf, err := proxyConf(r)
		if err != nil {
			return err
		}
		files[filepath.Join(r.Dir, "rmq-proxy.json")] = conf
	}

	for path, content := range files {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("rocketmq: %w", err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			return fmt.Errorf("rocketmq: %w", err)
		}
	}
	return nil
}

// properties renders a Java properties file. Values here are paths, names and numbers, so
// only the characters properties files treat specially are escaped.
func properties(m map[string]string) string {
	esc := strings.NewReplacer(`\`, `\\`, "\n", `\n`, "\r", `\r`)
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(m)) {
		fmt.Fprintf(&b, "%s=%s\n", k, esc.Replace(m[k]))
	}
	return b.String()
}

// jvmArgs are the flags both JVMs share after the role's memory flags: serial GC, only the
// quick JIT tier (about 25 MiB less RSS per JVM and less CPU at start, plenty for test and
// demo traffic), no perf-data file in /tmp, and each its own user.home under dir.
func jvmArgs(major int, dir, role string, mem ...string) []string {
	args := append(mem, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData",
		"-XX:+ExitOnOutOfMemoryError", "-Duser.home="+filepath.Join(dir, role))
	if major >= 5 {
		// 4.x loads $ROCKETMQ_HOME/conf/logback_<role>.xml by itself; 5.x would otherwise use
		// the first rmq.*.logback.xml on the classpath (the broker's, for the name server too).
		args = append(args, "-Drmq.logback.configurationFile="+
			filepath.Join(dir, "home", "conf", "logback_"+role+".xml"))
	}
	return args
}

// namesrvArgs: small heaps instead of runserver.sh's 4 GiB.
func namesrvArgs(major int, dir, lib string) []string {
	args := jvmArgs(major, dir, "namesrv", "-Xms64m", "-Xmx256m", "-XX:MaxMetaspaceSize=128m")
	return append(args, "-cp", filepath.Join(lib, "*"), "org.apache.rocketmq.namesrv.NamesrvStartup",
		"-c", filepath.Join(dir, "namesrv.conf"))
}

// brokerArgs: small heap and direct memory, no pre-touch, instead of runbroker.sh's 8 GiB
// pre-touched heap and 15 GiB of direct memory.
func brokerArgs(major int, dir, lib string) []string {
	args := jvmArgs(major, dir, "broker", "-Xms256m", "-Xmx768m", "-XX:MaxDirectMemorySize=512m",
		"-XX:-AlwaysPreTouch")
	if major < 5 {
		// 4.x MappedFile.clean reflects into DirectByteBuffer.attachment() and
		// jdk.internal.ref.Cleaner.clean(); without these the shutdown hook dies at the
		// first mapped file and leaves the store marked as aborted.
		args = append(args,
			"--add-opens", "java.base/java.nio=ALL-UNNAMED",
			"--add-opens", "java.base/jdk.internal.ref=ALL-UNNAMED",
			fmt.Sprintf("-Drocketmq.broker.diskSpaceWarningLevelRatio=%.2f", diskWarningPercent/100.0),
			fmt.Sprintf("-Drocketmq.broker.diskSpaceCleanForciblyRatio=%.2f", diskForcePercent/100.0))
	}
	return append(args, "-cp", filepath.Join(lib, "*"), "org.apache.rocketmq.broker.BrokerStartup",
		"-c", filepath.Join(dir, "broker.conf"))
}

// proxyBootLine is what rocketmq-proxy prints on stdout once every server it runs started.
const proxyBootLine = "rocketmq-proxy startup successfully"

// proxyArgs runs rocketmq-proxy in local mode: the broker of broker.conf in the same JVM,
// the proxy's gRPC and remoting servers in front of it. Same memory as a broker alone.
func proxyArgs(dir, lib string) []string {
	args := jvmArgs(5, dir, "broker", "-Xms256m", "-Xmx768m", "-XX:MaxDirectMemorySize=512m",
		"-XX:-AlwaysPreTouch")
	return append(args, "-cp", filepath.Join(lib, "*"), "org.apache.rocketmq.proxy.ProxyStartup",
		"-pm", "local", "-bc", filepath.Join(dir, "broker.conf"), "-pc", filepath.Join(dir, "rmq-proxy.json"))
}

// proxyConf is rmq-proxy.json for local mode. Short cache refreshes let a topic or group
// created a moment ago be served at once; a 1 s floor on the invisible time lets tests see
// unacknowledged messages come back quickly.
func proxyConf(r *RocketMQ) (string, error) {
	b, err := json.MarshalIndent(map[string]any{
		"rocketMQClusterName":                        r.ClusterName,
		"namesrvAddr":                                r.NamesrvAddr,
		"localServeAddr":                             "127.0.0.1",
		"grpcServerPort":                             r.proxyPorts[0],
		"remotingListenPort":                         r.proxyPorts[1],
		"minInvisibleTimeMillsForRecv":               1000,
		"topicRouteServiceCacheRefreshSeconds":       1,
		"topicConfigCacheRefreshSeconds":             1,
		"subscriptionGroupConfigCacheRefreshSeconds": 1,
	}, "", "  ")
	return string(b), err
}

func rocketmqMajor(version string) (int, error) {
	major, _, _ := strings.Cut(version, ".")
	switch major {
	case "4", "5":
		return int(major[0] - '0'), nil
	}
	return 0, fmt.Errorf("rocketmq: unsupported version %q (want 4.x or 5.x, e.g. 5.3.3 or 4.9.7)", version)
}

func findJava(java string) (string, error) {
	if java == "" {
		if home := os.Getenv("JAVA_HOME"); home != "" && fileExists(filepath.Join(home, "bin", "java")) {
			java = filepath.Join(home, "bin", "java")
		} else {
			java = "java"
		}
	}
	path, err := exec.LookPath(java)
	if err != nil {
		return "", fmt.Errorf("rocketmq: java not found (%v): install a JDK 17 (apt-get install -y openjdk-17-jdk-headless)", err)
	}
	return path, nil
}

// rocketmqLibDir returns the directory holding the version's jars, or says how to fetch them.
// RocketMQLibDir returns where scripts/rocketmq/fetch.sh put a version's jars, the Java
// client's included, or an error saying how to fetch them.
func RocketMQLibDir(version string) (string, error) { return rocketmqLibDir(version, "") }

func rocketmqLibDir(version, lib string) (string, error) {
	if lib == "" {
		cache := os.Getenv("LAGBOARD_CACHE")
		if cache == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", fmt.Errorf("rocketmq: %w", err)
			}
			cache = filepath.Join(home, ".cache", "lagboard")
		}
		lib = filepath.Join(cache, "rocketmq", version, "lib")
	}
	jars := []string{"rocketmq-namesrv-" + version + ".jar", "rocketmq-broker-" + version + ".jar"}
	if strings.HasPrefix(version, "5.") {
		jars = append(jars, "rocketmq-proxy-"+version+".jar")
	}
	for _, jar := range jars {
		if !fileExists(filepath.Join(lib, jar)) {
			return "", fmt.Errorf("rocketmq %s: %s not in %s: run scripts/rocketmq/fetch.sh %s",
				version, jar, lib, version)
		}
	}
	return lib, nil
}

// rocketmqConfDir finds the logback files: the given dir, the repository's
// scripts/rocketmq/conf above the working directory, or the copy fetch.sh leaves next to lib.
func rocketmqConfDir(dir, lib string) (string, error) {
	var tried []string
	if dir != "" {
		tried = append(tried, dir)
	} else {
		if wd, err := os.Getwd(); err == nil {
			for d := wd; ; d = filepath.Dir(d) {
				tried = append(tried, filepath.Join(d, "scripts", "rocketmq", "conf"))
				if d == filepath.Dir(d) {
					break
				}
			}
		}
		tried = append(tried, filepath.Join(filepath.Dir(lib), "conf"))
	}
	for _, d := range tried {
		if fileExists(filepath.Join(d, "logback_broker.xml")) && fileExists(filepath.Join(d, "logback_namesrv.xml")) {
			return d, nil
		}
	}
	return "", fmt.Errorf("rocketmq: logback_namesrv.xml and logback_broker.xml not found in %s: run from the repository or scripts/rocketmq/fetch.sh <version>",
		strings.Join(tried, ", "))
}

// checkDiskFree fails if the file system holding dir is too full for the broker, which
// computes used space the way this does (free blocks include those reserved for root).
func checkDiskFree(dir string) error {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return fmt.Errorf("rocketmq: disk space of %s: %w", dir, err)
	}
	total := st.Blocks * uint64(st.Bsize)
	avail := st.Bavail * uint64(st.Bsize)
	usedPct := 100 * float64(st.Blocks-st.Bfree) / float64(st.Blocks)
	if usedPct >= maxStartDiskUsed || avail < minDiskFree {
		return fmt.Errorf("rocketmq: the disk holding %s is %.1f%% used with %d MiB free of %d MiB; "+
			"need under %d%% used and %d MiB free (the broker refuses writes above %d%%)",
			dir, usedPct, avail>>20, total>>20, maxStartDiskUsed, minDiskFree>>20, diskWarningPercent)
	}
	return nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
