// The pod sandbox's process for the local node: it holds the pod's namespaces and
// does nothing else until the runtime stops it. Built static by scripts/cluster-build.sh
// and imported into containerd as the node's sandbox image (no registry is reachable).
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	// As PID 1 of a shared PID namespace it would also reap orphans; SIGCHLD is
	// ignored so the kernel reaps them.
	signal.Ignore(syscall.SIGCHLD)
	<-stop
}
